/**
 * The embedded work queue: batches in a table, claimed with `UPDATE … RETURNING` under a lease that
 * movers renew; expired leases return to the queue. On PostgreSQL the claim skips rows locked by
 * other movers (`FOR UPDATE SKIP LOCKED`), so several hosts can share one store.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, WorkBatchRow } from './schema.js';
import type { Dialect } from './db.js';
import type { BatchCounts, BatchProgress, BatchTotals, NewBatch, WalkCheckpoint, WorkQueue } from '../engine/queue/work-queue.js';
import type { Batch, FinishedItems, WorkItem } from '../engine/queue/work-item.js';
import { newId } from '../lib/tokens.js';

/** Executions whose batches may be claimed. */
const RUNNABLE_STATES = ['calculating', 'in_progress'] as const;

function iso(d: Date): string {
  return d.toISOString();
}

function toBatch(row: WorkBatchRow): Batch {
  const batch: Batch = {
    id: row.id, executionId: row.execution_id, seq: Number(row.seq), items: JSON.parse(row.items) as WorkItem[], attempts: Number(row.attempts),
    persisted: { doneFiles: Number(row.done_files), doneBytes: Number(row.done_bytes), failedFiles: Number(row.failed_files) },
  };
  if (row.finished) batch.finished = JSON.parse(row.finished) as FinishedItems;
  return batch;
}

export class SqlWorkQueue implements WorkQueue {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async enqueue(executionId: string, batches: NewBatch[], cp: WalkCheckpoint, at: Date): Promise<string[]> {
    const now = iso(at);
    const ids = batches.map(() => newId());
    await this.db.transaction().execute(async (trx) => {
      if (batches.length > 0) {
        await trx.insertInto('work_batches').values(batches.map((b, i): WorkBatchRow => ({
          id: ids[i] as string, execution_id: executionId, seq: b.seq, state: 'queued', items: JSON.stringify(b.items), files: b.files, bytes: b.bytes,
          done_files: 0, done_bytes: 0, failed_files: 0, lease_owner: null, lease_until: null, attempts: 0, available_at: now, created_at: now, updated_at: now, inflight_bytes: 0,
          finished: null,
        }))).execute();
      }
      await trx.updateTable('task_executions').set((eb) => ({
        walk_cursor: cp.cursor,
        nodes_todo: eb('nodes_todo', '+', cp.addFiles),
        size_todo: eb('size_todo', '+', cp.addBytes),
        batches_planned: cp.batchesPlanned,
      })).where('id', '=', executionId).execute();
    });
    return ids;
  }

