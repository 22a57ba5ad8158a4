/**
 * Shapes of the optional `transferBatch` capability of a storage driver (driver.ts): many whole-file
 * copies to one destination driver in one call, with one outcome per file.
 *
 * Why a call for many files: a small file costs the engine more in per-file bookkeeping (a promise
 * chain, a message to a copy worker and its reply, a group commit shared with few others) than the
 * copy itself; a batch travels as one request, its files are made durable together (one group commit
 * per message) and come back as one answer (issue #14). The guarantees are those of `transferTo`, file
 * by file: nothing visible before it is written, verified and durable; a failure is that file's only.
 */
import type { StorageError } from './errors.js';
import type { TransferToOptions, TransferToResult } from './driver.js';

/** One file of a batch: source path, destination path, and that file's write options. */
export interface BatchTransferFile {
  readonly path: string;
  readonly dstPath: string;
  /** As `transferTo`'s options, without `signal` and `onBytes` (the batch's own). */
  readonly options?: Omit<TransferToOptions, 'signal' | 'onBytes'>;
}

/** Options of the whole batch. */
export interface BatchTransferOptions {
  /** Aborts every file not yet published (each then fails with `aborted`). */
  readonly signal?: AbortSignal;
  /** Progress of the whole batch: byte counts that add up to the bytes copied. */
  readonly onBytes?: (bytes: number) => void;
}

/** What became of one file of a batch, in the order of the request: its result, or why it failed. */
export type BatchTransferOutcome = TransferToResult | StorageError;
