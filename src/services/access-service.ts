/**
 * Storage privileges applied to tasks: which rights a task's owner has on the storages the task
 * touches, and which are missing for its action. One place for every check — task create/update
 * (422), every run, defer and deferred run (403), and the engine while a run goes on (it stops the
 * run) — so that they cannot disagree. Admins have every right.
 */
import {
  describeMissing, effectiveRight, grants, isRight, requiredRight, writesSources,
  type GuardedResource, type GuardedStorage, type MissingRight, type Right,
} from '../domain/privileges.js';
import { endpointKind, type EndpointRole, type TaskEndpoint } from '../domain/task.js';
import type { ExecutionRow } from '../store/schema.js';
import type { PrivilegeRepository } from '../store/privilege-repository.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { UserRepository } from '../store/user-repository.js';
import type { ExecutionRepository } from '../store/execution-repository.js';

/** One endpoint as the checks see it; `attribute` names it in a 422 (`sources[0]`). */
export interface EndpointRef {
  attribute: string;
  role: EndpointRole;
  type: string;
  storage_id?: string | null;
  pool_id?: string | null;
}

/** What a task (or an execution's snapshot of it) holds that rights depend on. */
export interface TaskShape {
  workflow_action: string;
  options: Record<string, unknown>;
  endpoints: EndpointRef[];
}

type StorageRow = { id: string; name: string; guest_right: string };

export class AccessService {
  constructor(
    private readonly privileges: PrivilegeRepository,
    private readonly users: UserRepository,
    private readonly storages: Record<GuardedResource, RegistryRepository<any>>,
    private readonly executions: ExecutionRepository,
  ) {}

  /** The storage an endpoint names, or undefined when it names none (a tape endpoint without pool…). */
  static guarded(e: Pick<EndpointRef, 'type' | 'storage_id' | 'pool_id'>): GuardedStorage | undefined {
    if (typeof e.pool_id === 'string' && e.pool_id !== '') return { resource: 'pools', id: e.pool_id };
    if (typeof e.storage_id !== 'string' || e.storage_id === '') return undefined;
    const kind = endpointKind(e.type);
    if (kind === 'nas') return { resource: 'nas_shares', id: e.storage_id };
    if (kind === 'cloud') return { resource: 'cloud_buckets', id: e.storage_id };
    return undefined;
  }

  /** A user's rights on storages (every right for an admin; `none` for a storage that does not exist). */
  async rights(userId: string, storages: GuardedStorage[]): Promise<Map<string, { right: Right; name: string }>> {
    const out = new Map<string, { right: Right; name: string }>();
    const user = await this.users.findById(userId);
    const rows = new Map<string, StorageRow>();
    for (const s of storages) {
      if (rows.has(s.id)) continue;
      const row = (await this.storages[s.resource].findById(s.id)) as StorageRow | undefined;
      if (row) rows.set(s.id, row);
    }
    const entries = user && !user.is_admin ? await this.privileges.entriesFor(userId, [...rows.keys()]) : new Map();
    for (const s of storages) {
      const row = rows.get(s.id);
      if (!row) {
        out.set(s.id, { right: 'none', name: s.id });
        continue;
      }
      const right: Right = !user ? 'none' : user.is_admin ? 'read_write'
        : effectiveRight({ guest: isRight(row.guest_right) ? row.guest_right : 'none', ...(entries.get(s.id) ?? { groups: [] }) });
      out.set(s.id, { right, name: row.name });
    }
    return out;
  }

  /** The rights `ownerId` lacks for the task's action on its endpoints (and, for a restore, its backup). */
  async missing(ownerId: string, task: TaskShape): Promise<MissingRight[]> {
    const destinations = task.endpoints.filter((e) => e.role === 'destination').length;
    const sourcesWritten = writesSources(task.workflow_action, destinations);
    const needs: Array<{ attribute: string; storage: GuardedStorage; need: Right }> = [];
    for (const e of task.endpoints) {
      const storage = AccessService.guarded(e);
      if (!storage) continue;
      const attribute = `${e.attribute}.${storage.resource === 'pools' ? 'pool_id' : 'storage_id'}`;
      needs.push({ attribute, storage, need: requiredRight(task.workflow_action, e.role, sourcesWritten) });
    }
    const backup = task.workflow_action === 'restore' ? task.options.execution_task_id : undefined;
    if (typeof backup === 'string' && backup !== '') {
      // A restore reads the storages that hold the backup: the backup run's destinations.
      const run = await this.executions.findById(backup);
      const snapshot = run ? (JSON.parse(run.task_snapshot) as { destinations?: Array<{ type: string; storage_id?: string | null; pool_id?: string | null }> }) : {};
      for (const d of snapshot.destinations ?? []) {
        const storage = AccessService.guarded(d);
        if (storage) needs.push({ attribute: 'options.execution_task_id', storage, need: 'read' });
      }
    }
    const have = await this.rights(ownerId, needs.map((n) => n.storage));
    const out: MissingRight[] = [];
    for (const n of needs) {
      const h = have.get(n.storage.id) ?? { right: 'none' as Right, name: n.storage.id };
      if (!grants(h.right, n.need)) out.push({ attribute: n.attribute, storage: n.storage, name: h.name, need: n.need, have: h.right });
    }
    return out;
  }

  /** One sentence naming every missing right, or undefined when nothing is missing. */
  async refusal(ownerId: string, task: TaskShape): Promise<string | undefined> {
    const missing = await this.missing(ownerId, task);
    return missing.length === 0 ? undefined : missing.map((m) => describeMissing(m)).join('; ');
  }
}

/** The shape of a stored snapshot (an execution's) or a task's endpoint rows, for the checks. */
export function shapeOf(action: string, options: Record<string, unknown>, sources: Array<Omit<EndpointRef, 'attribute' | 'role'>>, destinations: Array<Omit<EndpointRef, 'attribute' | 'role'>>): TaskShape {
  return {
    workflow_action: action,
    options,
    endpoints: [
      ...sources.map((e, i) => ({ ...e, role: 'source' as const, attribute: `sources[${i}]` })),
      ...destinations.map((e, i) => ({ ...e, role: 'destination' as const, attribute: `destinations[${i}]` })),
    ],
  };
}

/** The shape of what an execution runs: its snapshot of the task, taken at run time. */
export function snapshotShape(row: Pick<ExecutionRow, 'task_snapshot'>): TaskShape {
  const snap = JSON.parse(row.task_snapshot) as { workflow_action: string; options?: Record<string, unknown>; sources?: TaskEndpoint[]; destinations?: TaskEndpoint[] };
  return shapeOf(snap.workflow_action, snap.options ?? {}, snap.sources ?? [], snap.destinations ?? []);
}
