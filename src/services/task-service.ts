/**
 * Tasks: create, list, show, partial update, destroy, and their sources/destinations as
 * sub-resources. Ownership: a user sees their own tasks; an admin sees everybody's with `all=true`
 * in lists and any task by id. Another user's task is a 404, never a 403 (no existence leak).
 */
import { ValidationErrors, forbidden, notFound, invalid } from '../domain/errors.js';
import { parseListQuery, type ListQuery, type ListSpec } from '../domain/list-query.js';
import {
  endpointKind, validateActionFit, validateEndpoint, validateTaskAttributes,
  type EndpointKind, type EndpointRole, type StorageLookup, type TaskEndpointInput, type TaskInput,
} from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { ExecutionRepository } from '../store/execution-repository.js';
import type { OwnedTask, OwnerScope, TaskRepository } from '../store/task-repository.js';
import type { TaskEndpointRow, TaskRow } from '../store/schema.js';
import type { Principal } from './principal.js';
import { endpointView, taskView, type TaskView } from './views.js';
import type { TaskEndpoint } from '../domain/task.js';
import { describeMissing, type MissingRight } from '../domain/privileges.js';
import { shapeOf, type TaskShape } from './access-service.js';

export const TASK_LIST: ListSpec = {
  filters: {
    id: 'string', name: 'string', comment: 'string', workflow_type: 'string', workflow_action: 'string',
    'sources.type': 'string', 'destinations.type': 'string', created_at: 'date', updated_at: 'date',
  },
  sortable: ['id', 'name', 'comment', 'workflow_type', 'workflow_action', 'created_at', 'updated_at'],
};

/** The body of `GET /tasks`. */
export interface TaskPage {
  count: number;
  tasks: TaskView[];
}

/** Bulk existence checks for endpoint storages, so validating a task is a fixed number of queries. */
export interface StorageIndex {
  existing(kind: EndpointKind, ids: string[]): Promise<Set<string>>;
  poolContents(ids: string[]): Promise<Map<string, EndpointKind>>;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The scope a principal lists with; `all=true` from a non-admin is a 403. */
export function ownerScope(p: Principal, all: boolean): OwnerScope {
  if (all && !p.isAdmin) throw forbidden('Only an admin can list all users’ resources', 'all');
  return { userId: p.userId, all };
}

/** The storage-privilege check a task must pass when it is created or changed (services/access-service.ts). */
export interface TaskAccess {
  missing(ownerId: string, task: TaskShape): Promise<MissingRight[]>;
}

export class TaskService {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly executions: ExecutionRepository,
    private readonly storages: StorageIndex,
    private readonly access: TaskAccess,
    private readonly clock: Clock,
  ) {}

  async list(p: Principal, query: Record<string, unknown>): Promise<TaskPage> {
    const q = parseListQuery(query, TASK_LIST);
    return this.page(q, ownerScope(p, q.all));
  }

  /** A page of an already parsed query, in a scope already checked (TaskListCache calls this). */
  async page(q: ListQuery, scope: OwnerScope): Promise<TaskPage> {
    const { count, rows } = await this.tasks.list(q, scope);
    return { count, tasks: await this.views(rows) };
  }

  /** Finds a task the principal may see, by id or (older clients) by unique name. */
  async resolve(p: Principal, idOrName: string): Promise<OwnedTask> {
    const byId = await this.tasks.findById(idOrName);
    if (byId && (byId.user_id === p.userId || p.isAdmin)) return byId;
    const byName = await this.tasks.findByName(idOrName, { userId: p.userId, all: false });
    if (byName.length === 1) return byName[0] as OwnedTask;
    throw notFound('Task');
  }

  async show(p: Principal, id: string): Promise<TaskView> {
    const [view] = await this.views([await this.resolve(p, id)]);
    return view as TaskView;
  }

