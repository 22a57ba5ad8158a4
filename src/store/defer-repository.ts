/** Deferred runs: a stored, single-use capability to start a task later (the defer_id is its key). */
import type { Kysely } from 'kysely';
import type { Database, DeferTokenRow } from './schema.js';

export class DeferRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: DeferTokenRow): Promise<void> {
    await this.db.insertInto('defer_tokens').values(row).execute();
  }

  async find(tokenHash: string): Promise<DeferTokenRow | undefined> {
    return this.db.selectFrom('defer_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  /** Marks the token spent; false if somebody spent it first (single use under concurrency). */
  async spend(tokenHash: string, usedAt: string, executionId: string): Promise<boolean> {
    const r = await this.db.updateTable('defer_tokens').set({ used_at: usedAt, execution_id: executionId }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives a token back when the run it started could not be created. */
  async unspend(tokenHash: string): Promise<void> {
    await this.db.updateTable('defer_tokens').set({ used_at: null, execution_id: null }).where('token_hash', '=', tokenHash).execute();
  }

  async purgeExpired(now: string): Promise<void> {
    await this.db.deleteFrom('defer_tokens').where('expires_at', '<', now).execute();
  }
}
