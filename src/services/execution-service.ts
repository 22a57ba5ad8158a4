/**
 * Executions and the action endpoints: run, defer_run/run_defer, pause, resume, stop, force_stop.
 * Every transition is written to the store (compare-and-set on the state) before anybody acts on
 * it; the engine, when present, is told through `EngineSignals` and reads the new state from the store.
 */
import { DataManagementError, ModelError, notFound } from '../domain/errors.js';
import { applyControl, assertCanRun, isActive, type ControlAction, type ExecutionState } from '../domain/execution.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { Clock } from '../lib/clock.js';
import { newId, randomToken, sha256Hex } from '../lib/tokens.js';
import type { ExecutionRepository } from '../store/execution-repository.js';
import { ActiveExecutionExists } from '../domain/conflicts.js';
import type { DeferRepository } from '../store/defer-repository.js';
import type { ExecutionRow, FileLedgerRow, TaskEndpointRow } from '../store/schema.js';
import type { LedgerRepository } from '../store/ledger-repository.js';
import type { OwnedTask, TaskRepository } from '../store/task-repository.js';
import type { Principal } from './principal.js';
import type { EngineSignals } from '../engine/signals.js';
import { executionEvents, type ExecutionEvent } from './execution-events.js';
import { ownerScope, type TaskService } from './task-service.js';
import { executionView, type ExecutionView } from './views.js';
import { RunLauncher, type RunAccess } from './run-launcher.js';
import type { TapeActionLookup } from './tape-action-check.js';
import { DRY_RUN_ACTIONS } from '../domain/dry-run.js';

export const LEDGER_LIST: ListSpec = {
  filters: { status: 'string', src_path: 'string', dst_path: 'string', error_class: 'string', size: 'number', updated_at: 'date', operation: 'string' },
  sortable: ['src_path', 'dst_path', 'size', 'status', 'updated_at', 'operation'],
};

export const EXECUTION_LIST: ListSpec = {
  filters: {
    id: 'string', task_id: 'string', status: 'string', progress: 'number', size_todo: 'number', size_done: 'number',
    nodes_todo: 'number', nodes_done: 'number', files_failed: 'number', created_at: 'date', started_at: 'date', finished_at: 'date', updated_at: 'date',
  },
  sortable: ['id', 'task_id', 'status', 'progress', 'size_todo', 'size_done', 'nodes_todo', 'nodes_done', 'files_failed', 'bandwidth', 'created_at', 'started_at', 'finished_at'],
};