  /** `schemaErrors`: what the OpenAPI schema already found, reported together with these checks. */
  async create(p: Principal, body: unknown, schemaErrors?: ValidationErrors): Promise<TaskView> {
    const input = (isObject(body) ? body : {}) as TaskInput;
    const own = new ValidationErrors();
    validateTaskAttributes(input, false, own);
    const workingDir = this.workingDir(input.options);
    const sources = await this.endpoints(input.sources, 'sources', workingDir, own);
    const destinations = await this.endpoints(input.destinations, 'destinations', workingDir, own);
    const errors = (schemaErrors ?? new ValidationErrors()).mergeFrom(own);
    if (errors.empty) validateActionFit(String(input.workflow_action), sources ?? [], destinations ?? [], errors);
    if (errors.empty) await this.checkAccess(p.userId, String(input.workflow_action), input.options, sources ?? [], destinations ?? [], errors);
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    const row: TaskRow = {
      id: newId(), name: input.name as string, comment: (input.comment as string | undefined) ?? null,
      workflow_type: input.workflow_type as string, workflow_action: input.workflow_action as string,
      options: JSON.stringify(input.options ?? {}), metadata: JSON.stringify(input.metadata ?? {}),
      user_id: p.userId, created_by: p.username, updated_by: p.username, created_at: now, updated_at: now,
    };
    await this.tasks.insert(row, [...toRows(row.id, 'source', sources ?? [], now), ...toRows(row.id, 'destination', destinations ?? [], now)]);
    return this.show(p, row.id);
  }

  /**
   * Partial PUT: attributes present replace the stored ones; `options` merge key by key (a `null`
   * value removes the key); `sources`/`destinations`, when present, replace the whole list.
   */
  async update(p: Principal, id: string, body: unknown, schemaErrors?: ValidationErrors): Promise<TaskView> {
    const current = await this.resolve(p, id);
    const input = (isObject(body) ? body : {}) as TaskInput;
    const own = new ValidationErrors();
    validateTaskAttributes(input, true, own);
    // In an update, `options.<key>: null` removes the key: the schema's type check does not apply to it.
    const nulls = isObject(input.options) ? Object.entries(input.options).filter(([, v]) => v === null).map(([k]) => `options.${k}`) : [];
    let options = JSON.parse(current.options) as Record<string, unknown>;
    if (isObject(input.options)) {
      options = { ...options, ...input.options };
      for (const [k, v] of Object.entries(options)) if (v === null) delete options[k];
    }
    const workingDir = this.workingDir(options);
    const sources = await this.endpoints(input.sources, 'sources', workingDir, own);
    const destinations = await this.endpoints(input.destinations, 'destinations', workingDir, own);
    const errors = (schemaErrors ?? new ValidationErrors()).drop((a) => nulls.includes(a)).mergeFrom(own);
    const all = await this.tasks.endpointsFor([current.id]);
    const keep = (role: EndpointRole) => new Set(all.filter((e) => e.role === role).map((e) => e.id));
    if (errors.empty) {
      const existing = (role: EndpointRole) => all.filter((e) => e.role === role).map(endpointView);
      const action = String(input.workflow_action ?? current.workflow_action);
      validateActionFit(action, sources ?? existing('source'), destinations ?? existing('destination'), errors);
      // The owner's rights, whoever edits: the task moves data on the owner's behalf.
      if (errors.empty) await this.checkAccess(current.user_id, action, options, sources ?? existing('source'), destinations ?? existing('destination'), errors);
    }
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    const patch: Partial<TaskRow> = { updated_at: now, updated_by: p.username, options: JSON.stringify(options) };
    if (input.name !== undefined) patch.name = input.name as string;
    if (input.comment !== undefined) patch.comment = (input.comment as string | null) ?? null;
    if (input.workflow_type !== undefined) patch.workflow_type = input.workflow_type as string;
    if (input.workflow_action !== undefined) patch.workflow_action = input.workflow_action as string;
    if (input.metadata !== undefined) patch.metadata = JSON.stringify(input.metadata ?? {});
    await this.tasks.update(current.id, patch, {
      sources: sources && toRows(current.id, 'source', sources, now, 0, keep('source')),
      destinations: destinations && toRows(current.id, 'destination', destinations, now, 0, keep('destination')),
    });
    return this.show(p, current.id);
  }

