/**
 * Messages between the copy pool (main thread) and its workers. Why a module of its own: both sides
 * import the shapes, and neither imports the other (the worker must not load the pool).
 */
import type { StorageErrorCode } from '../errors.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';

/**
 * Most jobs one message carries; also the length of a worker's abort-flag array. A message is one
 * group commit (copy-worker.ts): a batch of small files (CopyPool.runMany) travels as messages this
 * large; files queued one by one share messages of at most {@link MAX_SINGLES_PER_MESSAGE}.
 */
export const MAX_JOBS_PER_MESSAGE = 64;
export const MAX_SINGLES_PER_MESSAGE = 16;

/** Pool → worker: run these jobs in order. Job `k` of the message is aborted when `abortFlags[k] === id`. */
export interface WorkerRequest {
  readonly jobs: ReadonlyArray<{ readonly id: number; readonly job: CopyJob }>;
}

/** A StorageError across the thread boundary. */
export interface SerializedStorageError {
  readonly code: StorageErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly sysCode?: string;
  readonly retryable: boolean;
}

/** The outcome of one job. `unreported`: bytes copied since its last progress message. */
export type JobOutcome =
  | { readonly id: number; readonly ok: true; readonly result: CopyJobResult; readonly unreported: number }
  | { readonly id: number; readonly ok: false; readonly error: SerializedStorageError; readonly unreported: number };

/**
 * Worker → pool: progress of a running job, or the outcomes of a whole request once durable
 * (`grouped`: made durable as one group commit with syncfs, rather than file by file; `native`: how
 * many of its jobs the native copier ran, native-copier.ts).
 */
export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly bytes: number }
  | { readonly type: 'done'; readonly outcomes: readonly JobOutcome[]; readonly grouped: boolean; readonly native?: number };
