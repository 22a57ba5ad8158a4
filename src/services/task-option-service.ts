/**
 * `/tasks/{task_id}/task_options[/{option_id}]`: Nodeum's task_option (`{id, type, value}`) as a view
 * over one key of the task's `options`. Why a view and not rows of its own: `options` stays the one
 * record, so a change through either shows in the other at once, and every write goes through
 * `TaskService.update` — the task's own validation (ranges, `working_dir`, the owner's storage rights
 * for options that change them) and its ownership rules (another user's task is a 404). The option's
 * key is its id (Nodeum's ids are numbers of rows Barge does not have) and its `type`.
 */
import { ModelError, ValidationErrors, invalid, notFound, type AttributeError } from '../domain/errors.js';
import type { Principal } from './principal.js';
import type { TaskService } from './task-service.js';

/** One option as the API shows it. */
export interface TaskOptionView {
  id: string;
  type: string;
  value: unknown;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function view(key: string, value: unknown): TaskOptionView {
  return { id: key, type: key, value };
}

/**
 * The task's validation names `options.<key>`; this resource's body calls it `value`. Other
 * attributes (a storage right the option would need) are kept as they are.
 */
function asValueErrors(err: unknown, key: string): unknown {
  if (!(err instanceof ModelError) || err.status !== 422) return err;
  const attr = `options.${key}`;
  if (!(attr in err.details)) return err;
  const details: Record<string, AttributeError[]> = {};
  for (const [a, list] of Object.entries(err.details)) details[a === attr ? 'value' : a] = [...(details[a === attr ? 'value' : a] ?? []), ...list];
  return new ModelError(err.status, err.messages, details, err.headers);
}

export class TaskOptionService {
  constructor(private readonly tasks: TaskService) {}

  async list(p: Principal, taskId: string): Promise<TaskOptionView[]> {
    const task = await this.tasks.show(p, taskId);
    return Object.entries(task.options).map(([k, v]) => view(k, v));
  }

  async show(p: Principal, taskId: string, id: string): Promise<TaskOptionView> {
    const task = await this.tasks.show(p, taskId);
    if (!Object.hasOwn(task.options, id)) throw notFound('Task option');
    return view(id, task.options[id]);
  }

  /**
   * Sets an option the task does not have yet (`type`, or `id`, names it); one it has is a 422
   * `taken` (PUT changes it). `schemaErrors`: the value checked against the task options' schema, by
   * the caller that holds the document (api/handlers/task-sub-handlers.ts), on `options.<key>`.
   */
  async create(p: Principal, taskId: string, body: unknown, schemaErrors?: ValidationErrors): Promise<TaskOptionView> {
    const input = isObject(body) ? body : {};
    const key = typeof input.type === 'string' && input.type !== '' ? input.type : typeof input.id === 'string' && input.id !== '' ? input.id : undefined;
    const errors = new ValidationErrors();
    if (key === undefined) errors.add('type', { error: 'blank' }, "Type can't be blank");
    if (input.value === undefined || input.value === null) errors.add('value', { error: 'blank' }, "Value can't be blank");
    const task = await this.tasks.show(p, taskId);
    errors.throwIfAny();
    if (Object.hasOwn(task.options, key as string)) throw invalid('type', { error: 'taken', value: key }, `Type ${key} is already set on this task (change it with PUT)`);
    return this.write(p, task.id, key as string, input.value, schemaErrors);
  }

  /** Changes an option's value (its key is its id and cannot change); without `value`, nothing changes. */
  async update(p: Principal, taskId: string, id: string, body: unknown, schemaErrors?: ValidationErrors): Promise<TaskOptionView> {
    const input = isObject(body) ? body : {};
    const current = await this.show(p, taskId, id);
    if (input.type !== undefined && input.type !== id) throw invalid('type', { error: 'invalid', value: input.type }, 'Type is the option’s key and cannot change: delete the option and create another');
    if (input.value === undefined) return current;
    if (input.value === null) throw invalid('value', { error: 'blank' }, "Value can't be blank (DELETE removes the option)");
    const task = await this.tasks.show(p, taskId);
    return this.write(p, task.id, id, input.value, schemaErrors);
  }

  async destroy(p: Principal, taskId: string, id: string): Promise<void> {
    const task = await this.tasks.show(p, taskId);
    if (!Object.hasOwn(task.options, id)) throw notFound('Task option');
    // A null option value in a task update removes the key (TaskService.update).
    await this.tasks.update(p, task.id, { options: { [id]: null } });
  }

  private async write(p: Principal, taskId: string, key: string, value: unknown, schemaErrors?: ValidationErrors): Promise<TaskOptionView> {
    try {
      const task = await this.tasks.update(p, taskId, { options: { [key]: value } }, schemaErrors);
      return view(key, task.options[key]);
    } catch (err) {
      throw asValueErrors(err, key);
    }
  }
}
