/**
 * Privileges on storages (migration 0006) and the SQL form of "may this user read this storage",
 * used to list only the storages a user may see. The rule itself is `effectiveRight` in
 * domain/privileges.ts; `readableBy` below is the same rule as a predicate, kept beside the loader of
 * the entries it judges (test/privileges.test.ts checks that lists and task checks agree).
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { GuardedResource, Right } from '../domain/privileges.js';
import type { Database, StoragePrivilegeRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';
import { UniqueTaken } from '../domain/conflicts.js';

/** A privilege with the name of its grantee (a username or a group name). */
export type PrivilegeWithName = StoragePrivilegeRow & { name: string };

/** A privilege to insert: the storage's foreign key follows from `resource`. */
export type NewPrivilege = Omit<StoragePrivilegeRow, 'resource' | 'nas_share_id' | 'cloud_bucket_id' | 'pool_id'> & { resource: GuardedResource };

/** The entries that name one user on one storage: their own, and their groups'. */
export interface UserEntries {
  user?: Right;
  groups: Right[];
}

export const PRIVILEGE_COLUMNS: ColumnSpec = {
  filters: { id: 'sp.id', privilege: 'sp.privilege', type: (eb, term) => (term.values[0] === 'user' ? eb('sp.user_id', 'is not', null) : eb('sp.group_id', 'is not', null)), created_at: 'sp.created_at', updated_at: 'sp.updated_at' },
  sorts: { id: 'sp.id', privilege: 'sp.privilege', created_at: 'sp.created_at', updated_at: 'sp.updated_at' },
};

/** Which foreign key holds a storage of each resource. */
const STORAGE_FK: Record<GuardedResource, 'nas_share_id' | 'cloud_bucket_id' | 'pool_id'> = {
  nas_shares: 'nas_share_id', cloud_buckets: 'cloud_bucket_id', pools: 'pool_id',
};

export class PrivilegeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  private named() {
    return this.db.selectFrom('storage_privileges as sp')
      .leftJoin('users as u', 'u.id', 'sp.user_id')
      .leftJoin('groups as g', 'g.id', 'sp.group_id');
  }

  async list(storageId: string, query: ListQuery): Promise<{ count: number; rows: PrivilegeWithName[] }> {
    const base = applyFilters(this.named().where('sp.storage_id', '=', storageId), query.filters, PRIVILEGE_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('sp').select((eb) => eb.fn.coalesce('u.username', 'g.name').as('name')), query.sort, PRIVILEGE_COLUMNS, [['sp.created_at', 'asc'], ['sp.id', 'asc']], this.dialect)
      .limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows: rows as PrivilegeWithName[] };
  }

  async find(storageId: string, id: string): Promise<PrivilegeWithName | undefined> {
    const row = await this.named().selectAll('sp').select((eb) => eb.fn.coalesce('u.username', 'g.name').as('name'))
      .where('sp.storage_id', '=', storageId).where('sp.id', '=', id).executeTakeFirst();
    return row as PrivilegeWithName | undefined;
  }

  /** Inserts a privilege (its storage's foreign key filled from `resource`); a second one for the same storage and grantee is `UniqueTaken('name')`. */
  async insert(row: NewPrivilege): Promise<void> {
    const full: StoragePrivilegeRow = { ...row, nas_share_id: null, cloud_bucket_id: null, pool_id: null };
    full[STORAGE_FK[row.resource]] = row.storage_id;
    try {
      await this.db.insertInto('storage_privileges').values(full).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('name');
      throw err;
    }
  }

  async update(id: string, privilege: Right, updatedAt: string): Promise<void> {
    await this.db.updateTable('storage_privileges').set({ privilege, updated_at: updatedAt }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('storage_privileges').where('id', '=', id).execute();
  }

  /** The entries naming `userId` (directly or through a group) on each of `storageIds`. */
  async entriesFor(userId: string, storageIds: string[]): Promise<Map<string, UserEntries>> {
    const out = new Map<string, UserEntries>();
    if (storageIds.length === 0) return out;
    const rows = await this.db.selectFrom('storage_privileges as sp')
      .select(['sp.storage_id', 'sp.user_id', 'sp.privilege'])
      .where('sp.storage_id', 'in', [...new Set(storageIds)])
      .where((eb) => eb.or([
        eb('sp.user_id', '=', userId),
        eb('sp.group_id', 'in', eb.selectFrom('group_members as gm').select('gm.group_id').where('gm.user_id', '=', userId)),
      ]))
      .execute();
    for (const r of rows) {
      const e = out.get(r.storage_id) ?? { groups: [] };
      if (r.user_id !== null) e.user = r.privilege as Right;
      else e.groups.push(r.privilege as Right);
      out.set(r.storage_id, e);
    }
    return out;
  }
}

/**
 * SQL: the user may at least read the row of `table` in scope (its `id` and `guest_right`) — the
 * user's own entry if any, else the best of their groups' entries if any, else the guest right.
 */
export function readableBy(eb: ExpressionBuilder<any, any>, table: GuardedResource, userId: string): Expression<SqlBool> {
  const entries = (grantee: 'user' | 'group', readOnly: boolean) => {
    let q = eb.selectFrom('storage_privileges as sp').select('sp.id').whereRef('sp.storage_id', '=', `${table}.id`);
    q = grantee === 'user'
      ? q.where('sp.user_id', '=', userId)
      : q.where('sp.group_id', 'in', eb.selectFrom('group_members as gm').select('gm.group_id').where('gm.user_id', '=', userId));
    return readOnly ? q.where('sp.privilege', '<>', 'none') : q;
  };
  return eb.or([
    eb.exists(entries('user', true)),
    eb.and([
      eb.not(eb.exists(entries('user', false))),
      eb.or([
        eb.exists(entries('group', true)),
        eb.and([eb.not(eb.exists(entries('group', false))), eb(`${table}.guest_right`, '<>', 'none')]),
      ]),
    ]),
  ]);
}

/** SQL: a parent (NAS, cloud connector) holds at least one child storage the user may read. */
export function holdsReadable(eb: ExpressionBuilder<any, any>, parent: 'nas' | 'cloud_connectors', userId: string): Expression<SqlBool> {
  const [child, fk] = parent === 'nas' ? (['nas_shares', 'nas_id'] as const) : (['cloud_buckets', 'cloud_connector_id'] as const);
  return eb.exists(eb.selectFrom(child).select(`${child}.id`).whereRef(`${child}.${fk}`, '=', `${parent}.id`).where((inner) => readableBy(inner, child, userId)));
}
