/**
 * The embedded work queue: batches in a table, claimed with `UPDATE … RETURNING` under a lease that
 * movers renew; expired leases return to the queue. On PostgreSQL the claim skips rows locked by
 * other movers (`FOR UPDATE SKIP LOCKED`), so several hosts can share one store.
 *
 * Two savings for the statements run once or more per batch (issue #14, small files): they are built
 * and compiled once ({@link Prepared}), and a batch enqueued and first claimed in the same process
 * takes its items from memory instead of parsing them again ({@link RecentItems}).
 */
import { createQueryId, sql, type Compilable, type CompiledQuery, type ExpressionBuilder, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Database, WorkBatchRow } from './schema.js';
import type { Dialect } from './db.js';
import type { BatchCounts, BatchProgress, BatchTotals, NewBatch, WalkCheckpoint, WorkQueue } from '../engine/queue/work-queue.js';
import type { Batch, FinishedItems, WorkItem } from '../engine/queue/work-item.js';
import { newId } from '../lib/tokens.js';
import { decodeItems, encodeItems } from './work-items-codec.js';

/** Executions whose batches may be claimed. */
const RUNNABLE_STATES = ['calculating', 'in_progress'] as const;

function iso(d: Date): string {
  return d.toISOString();
}

/** Marks a named value in a query built by {@link Prepared} (no real parameter starts with NUL). */
const MARK = '\u0000';

/**
 * A statement Kysely builds and compiles once, then runs with fresh values of its named parameters.
 * Why: Kysely builds and compiles every query anew, and for the queue's statements run per batch
 * (claim, complete, the claim loop's runnable, the walk's checkpoint) that showed in the engine
 * thread's profile; the SQL text is the one Kysely would compile each time (SQLite then reuses its
 * prepared statement: sqlite-statements.ts), on either dialect. How: `build` is called once with a
 * marker string in place of each named value; each run replaces the compiled parameters that are
 * markers and keeps the others (constants of the query).
 */
export class Prepared<V extends Record<string, unknown>, R> {
  private readonly compiled: CompiledQuery<R>;
  /** For each compiled parameter, the name of the value it takes, or undefined for a constant. */
  private readonly names: Array<keyof V | undefined>;

  constructor(build: (values: V) => Compilable<R>, names: ReadonlyArray<keyof V & string>) {
    this.compiled = build(Object.fromEntries(names.map((n) => [n, MARK + n])) as V).compile();
    this.names = this.compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? p.slice(MARK.length) : undefined));
    for (const n of names) if (!this.names.includes(n)) throw new Error(`prepared query: the value ${n} is not a parameter of ${this.compiled.sql}`);
  }

  /** Runs on `db` (the store, or a transaction of it). */
  run(db: Kysely<Database>, values: V): Promise<QueryResult<R>> {
    const { compiled, names } = this;
    const parameters = compiled.parameters.map((p, i) => {
      const n = names[i];
      return n === undefined ? p : values[n];
    });
    return db.executeQuery<R>({ query: compiled.query, sql: compiled.sql, parameters, queryId: createQueryId() });
  }
}

/**
 * Most characters of batches' stored items (work-items-codec.ts, ~120 per small file) kept by
 * {@link RecentItems}: ~16 batches of 256 small files (~1.5 MiB of heap: a walk that keeps pace with
 * the movers is a few batches ahead), fewer when paths are long. Why bounded: issue #14 caps a 1,000,000-file run at 300 MiB, and a walk far ahead of the
 * movers would otherwise keep every batch it planned (bench:copy-rss peaked at 293 MiB with 4 Mi).
 */
const RECENT_ITEMS_CHARS = 1 << 19;

/**
 * The items of the batches this process enqueued last, by batch id, for their first claim here. Why:
 * in one process the dispatcher that enqueued a batch and the mover that claims it share memory, and
 * parsing a batch's items again (~30 KB of JSON for 256 small files) was a visible share of the engine
 * thread per file. Why it is exact: a batch's items are written once, when it is enqueued, and never
 * changed; an entry is taken out by any claim of its batch, and used only for a first one (a re-claim
 * reads the row, as every claim on another host does). Oldest out first when over the bound.
 */
export class RecentItems {
  private readonly kept = new Map<string, { executionId: string; items: WorkItem[]; chars: number }>();
  private chars = 0;

  constructor(private readonly maxChars = RECENT_ITEMS_CHARS) {}

  /** Keeps a batch's items (`chars`: the length of their JSON). A copy of the list: the caller may reuse its own. */
  add(batchId: string, executionId: string, items: WorkItem[], chars: number): void {
    if (chars > this.maxChars) return;
    this.kept.set(batchId, { executionId, items: items.slice(), chars });
    this.chars += chars;
    for (const [id, e] of this.kept) {
      if (this.chars <= this.maxChars) break;
      this.kept.delete(id);
      this.chars -= e.chars;
    }
  }

