/**
 * The work queue between the dispatcher and the movers. Embedded: a table in the SQL store claimed
 * with a lease (store/work-queue-repository.ts). Behind this interface so a distributed queue (BullMQ
 * on Redis, with the SQL store as the source of truth) can replace it without touching either side.
 */
import type { Batch, FinishedItems, WorkItem } from './work-item.js';

export interface NewBatch {
  seq: number;
  items: WorkItem[];
  files: number;
  bytes: number;
}

/** The walk's checkpoint, written in the same transaction as the batches it planned. */
export interface WalkCheckpoint {
  cursor: string;
  /** Additions to the execution's todo counters. */
  addFiles: number;
  addBytes: number;
  batchesPlanned: number;
}

export interface BatchCounts {
  doneFiles: number;
  doneBytes: number;
  failedFiles: number;
}

/** What a mover reports of a batch it works on: its counts so far and the bytes of files in flight. */
export interface BatchProgress extends BatchCounts {
  id: string;
  inflightBytes: number;
}

/** The sums over an execution's batches, with the in-flight bytes its movers last reported. */
export interface BatchTotals extends BatchCounts {
  inflightBytes: number;
}

export interface WorkQueue {
  /**
   * Stores batches and the checkpoint atomically; the batches become claimable at `now`. Why `now`
   * comes from the caller: every time the store records is the engine's clock, so a test (or a
   * process whose clock is injected) never mixes it with the wall clock.
   */
  enqueue(executionId: string, batches: NewBatch[], checkpoint: WalkCheckpoint, now: Date): Promise<string[]>;
  /** Executions that have claimable batches and may run now (not paused/stopping/finished). */
  runnable(now: Date): Promise<string[]>;
  /**
   * Leases one batch by id (a transport delivered it): `held` when another mover's lease still runs
   * or it is not due yet (try later), `gone` when it is finished, cancelled, or its execution does
   * not run now (paused, stopping: it is delivered again when it does).
   */
  claimById(batchId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | 'held' | 'gone'>;
  /** Ids of an execution's batches that are queued and due, in order (a transport's reconciliation). */
  queuedIds(executionId: string, now: Date, limit: number): Promise<string[]>;
  /** Leases the next batch of an execution to `owner`, or undefined. */
  claim(executionId: string, owner: string, leaseMs: number, now: Date): Promise<Batch | undefined>;
  /**
   * Extends the leases of `owner`'s batches and records their progress. Why progress rides on the
   * heartbeat: a dispatcher in another process learns what a mover did only from the store.
   */
  heartbeat(owner: string, batches: BatchProgress[], leaseMs: number, now: Date): Promise<void>;
  /** Marks a batch done with its final counts. */
  complete(batchId: string, counts: BatchCounts, now: Date): Promise<void>;
  /**
   * Gives a batch back (pause, stop, shutdown) keeping its counts; finished items are skipped on
   * re-claim — those with a ledger row through the ledger, the others through `finished` (kept on the
   * batch and handed to the next claim as `Batch.finished`).
   */
  release(batchId: string, counts: BatchCounts, now: Date, retryAt?: Date, finished?: FinishedItems): Promise<void>;
  /**
   * Returns expired leases to the queue (all leases of other owners when `allOtherOwners`: embedded
   * restart, whose earlier processes' permits of `parallel` are freed with them).
   */
  requeueExpired(now: Date, owner: string, allOtherOwners: boolean): Promise<number>;
  /**
   * Cancels what is not done (force_stop, stop). A leased batch keeps its owner until that mover has
   * written its last ledger rows and calls `abandon` (or its lease runs out): see `heldAfterCancel`.
   */
  cancel(executionId: string, now: Date): Promise<void>;
  /** The mover is done with a batch it held (cancelled under it, or given up): clears its lease. */
  abandon(batchId: string, owner: string, now: Date): Promise<void>;
  /** Cancelled batches whose mover has not let go yet (lease still running). */
  heldAfterCancel(executionId: string, now: Date): Promise<number>;
  /** Distinct owners of leased batches (a dispatcher starting up requeues those of dead processes). */
  leaseOwners(): Promise<string[]>;
  /** Returns every batch leased by `owner` to the queue, and frees its permits of `parallel` (that process is gone). */
  requeueOwner(owner: string, now: Date): Promise<number>;
  /** Batches not yet done (queued or leased). */
  openCount(executionId: string): Promise<{ queued: number; leased: number }>;
  /** Sums of the batches' counts (partial ones of batches in work included), and bytes in flight. */
  totals(executionId: string): Promise<BatchTotals>;
  /**
   * Every item planned so far for an execution, batch by batch in walk order, whatever the batches'
   * state. Why: a walk resumed after a crash must know the destination names already handed out.
   */
  plannedItems(executionId: string): AsyncIterable<WorkItem[]>;
}
