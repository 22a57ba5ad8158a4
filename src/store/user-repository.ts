/** Users and their API keys in the SQL store. */
import type { Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { ApiKeyRow, Database, UserRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';

export const USER_COLUMNS: ColumnSpec = {
  filters: { id: 'id', username: 'username', email: 'email', is_admin: 'is_admin', created_at: 'created_at', updated_at: 'updated_at' },
  sorts: { id: 'id', username: 'username', email: 'email', is_admin: 'is_admin', created_at: 'created_at', updated_at: 'updated_at' },
  nonText: ['is_admin'],
};

export const API_KEY_COLUMNS: ColumnSpec = {
  filters: { id: 'id', name: 'name', created_at: 'created_at', updated_at: 'updated_at' },
  sorts: { id: 'id', name: 'name', created_at: 'created_at', updated_at: 'updated_at', last_used_at: 'last_used_at' },
};

import { UniqueTaken } from '../domain/conflicts.js';
export { UniqueTaken };

export class UserRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async list(query: ListQuery): Promise<{ count: number; rows: UserRow[] }> {
    const base = applyFilters(this.db.selectFrom('users'), query.filters, USER_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, USER_COLUMNS, [['username', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  async findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  async insert(row: UserRow): Promise<void> {
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('username');
      throw err;
    }
  }

  async update(id: string, patch: Partial<UserRow>): Promise<void> {
    try {
      await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('username');
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('users').where('id', '=', id).execute();
  }

  async countAdmins(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('is_admin', '=', 1).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async countTasksOf(userId: string): Promise<number> {
    const r = await this.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // --- API keys

  async findKeyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
  }

  async listKeys(userId: string, query: ListQuery): Promise<{ count: number; rows: ApiKeyRow[] }> {
    const base = applyFilters(this.db.selectFrom('api_keys').where('user_id', '=', userId), query.filters, API_KEY_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, API_KEY_COLUMNS, [['created_at', 'asc'], ['id', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  async findKey(userId: string, id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  }

  async insertKey(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async updateKey(id: string, patch: Partial<ApiKeyRow>): Promise<void> {
    await this.db.updateTable('api_keys').set(patch).where('id', '=', id).execute();
  }

  async deleteKey(id: string): Promise<void> {
    await this.db.deleteFrom('api_keys').where('id', '=', id).execute();
  }
}