  /** Takes a batch's items out (undefined when not kept). */
  take(batchId: string): WorkItem[] | undefined {
    const e = this.kept.get(batchId);
    if (e === undefined) return undefined;
    this.kept.delete(batchId);
    this.chars -= e.chars;
    return e.items;
  }

  /** Forgets an execution's batches (cancelled: none of them will be claimed). */
  forget(executionId: string): void {
    for (const [id, e] of this.kept) if (e.executionId === executionId) this.take(id);
  }

  /** Batches kept now. */
  get size(): number {
    return this.kept.size;
  }
}

export class SqlWorkQueue implements WorkQueue {
  /** Items of the batches enqueued here last, for their first claim here. */
  readonly recent: RecentItems;
  /** The statements run per batch, compiled once. */
  private readonly q;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    recent = new RecentItems(),
  ) {
    this.recent = recent;
    this.q = prepareStatements(db, dialect);
  }

  async enqueue(executionId: string, batches: NewBatch[], cp: WalkCheckpoint, at: Date): Promise<string[]> {
    const now = iso(at);
    const ids = batches.map(() => newId());
    const json = batches.map((b) => encodeItems(b.items));
    await this.db.transaction().execute(async (trx) => {
      if (batches.length > 0) {
        await trx.insertInto('work_batches').values(batches.map((b, i): WorkBatchRow => ({
          id: ids[i] as string, execution_id: executionId, seq: b.seq, state: 'queued', files: b.files, bytes: b.bytes,
          done_files: 0, done_bytes: 0, failed_files: 0, lease_owner: null, lease_until: null, attempts: 0, available_at: now, created_at: now, updated_at: now, inflight_bytes: 0,
          finished: null,
        }))).execute();
        await trx.insertInto('work_batch_items').values(batches.map((_, i) => ({ batch_id: ids[i] as string, items: json[i] as string }))).execute();
      }
      await this.q.checkpoint.run(trx, { executionId, cursor: cp.cursor, addFiles: cp.addFiles, addBytes: cp.addBytes, batchesPlanned: cp.batchesPlanned });
    });
    // Only once committed: a batch that was never written must not be found here.
    batches.forEach((b, i) => this.recent.add(ids[i] as string, executionId, b.items, (json[i] as string).length));
    return ids;
  }

  /**
   * A claimed row as a batch: a first claim takes the items enqueued here if they are still kept,
   * others read them (`work_batch_items`, apart from the row: migration 0020).
   */
  private async toBatch(row: WorkBatchRow): Promise<Batch> {
    const kept = this.recent.take(row.id);
    const attempts = Number(row.attempts);
    const items = kept !== undefined && attempts === 1 ? kept : decodeItems(await this.storedItems(row.id));
    const batch: Batch = {
      id: row.id, executionId: row.execution_id, seq: Number(row.seq), items, attempts,
      persisted: { doneFiles: Number(row.done_files), doneBytes: Number(row.done_bytes), failedFiles: Number(row.failed_files) },
    };
    if (row.finished) batch.finished = JSON.parse(row.finished) as FinishedItems;
    return batch;
  }

  /** A batch's stored items. A batch without them is a damaged store: claiming it as empty would lose its files. */
  private async storedItems(batchId: string): Promise<string> {
    const row = (await this.q.items.run(this.db, { batchId })).rows[0];
    if (row === undefined) throw new Error(`work queue: batch ${batchId} has no items (work_batch_items)`);
    return row.items;
  }

  async claimById(batchId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | 'held' | 'gone'> {
    const row = (await this.q.claimById.run(this.db, { batchId, owner, until: iso(new Date(now.getTime() + leaseMs)), now: iso(now) })).rows[0];
    if (row) return this.toBatch(row);
    const current = await this.db.selectFrom('work_batches as b').innerJoin('task_executions as e', 'e.id', 'b.execution_id')
      .select(['b.state', 'e.state as execution_state']).where('b.id', '=', batchId).executeTakeFirst();
    if (!current || !(RUNNABLE_STATES as readonly string[]).includes(current.execution_state)) return 'gone';
    return current.state === 'leased' || current.state === 'queued' ? 'held' : 'gone';
  }

  async queuedIds(executionId: string, now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('work_batches').select('id')
      .where('execution_id', '=', executionId).where('state', '=', 'queued').where(notIndexed(this.dialect, 'available_at'), '<=', iso(now))
      .orderBy('seq').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async runnable(now: Date): Promise<string[]> {
    const { rows } = await this.q.runnable.run(this.db, { now: iso(now) });
    return rows.map((r) => r.execution_id);
  }

  async claim(executionId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | undefined> {
    const row = (await this.q.claim.run(this.db, { executionId, owner, until: iso(new Date(now.getTime() + leaseMs)), now: iso(now) })).rows[0];
    return row ? this.toBatch(row) : undefined;
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
    await this.q.complete.run(this.db, { batchId, doneFiles: c.doneFiles, doneBytes: c.doneBytes, failedFiles: c.failedFiles, now: iso(now) });
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
    this.recent.forget(executionId);
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
    const { rows } = await this.q.openCount.run(this.db, { executionId });
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
      const rows = await this.db.selectFrom('work_batches as b').innerJoin('work_batch_items as i', 'i.batch_id', 'b.id').select(['b.seq', 'i.items'])
        .where('b.execution_id', '=', executionId).where('b.seq', '>', after).orderBy('b.seq').limit(200).execute();
      if (rows.length === 0) return;
      for (const r of rows) yield decodeItems(r.items);
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}

/**
 * A column of `work_batches` that must not choose the index (SQLite's `+column`): the next batches of
 * an execution are found through `work_batches_next` (execution, state, seq) in order, and SQLite
 * without statistics preferred `work_batches_claim` for the range on `available_at` — every queued
 * batch read and sorted per claim (migration 0020). PostgreSQL plans from its statistics.
 */
function notIndexed(dialect: Dialect, column: 'available_at'): RawBuilder<string> | 'available_at' {
  return dialect === 'sqlite' ? sql<string>`+${sql.ref(column)}` : column;
}

/** The queue's statements run per batch (or per look of the drain watch), built and compiled once. */
function prepareStatements(db: Kysely<Database>, dialect: Dialect) {
  const availableAt = notIndexed(dialect, 'available_at');
  const runnableCheck = (eb: ExpressionBuilder<Database, 'work_batches'>) => eb.exists(eb.selectFrom('task_executions as e').select('e.id').whereRef('e.id', '=', 'work_batches.execution_id').where('e.state', 'in', RUNNABLE_STATES));
  return {
    checkpoint: new Prepared((v: { executionId: string; cursor: string; addFiles: number; addBytes: number; batchesPlanned: number }) => db.updateTable('task_executions').set((eb) => ({
      walk_cursor: v.cursor,
      nodes_todo: eb('nodes_todo', '+', v.addFiles),
      size_todo: eb('size_todo', '+', v.addBytes),
      batches_planned: v.batchesPlanned,
    })).where('id', '=', v.executionId), ['executionId', 'cursor', 'addFiles', 'addBytes', 'batchesPlanned']),

    runnable: new Prepared((v: { now: string }) => db.selectFrom('work_batches as b')
      .innerJoin('task_executions as e', 'e.id', 'b.execution_id')
      .select('b.execution_id').distinct()
      .where('b.state', '=', 'queued').where('b.available_at', '<=', v.now)
      .where('e.state', 'in', RUNNABLE_STATES), ['now']),

    claim: new Prepared((v: { executionId: string; owner: string; until: string; now: string }) => {
      let next = db.selectFrom('work_batches').select('id')
        .where('execution_id', '=', v.executionId).where('state', '=', 'queued').where(availableAt, '<=', v.now)
        .orderBy('seq').limit(1);
      if (dialect === 'postgres') next = next.forUpdate().skipLocked();
      return db.updateTable('work_batches')
        .set((eb) => ({ state: 'leased', lease_owner: v.owner, lease_until: v.until, attempts: eb('attempts', '+', 1), updated_at: v.now }))
        .where('id', '=', (eb) => eb.selectFrom(next.as('n')).select('n.id'))
        .where('state', '=', 'queued')
        // In the same statement: a pause or stop written by another process wins over this claim.
        .where(runnableCheck)
        .returningAll();
    }, ['executionId', 'owner', 'until', 'now']),

    claimById: new Prepared((v: { batchId: string; owner: string; until: string; now: string }) => db.updateTable('work_batches')
      .set((eb) => ({ state: 'leased', lease_owner: v.owner, lease_until: v.until, attempts: eb('attempts', '+', 1), updated_at: v.now }))
      .where('id', '=', v.batchId)
      .where((eb) => eb.or([
        eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', v.now)]),
        // Its mover died: its lease ran out (the transport gave the batch back after as long).
        eb.and([eb('state', '=', 'leased'), eb('lease_until', '<', v.now)]),
      ]))
      .where(runnableCheck)
      .returningAll(), ['batchId', 'owner', 'until', 'now']),

    complete: new Prepared((v: { batchId: string; doneFiles: number; doneBytes: number; failedFiles: number; now: string }) => db.updateTable('work_batches').set({
      state: 'done', done_files: v.doneFiles, done_bytes: v.doneBytes, failed_files: v.failedFiles, lease_owner: null, lease_until: null, inflight_bytes: 0, updated_at: v.now,
    }).where('id', '=', v.batchId).where('state', '=', 'leased'), ['batchId', 'doneFiles', 'doneBytes', 'failedFiles', 'now']),

    items: new Prepared((v: { batchId: string }) => db.selectFrom('work_batch_items').select('items').where('batch_id', '=', v.batchId), ['batchId']),

    openCount: new Prepared((v: { executionId: string }) => db.selectFrom('work_batches').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('execution_id', '=', v.executionId).where('state', 'in', ['queued', 'leased']).groupBy('state'), ['executionId']),
  };
}
