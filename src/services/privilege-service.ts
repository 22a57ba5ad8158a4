/**
 * Privileges on storages (Nodeum's container privileges): `{id, name, type: user | group,
 * privilege: none | read | read_write}` under `/nas_shares|cloud_buckets|pools/{id}/privileges`.
 * Admins manage them; the storage's `guest_right` (every authenticated user) is an attribute of the
 * storage itself. What a privilege means is in domain/privileges.ts.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import { GRANTEE_TYPES, RIGHTS, type GuardedResource, type Right } from '../domain/privileges.js';
import { UniqueTaken } from '../domain/conflicts.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { NewPrivilege, PrivilegeRepository, PrivilegeWithName } from '../store/privilege-repository.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { UserRepository } from '../store/user-repository.js';
import type { GroupRepository } from '../store/group-repository.js';
import type { Principal } from './principal.js';
import { checkFields, type FieldRules } from './registry-fields.js';
import { unwrapBody } from './request-body.js';

export interface PrivilegeView { id: string; name: string; type: 'user' | 'group'; privilege: Right; created_at: string; updated_at: string }

export const PRIVILEGE_LIST: ListSpec = {
  filters: { id: 'string', type: 'string', privilege: 'string', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'privilege', 'created_at', 'updated_at'],
};

const RULES: FieldRules = {
  name: { kind: 'string', required: true, max: 255 },
  type: { kind: 'enum', required: true, values: GRANTEE_TYPES },
  privilege: { kind: 'enum', required: true, values: RIGHTS },
};

const LABELS: Record<GuardedResource, string> = { nas_shares: 'NAS share', cloud_buckets: 'Cloud bucket', pools: 'Pool' };

function view(r: PrivilegeWithName): PrivilegeView {
  return { id: r.id, name: r.name, type: r.user_id !== null ? 'user' : 'group', privilege: r.privilege as Right, created_at: r.created_at, updated_at: r.updated_at };
}

export class PrivilegeService {
  constructor(
    private readonly privileges: PrivilegeRepository,
    private readonly storages: Record<GuardedResource, RegistryRepository<any>>,
    private readonly users: UserRepository,
    private readonly groups: GroupRepository,
    private readonly clock: Clock,
  ) {}

  async list(p: Principal, resource: GuardedResource, storageId: string, query: Record<string, unknown>): Promise<{ count: number; privileges: PrivilegeView[] }> {
    await this.storage(p, resource, storageId);
    const { count, rows } = await this.privileges.list(storageId, parseListQuery(query, PRIVILEGE_LIST));
    return { count, privileges: rows.map(view) };
  }

  async show(p: Principal, resource: GuardedResource, storageId: string, id: string): Promise<PrivilegeView> {
    await this.storage(p, resource, storageId);
    return view(await this.find(storageId, id));
  }

  /** Grants a user or a group a right on the storage; a second entry for the same grantee is `taken`. */
  async create(p: Principal, resource: GuardedResource, storageId: string, body: unknown): Promise<PrivilegeView> {
    await this.storage(p, resource, storageId);
    const errors = new ValidationErrors();
    const input = checkFields(unwrapBody(body, 'container_privilege'), RULES, false, errors);
    errors.throwIfAny();
    const name = input.name as string;
    const grantee = input.type === 'user' ? (await this.users.findByUsername(name))?.id : (await this.groups.findByName(name))?.id;
    if (grantee === undefined) throw invalid('name', { error: 'not_found', value: name }, `No ${input.type} named ${name}`);
    const now = this.clock.now().toISOString();
    const row: NewPrivilege = {
      id: newId(), resource, storage_id: storageId,
      user_id: input.type === 'user' ? grantee : null, group_id: input.type === 'group' ? grantee : null,
      privilege: input.privilege as Right, created_at: now, updated_at: now,
    };
    try {
      await this.privileges.insert(row);
    } catch (err) {
      if (err instanceof UniqueTaken) throw invalid('name', { error: 'taken', value: name }, `${name} already has a privilege on this storage; update it instead`);
      throw err;
    }
    return view({ ...row, nas_share_id: null, cloud_bucket_id: null, pool_id: null, name });
  }

  /** Changes the right; who it names is fixed (delete and create to name somebody else). */
  async update(p: Principal, resource: GuardedResource, storageId: string, id: string, body: unknown): Promise<PrivilegeView> {
    await this.storage(p, resource, storageId);
    const current = await this.find(storageId, id);
    const input = unwrapBody(body, 'container_privilege');
    const errors = new ValidationErrors();
    const accepted = checkFields({ privilege: input.privilege }, { privilege: RULES.privilege! }, false, errors);
    for (const fixed of ['name', 'type'] as const) {
      const was = fixed === 'name' ? current.name : view(current).type;
      if (input[fixed] !== undefined && input[fixed] !== was) errors.add(fixed, { error: 'frozen' }, `A privilege's ${fixed} cannot change; delete it and create another`);
    }
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    await this.privileges.update(id, accepted.privilege as Right, now);
    return view({ ...current, privilege: accepted.privilege as string, updated_at: now });
  }

  async destroy(p: Principal, resource: GuardedResource, storageId: string, id: string): Promise<void> {
    await this.storage(p, resource, storageId);
    await this.find(storageId, id);
    await this.privileges.delete(id);
  }

  private async storage(p: Principal, resource: GuardedResource, id: string): Promise<void> {
    if (!p.isAdmin) throw forbidden('Only an admin can see or change storage privileges');
    if (!(await this.storages[resource].findById(id))) throw notFound(LABELS[resource]);
  }

  private async find(storageId: string, id: string): Promise<PrivilegeWithName> {
    const row = await this.privileges.find(storageId, id);
    if (!row) throw notFound('Privilege');
    return row;
  }
}
