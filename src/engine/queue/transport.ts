/**
 * How batches travel from the dispatcher to the movers when the SQL store is not the only way: a
 * transport carries batch ids only (never secrets, never file lists — movers read those from the
 * store, which stays the record). A job's id is its batch's id, so publishing twice is harmless;
 * what the transport loses (a Redis restarted empty) the dispatcher publishes again from the store.
 */

export interface PublishedBatch {
  id: string;
  executionId: string;
  /** Higher runs first (the task's `priority`). */
  priority: number;
}

/** Thrown by a handler that cannot take a batch yet (another mover still holds its lease): try later. */
export class NotYet extends Error {}

export interface LaneConsumer {
  close(): Promise<void>;
}

export interface BatchTransport {
  /** Puts batches in a lane (a no-op for those already there). */
  publish(lane: string, batches: PublishedBatch[]): Promise<void>;
  /** Batches waiting, delayed or being worked on in a lane. */
  pending(lane: string): Promise<number>;
  /** Runs `handler` for the lane's batches, `concurrency` at a time; a `NotYet` is retried later. */
  consume(lane: string, concurrency: number, handler: (batchId: string, executionId: string) => Promise<void>): LaneConsumer;
  close(): Promise<void>;
}
