/**
 * `/tasks/{task_id}/task_callbacks[/{id}]`: a task's callbacks (Nodeum's `task_callback`), scripts
 * and Barge's webhooks. Whoever may see the task manages its callbacks (the owner, an admin); another
 * user's task is a 404. A script is compiled in the sandbox before it is stored, so a syntax error is
 * a 422 naming the line, never a surprise at run time. A webhook's secret is sealed at rest and never
 * returned (`has_secret` says whether one is set). Executions compile their task's scripts when they
 * start: a change applies from the next execution on.
 */
import { ValidationErrors, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import {
  entryPoints, isScriptType, readCallback, scriptProblemMessage,
  type CallbackInput, type CallbackType, type ScriptProblem, type ScriptType, type WebhookEvent,
} from '../domain/callback.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { CallbackRepository } from '../store/callback-repository.js';
import type { TaskCallbackRow } from '../store/schema.js';
import type { Principal } from './principal.js';

export const CALLBACK_LIST: ListSpec = {
  filters: { id: 'string', type: 'string', language: 'string', url: 'string', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'type', 'language', 'url', 'created_at', 'updated_at'],
};

/** A callback as the API shows it (never its secret). */
export interface CallbackView {
  id: string;
  task_id: string;
  type: CallbackType;
  language?: 'javascript';
  script?: string;
  url?: string;
  events?: WebhookEvent[];
  has_secret?: boolean;
  created_at: string;
  updated_at: string;
}

export function callbackView(r: TaskCallbackRow): CallbackView {
  const base = { id: r.id, task_id: r.task_id, type: r.type as CallbackType, created_at: r.created_at, updated_at: r.updated_at };
  if (r.type === 'webhook') {
    return { ...base, url: r.url ?? '', events: JSON.parse(r.events ?? '[]') as WebhookEvent[], has_secret: r.secret_sealed !== null };
  }
  return { ...base, language: 'javascript', script: r.script ?? '' };
}

/** Compiles a script in the sandbox (engine/callbacks/script-check.ts): the problem, or undefined. */
export interface ScriptCheck {
  check(type: ScriptType, script: string): Promise<ScriptProblem | undefined>;
}

/** Finds a task the principal may see (TaskService.resolve). */
export interface TaskFinder {
  resolve(p: Principal, idOrName: string): Promise<{ id: string }>;
}

export class CallbackService {
  constructor(
    private readonly callbacks: CallbackRepository,
    private readonly tasks: TaskFinder,
    private readonly scripts: ScriptCheck,
    private readonly secrets: { seal(plain: string): string },
    private readonly clock: Clock,
    /** What is wrong with a webhook URL for this deployment (the allow-list, engine/webhooks), if anything. */
    private readonly urlProblem: (url: string) => string | undefined = () => undefined,
  ) {}

  async list(p: Principal, taskId: string, query: Record<string, unknown>): Promise<{ count: number; task_callbacks: CallbackView[] }> {
    const task = await this.tasks.resolve(p, taskId);
    const { count, rows } = await this.callbacks.list(task.id, parseListQuery(query, CALLBACK_LIST));
    return { count, task_callbacks: rows.map(callbackView) };
  }

  async show(p: Principal, taskId: string, id: string): Promise<CallbackView> {
    return callbackView(await this.find(p, taskId, id));
  }

  async create(p: Principal, taskId: string, body: unknown): Promise<CallbackView> {
    const task = await this.tasks.resolve(p, taskId);
    const input = await this.validated(body, undefined);
    const now = this.clock.now().toISOString();
    const row: TaskCallbackRow = { id: newId(), task_id: task.id, ...this.columns(input, null), created_at: now, updated_at: now };
    await this.callbacks.insert(row);
    return callbackView(row);
  }

  /** Partial PUT: attributes present replace the stored ones; a change of kind drops the old kind's attributes. */
  async update(p: Principal, taskId: string, id: string, body: unknown): Promise<CallbackView> {
    const current = await this.find(p, taskId, id);
    const input = await this.validated(body, current);
    const patch = { ...this.columns(input, current.type === 'webhook' ? current.secret_sealed : null), updated_at: this.clock.now().toISOString() };
    await this.callbacks.update(current.id, patch);
    return callbackView({ ...current, ...patch });
  }

  async destroy(p: Principal, taskId: string, id: string): Promise<void> {
    await this.callbacks.delete((await this.find(p, taskId, id)).id);
  }

  private async find(p: Principal, taskId: string, id: string): Promise<TaskCallbackRow> {
    const task = await this.tasks.resolve(p, taskId);
    const row = await this.callbacks.find(task.id, id);
    if (!row) throw notFound('Task callback');
    return row;
  }

  /** The attributes, checked: the schema-level rules, the URL against the deployment's rules, the script in the sandbox. */
  private async validated(body: unknown, current: TaskCallbackRow | undefined): Promise<CallbackInput> {
    const errors = new ValidationErrors();
    const stored = current ? { ...callbackView(current), hasSecret: current.secret_sealed !== null } : undefined;
    const input = readCallback(body, stored as Partial<CallbackInput> | undefined, errors);
    if (input?.url) {
      const problem = this.urlProblem(input.url);
      if (problem) errors.add('url', { error: 'invalid', reason: problem }, `Url ${problem}`);
    }
    if (input && errors.empty && isScriptType(input.type)) {
      const problem = await this.scripts.check(input.type, input.script as string);
      if (problem) {
        errors.add('script', { error: 'invalid', ...(problem.line !== undefined ? { line: problem.line } : {}), entry_points: entryPoints(input.type) }, scriptProblemMessage(problem));
      }
    }
    errors.throwIfAny();
    return input as CallbackInput;
  }

  /** Stored columns of an input; `keptSecret` is the sealed secret kept when the input names none. */
  private columns(input: CallbackInput, keptSecret: string | null): Omit<TaskCallbackRow, 'id' | 'task_id' | 'created_at' | 'updated_at'> {
    if (input.type !== 'webhook') return { type: input.type, language: 'javascript', script: input.script, url: null, secret_sealed: null, events: null };
    const secret = input.secret === undefined ? keptSecret : input.secret === null ? null : this.secrets.seal(input.secret);
    return { type: 'webhook', language: null, script: null, url: input.url, secret_sealed: secret, events: JSON.stringify(input.events) };
  }
}
