/** Groups of users and their members in the SQL store (migration 0006). */
import type { Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, GroupRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';
import { UniqueTaken } from '../domain/conflicts.js';

export const GROUP_COLUMNS: ColumnSpec = {
  filters: { id: 'id', name: 'name', comment: 'comment', created_at: 'created_at', updated_at: 'updated_at' },
  sorts: { id: 'id', name: 'name', comment: 'comment', created_at: 'created_at', updated_at: 'updated_at' },
};

export class GroupRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async list(query: ListQuery): Promise<{ count: number; rows: GroupRow[] }> {
    const base = applyFilters(this.db.selectFrom('groups'), query.filters, GROUP_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, GROUP_COLUMNS, [['name', 'asc'], ['id', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  async findById(id: string): Promise<GroupRow | undefined> {
    return this.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByName(name: string): Promise<GroupRow | undefined> {
    return this.db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Inserts a group with its members (user ids) in one transaction. */
  async insert(row: GroupRow, userIds: string[]): Promise<void> {
    await this.unique(() => this.db.transaction().execute(async (trx) => {
      await trx.insertInto('groups').values(row).execute();
      if (userIds.length > 0) await trx.insertInto('group_members').values(userIds.map((user_id) => ({ group_id: row.id, user_id }))).execute();
    }));
  }

  /** Updates a group; `userIds`, when given, replaces its members. */
  async update(id: string, patch: Partial<GroupRow>, userIds?: string[]): Promise<void> {
    await this.unique(() => this.db.transaction().execute(async (trx) => {
      await trx.updateTable('groups').set(patch).where('id', '=', id).execute();
      if (userIds === undefined) return;
      await trx.deleteFrom('group_members').where('group_id', '=', id).execute();
      if (userIds.length > 0) await trx.insertInto('group_members').values(userIds.map((user_id) => ({ group_id: id, user_id }))).execute();
    }));
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('groups').where('id', '=', id).execute();
  }

  /** The usernames of each group's members, sorted. */
  async memberNames(groupIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return out;
    const rows = await this.db.selectFrom('group_members as m').innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.group_id', 'u.username']).where('m.group_id', 'in', groupIds).orderBy('u.username').execute();
    for (const r of rows) out.get(r.group_id)?.push(r.username);
    return out;
  }

  /** The names of the groups each user belongs to, sorted. */
  async namesOfUsers(userIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return out;
    const rows = await this.db.selectFrom('group_members as m').innerJoin('groups as g', 'g.id', 'm.group_id')
      .select(['m.user_id', 'g.name']).where('m.user_id', 'in', userIds).orderBy('g.name').execute();
    for (const r of rows) out.get(r.user_id)?.push(r.name);
    return out;
  }

  private async unique(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('name');
      throw err;
    }
  }
}
