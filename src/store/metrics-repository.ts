/**
 * What `GET /metrics` reads from the store at scrape time: a handful of aggregate queries, each served
 * by an index, so a Prometheus scrape every few seconds costs the store little whatever the history.
 * Counts come from the store (not from in-process counters) because the work is done by other
 * processes: the engine's worker thread, `barge mover` on other hosts, another API server.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** States whose queued batches a mover may take (as in work-queue-repository.ts). */
const RUNNABLE_STATES = ['calculating', 'in_progress'] as const;

/** A mover as the metrics show it. */
export interface MoverMetricsRow {
  name: string; state: string; last_heartbeat_at: string; files_done: number; bytes_done: number;
}

export class MetricsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Executions per state, over the whole history (index `task_executions_state`). */
  async executionsByState(): Promise<Array<{ state: string; count: number }>> {
    const rows = await this.db.selectFrom('task_executions').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    return rows.map((r) => ({ state: r.state, count: Number(r.n) }));
  }

  /** Batches in the queue (`queued`) and in a mover's hands (`leased`) (index `work_batches_claim`). */
  async batchesByState(): Promise<Array<{ state: string; count: number }>> {
    const rows = await this.db.selectFrom('work_batches').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', ['queued', 'leased']).groupBy('state').execute();
    return rows.map((r) => ({ state: r.state, count: Number(r.n) }));
  }

  /**
   * When the longest-waiting batch a mover could take now became available: queued, due, of a running
   * execution (a paused run's batches are not waiting for a mover). Undefined when none waits.
   */
  async oldestWaitingBatch(now: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('work_batches as b')
      .innerJoin('task_executions as e', 'e.id', 'b.execution_id')
      .select((eb) => eb.fn.min('b.available_at').as('oldest'))
      .where('b.state', '=', 'queued').where('b.available_at', '<=', now)
      .where('e.state', 'in', RUNNABLE_STATES)
      .executeTakeFirst();
    return row?.oldest ?? undefined;
  }

  /** Movers heard of since `since` (a mover that died long ago is not a series any more). */
  async movers(since: string): Promise<MoverMetricsRow[]> {
    const rows = await this.db.selectFrom('movers').select(['name', 'state', 'last_heartbeat_at', 'files_done', 'bytes_done'])
      .where('last_heartbeat_at', '>=', since).orderBy('name').execute();
    return rows.map((r) => ({ ...r, files_done: Number(r.files_done), bytes_done: Number(r.bytes_done) }));
  }

  /**
   * Failed files by error class, in executions that are active or finished since `since`: the
   * executions come from `task_executions_finished` (migration 0008), their failures from
   * `file_ledger_status (execution_id, status)`, so the old ledger is never read. A failure without
   * a class counts as `unknown`.
   */
  async failedFilesByClass(since: string): Promise<Array<{ errorClass: string; count: number }>> {
    const rows = await this.db.selectFrom('file_ledger as l')
      .innerJoin('task_executions as e', 'e.id', 'l.execution_id')
      .select([sql<string>`COALESCE(l.error_class, 'unknown')`.as('error_class'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('l.status', '=', 'failed')
      .where((eb) => eb.or([eb('e.finished_at', 'is', null), eb('e.finished_at', '>=', since)]))
      .groupBy(sql`COALESCE(l.error_class, 'unknown')`)
      .execute();
    return rows.map((r) => ({ errorClass: r.error_class, count: Number(r.n) }));
  }
}