  async destroy(p: Principal, id: string): Promise<void> {
    const task = await this.resolve(p, id);
    if (await this.executions.findActive(task.id)) throw invalid('id', { error: 'frozen' }, 'Task is running; stop it before deleting it');
    await this.tasks.delete(task.id);
  }

  // --- sources / destinations as sub-resources

  async listEndpoints(p: Principal, taskId: string, role: EndpointRole): Promise<TaskEndpoint[]> {
    const task = await this.resolve(p, taskId);
    return (await this.tasks.endpointsFor([task.id])).filter((e) => e.role === role).map(endpointView);
  }

  async showEndpoint(p: Principal, taskId: string, role: EndpointRole, id: string): Promise<TaskEndpoint> {
    const task = await this.resolve(p, taskId);
    const row = await this.tasks.findEndpoint(task.id, role, id);
    if (!row) throw notFound(role === 'source' ? 'Task source' : 'Task destination');
    return endpointView(row);
  }

  async createEndpoint(p: Principal, taskId: string, role: EndpointRole, body: unknown): Promise<TaskEndpoint> {
    const task = await this.resolve(p, taskId);
    const input = await this.oneEndpoint(task, role, body);
    const now = this.clock.now().toISOString();
    const [row] = toRows(task.id, role, [input], now, await this.tasks.nextPosition(task.id, role));
    await this.tasks.insertEndpoint(row as TaskEndpointRow);
    await this.tasks.touch(task.id, now, p.username);
    return endpointView(row as TaskEndpointRow);
  }

  async updateEndpoint(p: Principal, taskId: string, role: EndpointRole, id: string, body: unknown): Promise<TaskEndpoint> {
    const task = await this.resolve(p, taskId);
    const current = await this.tasks.findEndpoint(task.id, role, id);
    if (!current) throw notFound(role === 'source' ? 'Task source' : 'Task destination');
    const merged = { ...endpointView(current), ...(isObject(body) ? body : {}) };
    const input = await this.oneEndpoint(task, role, merged, current.id);
    const now = this.clock.now().toISOString();
    const [row] = toRows(task.id, role, [input], now, current.position);
    const { id: _id, created_at: _c, ...patch } = row as TaskEndpointRow;
    await this.tasks.updateEndpoint(current.id, patch);
    await this.tasks.touch(task.id, now, p.username);
    return endpointView({ ...current, ...patch });
  }

  async destroyEndpoint(p: Principal, taskId: string, role: EndpointRole, id: string): Promise<void> {
    const task = await this.resolve(p, taskId);
    const current = await this.tasks.findEndpoint(task.id, role, id);
    if (!current) throw notFound(role === 'source' ? 'Task source' : 'Task destination');
    await this.tasks.deleteEndpoint(current.id);
    await this.tasks.touch(task.id, this.clock.now().toISOString(), p.username);
  }

  // --- helpers

  /**
   * Validates one endpoint written through a sub-resource, then the task's action against the
   * endpoint lists as they would be (`replacing` is the id of the endpoint being updated), so the
   * sub-resources cannot build a task POST /tasks would refuse (a destination on a scan task…).
   */
  private async oneEndpoint(task: TaskRow, role: EndpointRole, body: unknown, replacing?: string): Promise<TaskEndpointInput> {
    const errors = new ValidationErrors();
    const [input] = (await this.endpoints([body], role === 'source' ? 'source' : 'destination', this.workingDir(JSON.parse(task.options)), errors, true)) ?? [];
    if (errors.empty && input) {
      const all = await this.tasks.endpointsFor([task.id]);
      const list = (r: EndpointRole): TaskEndpointInput[] => {
        const current = all.filter((e) => e.role === r && e.id !== replacing).map(endpointView);
        return r === role ? [...current, input] : current;
      };
      validateActionFit(task.workflow_action, list('source'), list('destination'), errors);
      if (errors.empty) await this.checkAccess(task.user_id, task.workflow_action, JSON.parse(task.options), list('source'), list('destination'), errors);
    }
    errors.throwIfAny();
    return input as TaskEndpointInput;
  }

