/**
 * The engine lease (engine/engine-lease.ts) as one row of `engine_lease`, taken or renewed with a
 * single conditional upsert — atomic on SQLite and PostgreSQL alike, so two processes racing for it
 * cannot both win.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { EngineLease } from '../engine/dispatcher/engine-lease.js';

const ROW = 1;

export class SqlEngineLease implements EngineLease {
  constructor(private readonly db: Kysely<Database>) {}

  async acquire(owner: string, now: Date, ttlMs: number, deadHolder?: string): Promise<boolean> {
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    const row = await this.db
      .insertInto('engine_lease')
      .values({ id: ROW, owner, expires_at: expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ owner, expires_at: expires })
        .where((eb) => eb.or([
          eb('engine_lease.owner', '=', owner),
          eb('engine_lease.expires_at', '<', now.toISOString()),
          ...(deadHolder !== undefined ? [eb('engine_lease.owner', '=', deadHolder)] : []),
        ])))
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  }

  async release(owner: string): Promise<void> {
    await this.db.deleteFrom('engine_lease').where('id', '=', ROW).where('owner', '=', owner).execute();
  }

  async holder(now: Date): Promise<string | undefined> {
    const row = await this.db.selectFrom('engine_lease').select(['owner', 'expires_at']).where('id', '=', ROW).executeTakeFirst();
    return row && row.expires_at >= now.toISOString() ? row.owner : undefined;
  }
}
