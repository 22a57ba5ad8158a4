/**
 * What the webhook outbox and its sender need from the store (store/webhook-repository.ts), as the
 * work queue is a port of the dispatcher. The callbacks themselves are the `task_callbacks` rows of
 * `type: "webhook"` (their CRUD is the callbacks service's); deliveries and attempts are this feature's.
 */
import type { ExecutionRow, FileLedgerRow } from '../../store/schema.js';

export type WebhookEvent = 'started' | 'finished' | 'failed_file';
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ['started', 'finished', 'failed_file'];

/**
 * `pending` (an attempt is due at `next_attempt_at`), `delivered` (a 2xx), `failed` (the retry window
 * passed, or the delivery cannot be made: no URL, a secret that cannot be unsealed), `refused` (the
 * target is not allowed: BARGE_WEBHOOK_ALLOW), `gone` (the receiver answered 410: stop).
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'refused' | 'gone';

/** How one attempt ended. */
export type AttemptOutcome = 'delivered' | 'http_error' | 'network_error' | 'timeout' | 'refused' | 'gone' | 'not_sent';

/** A delivery to write: the event's body is fixed now, the attempts come later. */
export interface NewDelivery {
  id: string;
  callback_id: string;
  task_id: string;
  execution_id: string;
  event: WebhookEvent;
  /** '' for started/finished; for failed_file the SHA-256 (hex) of the ledger row's key. */
  subject: string;
  payload: string;
  created_at: string;
}

/** A started or finished event the store holds no delivery for yet. */
export interface MissingEvent {
  callbackId: string;
  event: 'started' | 'finished';
  execution: ExecutionRow;
}

/** An execution with failed files and a callback listening to failed_file, and how many it was sent. */
export interface FailurePair {
  callbackId: string;
  callbackCreatedAt: string;
  executionId: string;
  sent: number;
}

/** A delivery whose attempt is due, with where it goes (the callback's current URL and sealed secret). */
export interface DueDelivery {
  id: string;
  callback_id: string;
  event: WebhookEvent;
  payload: string;
  attempts: number;
  created_at: string;
  url: string | null;
  secret_sealed: string | null;
}

/** One attempt as recorded. */
export interface AttemptRecord {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: AttemptOutcome;
}

/** The delivery after an attempt. */
export interface DeliveryOutcome {
  state: DeliveryState;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  updated_at: string;
  finished_at: string | null;
}

export interface WebhookStore {
  /**
   * Started/finished events of webhook callbacks with no delivery yet: executions that started
   * (finished) at or after `since`, and after the callback was created; one execution only if given.
   */
  missingEvents(since: string, executionId?: string): Promise<MissingEvent[]>;
  /** Executions (active, or finished at or after `since`) with failed files, per listening callback. */
  failurePairs(since: string, executionId?: string): Promise<FailurePair[]>;
  /** Up to `limit` failed ledger rows of an execution written at or after `since`, in key order. */
  failedFiles(executionId: string, since: string, limit: number): Promise<FileLedgerRow[]>;
  /** Subjects of the failed_file deliveries of a callback for an execution. */
  sentSubjects(callbackId: string, executionId: string): Promise<Set<string>>;
  execution(id: string): Promise<ExecutionRow | undefined>;
  /** Writes deliveries, skipping those already recorded (same callback, execution, event, subject); returns how many were new. */
  record(rows: NewDelivery[]): Promise<number>;
  /**
   * Pending deliveries due at `now`, oldest due first (started before failed_file before finished),
   * except those of the callbacks in `exclude` (an attempt to them is in flight).
   */
  due(now: string, limit: number, exclude: string[]): Promise<DueDelivery[]>;
  /** When the next pending delivery due after `after` is due, if any (those due now are in `due`). */
  nextDue(after: string): Promise<string | undefined>;
  /**
   * Records an attempt and the delivery's new state, in one transaction, if the delivery is still
   * pending after `expectedAttempts` attempts (false: another sender recorded it meanwhile).
   */
  settle(id: string, expectedAttempts: number, attempt: AttemptRecord, outcome: DeliveryOutcome): Promise<boolean>;
  /** Deletes settled deliveries (and their attempts) last changed before `before`. */
  prune(before: string): Promise<number>;
}
