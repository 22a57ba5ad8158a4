/**
 * Messages between the copy pool (main thread) and its workers. Why a module of its own: both sides
 * import the shapes, and neither imports the other (the worker must not load the pool).
 */
import type { StorageErrorCode } from '../errors.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';

/** Pool → worker: run this job. */
export interface WorkerRequest {
  readonly id: number;
  readonly job: CopyJob;
}

/** A StorageError across the thread boundary. */
export interface SerializedStorageError {
  readonly code: StorageErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly sysCode?: string;
  readonly retryable: boolean;
}

/** Worker → pool. `unreported`: bytes copied since the last progress message. */
export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly bytes: number }
  | { readonly type: 'done'; readonly id: number; readonly result: CopyJobResult; readonly unreported: number }
  | { readonly type: 'fail'; readonly id: number; readonly error: SerializedStorageError; readonly unreported: number };