// What every start goes through (checks, the row) lives in run-launcher.ts, shared with scheduled runs.
export { SUPPORTED_ACTIONS, type RunAccess } from './run-launcher.js';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class ExecutionService {
  constructor(
    private readonly tasks: TaskService,
    private readonly taskRepo: TaskRepository,
    private readonly executions: ExecutionRepository,
    private readonly defers: DeferRepository,
    private readonly engine: EngineSignals,
    private readonly clock: Clock,
    private readonly deferTtlSeconds: number,
    private readonly ledger: LedgerRepository,
    private readonly access: RunAccess,
    /** Storage kinds this deployment can move data on (nas; cloud once an s3 driver is registered). */
    private readonly supportedKinds: ReadonlySet<string> = new Set(['nas']),
    /** Why this host cannot run file work as a task's context user, or null (see RunLauncher). */
    contextBlocker: () => string | null = () => null,
    /** Cartridges and owners for the tape actions (see RunLauncher). */
    tapes?: TapeActionLookup,
  ) {
    this.launcher = new RunLauncher(taskRepo, executions, access, clock, supportedKinds, contextBlocker, tapes);
  }

  /** The checks and the row every start shares with scheduled runs (run-launcher.ts). */
  private readonly launcher: RunLauncher;

  /** The execution's file ledger: failures always, every file with `full_report`. */
  async files(p: Principal, id: string, query: Record<string, unknown>): Promise<{ count: number; files: FileLedgerRow[] }> {
    await this.show(p, id);
    const { count, rows } = await this.ledger.list(id, parseListQuery(query, LEDGER_LIST));
    return { count, files: rows };
  }

  /** Live events of an execution the principal may see (SSE). */
  async events(p: Principal, id: string, signal: AbortSignal): Promise<AsyncGenerator<ExecutionEvent>> {
    await this.show(p, id);
    return executionEvents(id, this.executions, this.ledger, signal);
  }

  async list(p: Principal, query: Record<string, unknown>, taskId?: string): Promise<{ count: number; task_executions: ExecutionView[] }> {
    const q = parseListQuery(query, EXECUTION_LIST);
    let scope = ownerScope(p, q.all);
    let id: string | undefined;
    // `?task_id=X` is how older Nodeum clients list a task's executions: the same answer as the
    // nested route (an admin sees the executions of any user's task), an empty list for a task the
    // caller cannot see.
    const filtered = taskId === undefined ? q.filters.find((f) => f.attribute === 'task_id' && f.op === '=' && f.values.length === 1) : undefined;
    const target = taskId ?? (filtered ? String(filtered.values[0]) : undefined);
    if (target !== undefined) {
      const task = await this.tasks.resolve(p, target).catch((e: unknown) => {
        if (taskId === undefined && e instanceof ModelError && e.status === 404) return undefined;
        throw e;
      });
      if (!task) return { count: 0, task_executions: [] };
      id = task.id;
      scope = { userId: task.user_id, all: p.isAdmin };
    }
    const { count, rows } = await this.executions.list(filtered ? { ...q, filters: q.filters.filter((f) => f !== filtered) } : q, scope, id);
    const names = await this.taskNames(rows);
    return { count, task_executions: rows.map((r) => executionView(r, names.get(r.task_id))) };
  }

  async show(p: Principal, id: string, taskId?: string): Promise<ExecutionView> {
    const row = await this.executions.findById(id);
    if (!row || (row.user_id !== p.userId && !p.isAdmin)) throw notFound('Task execution');
    if (taskId !== undefined) {
      const task = await this.tasks.resolve(p, taskId);
      if (row.task_id !== task.id) throw notFound('Task execution');
    }
    const names = await this.taskNames([row]);
    return executionView(row, names.get(row.task_id));
  }

  /** `run`: one active execution per task (409 otherwise); the work happens in the background. */
  async run(p: Principal, taskId: string, trigger: unknown): Promise<{ execution_id: string; msg: string }> {
    const task = await this.actionTarget(p, taskId);
    const endpoints = await this.checkRunnable(task);
    assertCanRun((await this.executions.findActive(task.id)) ?? null);
    const id = await this.start(task, endpoints, isObject(trigger) ? trigger : {});
    return { execution_id: id, msg: `Task ${task.name} queued for execution` };
  }

  /**
   * `dry_run` (Barge): an execution that plans against the destination and writes nothing (see
   * engine/dispatcher/dry-run.ts); the same checks, refusals and one-active-execution rule as `run`.
   */
  async dryRun(p: Principal, taskId: string, trigger: unknown): Promise<{ execution_id: string; msg: string }> {
    const task = await this.actionTarget(p, taskId);
    if (!DRY_RUN_ACTIONS.includes(task.workflow_action)) {
      throw new DataManagementError(422, `A dry run previews ${DRY_RUN_ACTIONS.join(', ')}; task ${task.name} is a ${task.workflow_action}`);
    }
    const endpoints = await this.checkRunnable(task);
    assertCanRun((await this.executions.findActive(task.id)) ?? null);
    const id = await this.start(task, endpoints, isObject(trigger) ? trigger : {}, newId(), true);
    return { execution_id: id, msg: `Dry run of task ${task.name} queued` };
  }

  /** `defer_run`: validates now, stores a single-use capability to start later. */
  async deferRun(p: Principal, taskId: string, trigger: unknown): Promise<{ defer_id: string; msg: string }> {
    const task = await this.actionTarget(p, taskId);
    await this.checkRunnable(task);
    const token = randomToken(32, 'dfr_');
    const now = this.clock.now();
    await this.defers.insert({
      token_hash: sha256Hex(token), task_id: task.id, user_id: p.userId, trigger: JSON.stringify(isObject(trigger) ? trigger : {}),
      created_at: now.toISOString(), expires_at: new Date(now.getTime() + this.deferTtlSeconds * 1000).toISOString(), used_at: null, execution_id: null,
    });
    return { defer_id: token, msg: `Run of task ${task.name} deferred; run it with run_defer before ${new Date(now.getTime() + this.deferTtlSeconds * 1000).toISOString()}` };
  }

  /** `run_defer` (no auth: the defer_id is the capability). Spent on success only. */
  async runDefer(deferId: unknown): Promise<{ execution_id: string; msg: string }> {
    if (typeof deferId !== 'string' || deferId === '') throw new DataManagementError(422, 'defer_id is required');
    const hash = sha256Hex(deferId);
    const token = await this.defers.find(hash);
    const now = this.clock.now().toISOString();
    if (!token || token.used_at !== null || token.expires_at <= now) throw new DataManagementError(404, 'Unknown, expired or already used defer_id');
    const task = await this.taskRepo.findById(token.task_id);
    if (!task) throw new DataManagementError(404, 'The deferred task no longer exists');
    const endpoints = await this.checkRunnable(task);
    assertCanRun((await this.executions.findActive(task.id)) ?? null);
    const id = newId();
    if (!(await this.defers.spend(hash, now, id))) throw new DataManagementError(404, 'Unknown, expired or already used defer_id');
    try {
      await this.start(task, endpoints, JSON.parse(token.trigger) as Record<string, unknown>, id);
    } catch (err) {
      await this.defers.unspend(hash);
      throw err;
    }
    return { execution_id: id, msg: `Deferred run of task ${task.name} queued for execution` };
  }

  async control(p: Principal, taskId: string, action: ControlAction): Promise<{ msg: string }> {
    const task = await this.actionTarget(p, taskId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const active = (await this.executions.findActive(task.id)) ?? null;
      const next = applyControl(action, active === null ? null : { state: active.state as ExecutionState, progress: Number(active.progress) });
      const exec = active as ExecutionRow;
      const now = this.clock.now().toISOString();
      const patch: Partial<ExecutionRow> = { state: next.state, progress: next.progress, updated_at: now };
      if (!isActive(next.state)) patch.finished_at = now;
      // Compare-and-set: if the engine moved the execution meanwhile, re-read and decide again.
      if (await this.executions.transition(exec.id, exec.state, patch, Number(exec.progress))) {
        this.engine.executionChanged(exec.id, action);
        return { msg: `Task ${task.name}: ${action.replace('_', ' ')} ${isActive(next.state) ? 'requested' : 'done'} (execution ${next.state.replace(/_/g, ' ')})` };
      }
    }
    throw new DataManagementError(409, 'The execution changed state while the action was applied; try again');
  }

  // --- helpers

  /** Resolves the task for an action endpoint, turning a not-found into the action error shape. */
  private async actionTarget(p: Principal, taskId: string): Promise<OwnedTask> {
    try {
      return await this.tasks.resolve(p, taskId);
    } catch {
      throw new DataManagementError(404, `Task ${taskId} not found`);
    }
  }

  /** A task whose action cannot start with its endpoints is refused with a 422 naming why (403 for rights). */
  private checkRunnable(task: OwnedTask): Promise<TaskEndpointRow[]> {
    return this.launcher.checkRunnable(task);
  }

  private async start(task: OwnedTask, endpoints: TaskEndpointRow[], trigger: Record<string, unknown>, id = newId(), dryRun = false): Promise<string> {
    try {
      await this.executions.insert(this.launcher.executionRow(task, endpoints, trigger, id, dryRun ? { dry_run: 1 } : {}));
    } catch (err) {
      if (err instanceof ActiveExecutionExists) throw new DataManagementError(409, 'The task is already running');
      throw err;
    }
    this.engine.executionQueued(id);
    return id;
  }

  private async taskNames(rows: ExecutionRow[]): Promise<Map<string, OwnedTask>> {
    const out = new Map<string, OwnedTask>();
    for (const id of new Set(rows.map((r) => r.task_id))) {
      const t = await this.taskRepo.findById(id);
      if (t) out.set(id, t);
    }
    return out;
  }
}

