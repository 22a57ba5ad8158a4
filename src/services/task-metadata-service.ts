/**
 * `/tasks/{task_id}/task_metadata[/{metadatum_id}]`: Nodeum's task_metadatum (`{id, key, value}`) as
 * a view over one key of the task's `metadata.task`. As for options (task-option-service.ts), the
 * task stays the one record and every write is a `TaskService.update` of the task's metadata, so the
 * task's validation and ownership apply and both views are always in step. The key is the id.
 */
import { invalid, notFound } from '../domain/errors.js';
import type { Principal } from './principal.js';
import type { TaskService } from './task-service.js';
import type { TaskView } from './views.js';

/** One metadatum as the API shows it. */
export interface TaskMetadatumView {
  id: string;
  key: string;
  value: unknown;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function view(key: string, value: unknown): TaskMetadatumView {
  return { id: key, key, value };
}

/** The task's `metadata.task` (an object, or nothing yet). */
function entries(task: TaskView): Record<string, unknown> {
  const t = task.metadata.task;
  return isObject(t) ? t : {};
}

export class TaskMetadataService {
  constructor(private readonly tasks: TaskService) {}

  async list(p: Principal, taskId: string): Promise<TaskMetadatumView[]> {
    return Object.entries(entries(await this.tasks.show(p, taskId))).map(([k, v]) => view(k, v));
  }

  async show(p: Principal, taskId: string, id: string): Promise<TaskMetadatumView> {
    const all = entries(await this.tasks.show(p, taskId));
    if (!Object.hasOwn(all, id)) throw notFound('Task metadatum');
    return view(id, all[id]);
  }

  /** Adds a key the task's metadata does not have yet (one it has is a 422 `taken`: PUT changes it). */
  async create(p: Principal, taskId: string, body: unknown): Promise<TaskMetadatumView> {
    const input = isObject(body) ? body : {};
    const task = await this.tasks.show(p, taskId);
    if (typeof input.key !== 'string' || input.key.trim() === '') throw invalid('key', { error: 'blank' }, "Key can't be blank");
    if (input.value === undefined) throw invalid('value', { error: 'blank' }, "Value can't be blank");
    if (Object.hasOwn(entries(task), input.key)) throw invalid('key', { error: 'taken', value: input.key }, `Key ${input.key} is already set on this task (change it with PUT)`);
    return this.write(p, task, input.key, input.value);
  }

  /** Changes a value, or the key (a rename: the value moves to the new key, which must be free). */
  async update(p: Principal, taskId: string, id: string, body: unknown): Promise<TaskMetadatumView> {
    const input = isObject(body) ? body : {};
    const task = await this.tasks.show(p, taskId);
    const all = entries(task);
    if (!Object.hasOwn(all, id)) throw notFound('Task metadatum');
    const key = input.key === undefined ? id : input.key;
    if (typeof key !== 'string' || key.trim() === '') throw invalid('key', { error: 'blank' }, "Key can't be blank");
    if (key !== id && Object.hasOwn(all, key)) throw invalid('key', { error: 'taken', value: key }, `Key ${key} is already set on this task`);
    return this.write(p, task, key, input.value === undefined ? all[id] : input.value, key !== id ? id : undefined);
  }

  async destroy(p: Principal, taskId: string, id: string): Promise<void> {
    const task = await this.tasks.show(p, taskId);
    const all = entries(task);
    if (!Object.hasOwn(all, id)) throw notFound('Task metadatum');
    const { [id]: _gone, ...rest } = all;
    await this.tasks.update(p, task.id, { metadata: { ...task.metadata, task: rest } });
  }

  /** Writes `key` (and removes `replacing`, on a rename) through the task's own update. */
  private async write(p: Principal, task: TaskView, key: string, value: unknown, replacing?: string): Promise<TaskMetadatumView> {
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entries(task))) if (k !== replacing) next[k] = v;
    next[key] = value;
    const updated = await this.tasks.update(p, task.id, { metadata: { ...task.metadata, task: next } });
    return view(key, entries(updated)[key]);
  }
}
