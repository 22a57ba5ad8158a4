/**
 * Shares an execution's `parallel` out between movers (migration 0010). A mover asks for permits
 * before it runs files of an execution that sets `parallel`, gets what the others leave free, and
 * runs at most that many of its files at once; its heartbeat extends the lease of what it holds; it
 * gives them back when it has no batch of that execution left. Why in the store: it is the one
 * record every mover shares (no home-made cluster protocol), and a lease frees a dead mover's share.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './db.js';

export class PermitRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Takes up to `want` of the execution's `total` permits for `owner` (replacing what it held) and
   * returns how many it got: `total` less what other movers hold under a running lease, never less
   * than 0. SQLite serialises writers; on PostgreSQL a transaction-scoped advisory lock on the
   * execution serialises movers asking at once (READ COMMITTED would let both see the same sum).
   */
  async acquire(executionId: string, owner: string, want: number, total: number, now: Date, leaseMs: number): Promise<number> {
    const at = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtext(${`barge-permits:${executionId}`}))`.execute(trx);
      // A write first: on SQLite it takes the write lock now (waiting its turn), rather than a read
      // upgraded later, which fails at once when another process wrote in between.
      await trx.deleteFrom('parallel_permits').where('execution_id', '=', executionId).where('expires_at', '<=', at).execute();
      const others = trx.selectFrom('parallel_permits')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('permits'), sql<number>`0`).as('held'))
        .where('execution_id', '=', executionId).where('owner', '<>', owner).where('expires_at', '>', at);
      const held = Number((await others.executeTakeFirstOrThrow()).held);
      const granted = Math.max(0, Math.min(want, total - held));
      if (granted === 0) {
        await trx.deleteFrom('parallel_permits').where('execution_id', '=', executionId).where('owner', '=', owner).execute();
        return 0;
      }
      await trx.insertInto('parallel_permits').values({ execution_id: executionId, owner, permits: granted, expires_at: until })
        .onConflict((oc) => oc.columns(['execution_id', 'owner']).doUpdateSet({ permits: granted, expires_at: until }))
        .execute();
      return granted;
    });
  }

  /** The owner is alive: every permit it holds runs on for `leaseMs`. */
  async renew(owner: string, now: Date, leaseMs: number): Promise<void> {
    await this.db.updateTable('parallel_permits').set({ expires_at: new Date(now.getTime() + leaseMs).toISOString() }).where('owner', '=', owner).execute();
  }

  /** The owner has no batch of the execution left: its permits go back to the others. */
  async release(executionId: string, owner: string): Promise<void> {
    await this.db.deleteFrom('parallel_permits').where('execution_id', '=', executionId).where('owner', '=', owner).execute();
  }

  /** Permits of an execution under a running lease, by owner (tests, the movers page). */
  async held(executionId: string, now: Date): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('parallel_permits').select(['owner', 'permits'])
      .where('execution_id', '=', executionId).where('expires_at', '>', now.toISOString()).execute();
    return new Map(rows.map((r) => [r.owner, Number(r.permits)]));
  }
}