  /** Adds a 422 error, on the endpoint's storage attribute, for each right the owner lacks. */
  private async checkAccess(ownerId: string, action: string, options: unknown, sources: TaskEndpointInput[], destinations: TaskEndpointInput[], errors: ValidationErrors): Promise<void> {
    const missing = await this.access.missing(ownerId, shapeOf(action, isObject(options) ? options : {}, sources, destinations));
    for (const m of missing) errors.add(m.attribute, { error: 'forbidden', need: m.need, have: m.have }, describeMissing(m));
  }

  private workingDir(options: unknown): string | undefined {
    return isObject(options) && typeof options.working_dir === 'string' ? options.working_dir : undefined;
  }

  /** Validates a list of endpoints with two bulk storage lookups. */
  private async endpoints(raw: unknown, attr: string, workingDir: string | undefined, errors: ValidationErrors, single = false): Promise<TaskEndpointInput[] | undefined> {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw)) {
      errors.add(attr, { error: 'invalid' }, `${attr.charAt(0).toUpperCase() + attr.slice(1)} must be a list`);
      return undefined;
    }
    const ids = new Map<EndpointKind, string[]>();
    const poolIds: string[] = [];
    for (const e of raw) {
      if (!isObject(e)) continue;
      const kind = typeof e.type === 'string' ? endpointKind(e.type) : undefined;
      if (kind && typeof e.storage_id === 'string') ids.set(kind, [...(ids.get(kind) ?? []), e.storage_id]);
      if (typeof e.pool_id === 'string') poolIds.push(e.pool_id);
    }
    const found = new Map<EndpointKind, Set<string>>();
    for (const [kind, list] of ids) found.set(kind, await this.storages.existing(kind, list));
    const pools = await this.storages.poolContents(poolIds);
    const lookup: StorageLookup = {
      storageExists: (kind, id) => found.get(kind)?.has(id) ?? false,
      poolContent: (id) => pools.get(id),
    };
    const out: TaskEndpointInput[] = [];
    raw.forEach((e, i) => {
      const v = validateEndpoint(e, single ? attr : `${attr}[${i}]`, workingDir, lookup, errors);
      if (v) out.push({ ...v, id: isObject(e) && typeof e.id === 'string' ? e.id : undefined });
    });
    return out;
  }

  private async views(rows: OwnedTask[]): Promise<TaskView[]> {
    const ids = rows.map((r) => r.id);
    const [endpoints, last] = await Promise.all([this.tasks.endpointsFor(ids), this.executions.lastForTasks(ids)]);
    const byTask = new Map<string, TaskEndpointRow[]>();
    for (const e of endpoints) byTask.set(e.task_id, [...(byTask.get(e.task_id) ?? []), e]);
    return rows.map((r) => taskView(r, r.owner, byTask.get(r.id) ?? [], last.get(r.id)));
  }
}

/** Endpoint rows to store; a given id is kept only if it is one of this task's own (`keep`). */
function toRows(taskId: string, role: EndpointRole, list: TaskEndpointInput[], now: string, startPosition = 0, keep: ReadonlySet<string> = new Set()): TaskEndpointRow[] {
  const used = new Set<string>();
  return list.map((e, i) => ({
    id: e.id && keep.has(e.id) && !used.has(e.id) && used.add(e.id) ? e.id : newId(),
    task_id: taskId,
    role,
    position: startPosition + i,
    type: e.type,
    kind: endpointKind(e.type) as string,
    storage_id: e.storage_id ?? null,
    pool_id: e.pool_id ?? null,
    node_paths: JSON.stringify(e.node_paths),
    range_first: e.range ? e.range[0] : null,
    range_last: e.range ? e.range[1] : null,
    created_at: now,
  }));
}
