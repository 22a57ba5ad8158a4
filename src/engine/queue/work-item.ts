/**
 * What the dispatcher plans and the movers carry out. Every decision (destination name after a
 * rename, overwrite or not) is taken at planning time and written into the batch, so a mover that
 * redoes a batch after a crash does exactly the same thing again: each operation is idempotent.
 */

/** `copy`: write src to dst. `move`: copy, verify, record, then remove src. `erase`: remove src
 *  (or move it to the trash with soft_erase). `scan`: record src in the catalog. `verify`: compare
 *  dst with src (check_consistency). `mkdir`: create an (empty) directory at dst. `skip`: nothing to do
 *  (existing destination with conflict_resolution ignore, symlinks…), counted as done with its reason.
 *  `speedtest`: write `size` bytes to `src.path` on the tested storage, read them back, remove them.
 *  `fail`: a failure found while planning (a folder that could not be listed, a destination folder
 *  whose listing a conflict decision needed): recorded as a failed file with its `error`, not retried. */
export type WorkOp = 'copy' | 'move' | 'erase' | 'scan' | 'verify' | 'mkdir' | 'skip' | 'speedtest' | 'fail';

import type { StorageErrorCode } from '../../storage/errors.js';

/** A path on one of the execution's endpoints (index into the snapshot's sources or destinations). */
export interface EndpointPath {
  ep: number;
  path: string;
}

export interface WorkItem {
  /** Unique within the execution; the ledger's key. */
  key: string;
  op: WorkOp;
  src: EndpointPath;
  dst?: EndpointPath;
  size: number;
  mtimeMs: number;
  atimeMs?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Why an item is skipped (for the ledger). */
  note?: string;
  /** Backups: where this file's bytes are kept (an earlier snapshot, for an unchanged file). */
  stored?: { storageId: string; path: string };
  /**
   * `copy` under conflict_resolution rename with `file_checksum`: the file already at this path has
   * the same size and mtime; if its checksum equals the source's the item is a skip, else `dst` is
   * written (a name the planner reserved).
   */
  unlessSame?: string;
  /** `fail`: the error to record (a StorageError's code and message). */
  error?: { code: StorageErrorCode; message: string };
}

/** A claimed batch as movers see it. */
export interface Batch {
  id: string;
  executionId: string;
  seq: number;
  items: WorkItem[];
  attempts: number;
  /** Counts the batch row held when claimed (from an earlier partial run). */
  persisted: { doneFiles: number; doneBytes: number; failedFiles: number };
  /**
   * Items an earlier claim finished without a ledger row (see {@link FinishedItems}); a re-claim
   * skips them and counts them as done. Absent on a first claim.
   */
  finished?: FinishedItems;
}

/**
 * Items of a batch finished without a ledger row: `[index in items, size done]`. Why per batch and
 * not per file: successes of plain copies and skips get no ledger row without `full_report` (the
 * hottest write of a small-file copy, issue #14); a mover handing a batch back records them here once.
 */
export type FinishedItems = ReadonlyArray<readonly [number, number]>;

/** Ledger statuses. `copied` = destination verified, source not yet removed (move). */
export type LedgerStatus = 'done' | 'skipped' | 'copied' | 'failed';