  async claimById(batchId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | 'held' | 'gone'> {
    const row = await this.db.updateTable('work_batches')
      .set((eb) => ({ state: 'leased', lease_owner: owner, lease_until: iso(new Date(now.getTime() + leaseMs)), attempts: eb('attempts', '+', 1), updated_at: iso(now) }))
      .where('id', '=', batchId)
      .where((eb) => eb.or([
        eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', iso(now))]),
        // Its mover died: its lease ran out (the transport gave the batch back after as long).
        eb.and([eb('state', '=', 'leased'), eb('lease_until', '<', iso(now))]),
      ]))
      .where((eb) => eb.exists(eb.selectFrom('task_executions as e').select('e.id').whereRef('e.id', '=', 'work_batches.execution_id').where('e.state', 'in', RUNNABLE_STATES)))
      .returningAll()
      .executeTakeFirst();
    if (row) return toBatch(row);
    const current = await this.db.selectFrom('work_batches as b').innerJoin('task_executions as e', 'e.id', 'b.execution_id')
      .select(['b.state', 'e.state as execution_state']).where('b.id', '=', batchId).executeTakeFirst();
    if (!current || !(RUNNABLE_STATES as readonly string[]).includes(current.execution_state)) return 'gone';
    return current.state === 'leased' || current.state === 'queued' ? 'held' : 'gone';
  }

  async queuedIds(executionId: string, now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('work_batches').select('id')
      .where('execution_id', '=', executionId).where('state', '=', 'queued').where('available_at', '<=', iso(now))
      .orderBy('seq').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async runnable(now: Date): Promise<string[]> {
    const rows = await this.db.selectFrom('work_batches as b')
      .innerJoin('task_executions as e', 'e.id', 'b.execution_id')
      .select('b.execution_id').distinct()
      .where('b.state', '=', 'queued').where('b.available_at', '<=', iso(now))
      .where('e.state', 'in', RUNNABLE_STATES)
      .execute();
    return rows.map((r) => r.execution_id);
  }

  async claim(executionId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | undefined> {
    let next = this.db.selectFrom('work_batches').select('id')
      .where('execution_id', '=', executionId).where('state', '=', 'queued').where('available_at', '<=', iso(now))
      .orderBy('seq').limit(1);
    if (this.dialect === 'postgres') next = next.forUpdate().skipLocked();
    const row = await this.db.updateTable('work_batches')
      .set((eb) => ({ state: 'leased', lease_owner: owner, lease_until: iso(new Date(now.getTime() + leaseMs)), attempts: eb('attempts', '+', 1), updated_at: iso(now) }))
      .where('id', '=', (eb) => eb.selectFrom(next.as('n')).select('n.id'))
      .where('state', '=', 'queued')
      // In the same statement: a pause or stop written by another process wins over this claim.
      .where((eb) => eb.exists(eb.selectFrom('task_executions as e').select('e.id').whereRef('e.id', '=', 'work_batches.execution_id').where('e.state', 'in', RUNNABLE_STATES)))
      .returningAll()
      .executeTakeFirst();
    return row ? toBatch(row) : undefined;
  }

  async heartbeat(owner: string, batches: BatchProgress[], leaseMs: number, now: Date): Promise<void> {
    if (batches.length === 0) return;
    const until = iso(new Date(now.getTime() + leaseMs));
    await this.db.transaction().execute(async (trx) => {
      for (const b of batches) {
        await trx.updateTable('work_batches')
          .set({ lease_until: until, done_files: b.doneFiles, done_bytes: b.doneBytes, failed_files: b.failedFiles, inflight_bytes: b.inflightBytes })
          .where('id', '=', b.id).where('lease_owner', '=', owner).where('state', '=', 'leased').execute();
      }
    });
  }

  async complete(batchId: string, c: BatchCounts, now: Date): Promise<void> {
    await this.db.updateTable('work_batches').set({
      state: 'done', done_files: c.doneFiles, done_bytes: c.doneBytes, failed_files: c.failedFiles, lease_owner: null, lease_until: null, inflight_bytes: 0, updated_at: iso(now),
    }).where('id', '=', batchId).where('state', '=', 'leased').execute();
  }

  async release(batchId: string, c: BatchCounts, now: Date, retryAt?: Date, finished?: FinishedItems): Promise<void> {
    await this.db.updateTable('work_batches').set({
      state: 'queued', done_files: c.doneFiles, done_bytes: c.doneBytes, failed_files: c.failedFiles, lease_owner: null, lease_until: null,
      inflight_bytes: 0, available_at: iso(retryAt ?? now), updated_at: iso(now),
      // Undefined: left as it is (what an earlier release recorded stays true).
      ...(finished === undefined ? {} : { finished: finished.length > 0 ? JSON.stringify(finished) : null }),
    }).where('id', '=', batchId).where('state', '=', 'leased').execute();
  }

  async requeueExpired(now: Date, owner: string, allOtherOwners: boolean): Promise<number> {
    let q = this.db.updateTable('work_batches').set({ state: 'queued', lease_owner: null, lease_until: null, inflight_bytes: 0, updated_at: iso(now) }).where('state', '=', 'leased');
    q = allOtherOwners
      ? q.where((eb) => eb.or([eb('lease_owner', '<>', owner), eb('lease_until', '<', iso(now))]))
      : q.where('lease_until', '<', iso(now));
    const r = await q.executeTakeFirst();
    // The permits of `parallel` those processes held go with their batches (mover/parallel-share.ts).
    if (allOtherOwners) await this.db.deleteFrom('parallel_permits').where('owner', '<>', owner).execute();
    return Number(r.numUpdatedRows);
  }

  async cancel(executionId: string, now: Date): Promise<void> {
    // Leased batches keep owner and lease: their mover may still be writing ledger rows (see abandon).
    await this.db.updateTable('work_batches').set({ state: 'cancelled', inflight_bytes: 0, updated_at: iso(now) })
      .where('execution_id', '=', executionId).where('state', 'in', ['queued', 'leased']).execute();
  }

  async abandon(batchId: string, owner: string, now: Date): Promise<void> {
    await this.db.updateTable('work_batches').set({ lease_owner: null, lease_until: null, inflight_bytes: 0, updated_at: iso(now) })
      .where('id', '=', batchId).where('lease_owner', '=', owner).where('state', '=', 'cancelled').execute();
  }

  async heldAfterCancel(executionId: string, now: Date): Promise<number> {
    const r = await this.db.selectFrom('work_batches').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('execution_id', '=', executionId).where('state', '=', 'cancelled').where('lease_owner', 'is not', null).where('lease_until', '>=', iso(now))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async leaseOwners(): Promise<string[]> {
    const rows = await this.db.selectFrom('work_batches').select('lease_owner').distinct().where('state', '=', 'leased').where('lease_owner', 'is not', null).execute();
    return rows.map((r) => r.lease_owner as string);
  }

  async requeueOwner(owner: string, now: Date): Promise<number> {
    const r = await this.db.updateTable('work_batches').set({ state: 'queued', lease_owner: null, lease_until: null, inflight_bytes: 0, updated_at: iso(now) })
      .where('state', '=', 'leased').where('lease_owner', '=', owner).executeTakeFirst();
    await this.db.deleteFrom('parallel_permits').where('owner', '=', owner).execute();
    return Number(r.numUpdatedRows);
  }

  async openCount(executionId: string): Promise<{ queued: number; leased: number }> {
    const rows = await this.db.selectFrom('work_batches').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('execution_id', '=', executionId).where('state', 'in', ['queued', 'leased']).groupBy('state').execute();
    const get = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
    return { queued: get('queued'), leased: get('leased') };
  }

  async totals(executionId: string): Promise<BatchTotals> {
    const r = await this.db.selectFrom('work_batches')
      .select([
        sql<number>`COALESCE(SUM(done_files), 0)`.as('f'),
        sql<number>`COALESCE(SUM(done_bytes), 0)`.as('b'),
        sql<number>`COALESCE(SUM(failed_files), 0)`.as('x'),
        sql<number>`COALESCE(SUM(inflight_bytes), 0)`.as('i'),
      ])
      .where('execution_id', '=', executionId).executeTakeFirstOrThrow();
    return { doneFiles: Number(r.f), doneBytes: Number(r.b), failedFiles: Number(r.x), inflightBytes: Number(r.i) };
  }

  async *plannedItems(executionId: string): AsyncIterable<WorkItem[]> {
    // Pages by seq: a walk of millions of files is read a few hundred batches at a time.
    for (let after = -1; ;) {
      const rows = await this.db.selectFrom('work_batches').select(['seq', 'items'])
        .where('execution_id', '=', executionId).where('seq', '>', after).orderBy('seq').limit(200).execute();
      if (rows.length === 0) return;
      for (const r of rows) yield JSON.parse(r.items) as WorkItem[];
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
