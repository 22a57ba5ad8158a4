/**
 * Messages between the copy pool (main thread) and its workers. Why a module of its own: both sides
 * import the shapes, and neither imports the other (the worker must not load the pool).
 *
 * Why a compact form (issue #14 follow-up): the structured clone of 64 job objects with long path
 * strings, and an outcome object per job back, were a large share of the engine thread's cost per small
 * file. A request carries each distinct root once, the per-job strings as one flat array and every
 * number as one Float64Array (copied as a block); a reply carries outcomes positionally the same way.
 * The worker rebuilds plain CopyJob objects on its own thread.
 */
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../lib/hashing.js';
import type { StorageErrorCode } from '../errors.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';

/**
 * Most jobs one message carries; also the length of each of a worker's two abort-flag regions. A message is one
 * group commit (copy-worker.ts): a batch of small files (CopyPool.runMany) travels as messages this
 * large; files queued one by one share messages of at most {@link MAX_SINGLES_PER_MESSAGE}.
 * Why 512 (a whole batch of the dispatcher, batchFiles): each group commit waits for two syncfs, and
 * fewer, larger commits were faster in A/B runs of 100,000 × 4 KiB files (issue #14): 256 against 64
 * ~12% on a slow disk, 512 against 256 ~10% on a fast one where the CPU is the limit (2.59–2.64 s
 * against 2.79–2.98); a batch is at most 64 MiB, so a message stays bounded.
 */
export const MAX_JOBS_PER_MESSAGE = 512;
export const MAX_SINGLES_PER_MESSAGE = 16;

/** Numbers per job in {@link WorkerRequest.nums}, at the offsets of {@link JOB}. */
export const JOB_NUMS = 12;
/**
 * Where each number of a job is in {@link WorkerRequest.nums} (from `k * JOB_NUMS`). Exported for the
 * worker's native path (native-copier.ts packNativeJob), which reads a request without decoding it.
 * `srcRoot`/`dstRoot`: indices into `roots`; `checksum`: index into CHECKSUM_ALGORITHMS, -1 for none;
 * `fsync`, `noReplace`: 1 or 0; NaN: not given.
 */
export const JOB = { id: 0, srcRoot: 1, dstRoot: 2, checksum: 3, fsync: 4, size: 5, mode: 6, uid: 7, gid: 8, mtimeMs: 9, atimeMs: 10, noReplace: 11 } as const;
/** Strings per job in {@link WorkerRequest.strs}: srcPath, dstPath, tempName (at `k * JOB_STRS + STR.*`). */
export const JOB_STRS = 3;
export const STR = { srcPath: 0, dstPath: 1, tempName: 2 } as const;

/**
 * Pool → worker: run these jobs in order. Job `k` of the message is aborted when `abortFlags[flagBase + k] === id`.
 * Built by {@link encodeRequest}, read by {@link decodeRequest}; NaN in `nums` is "not given".
 */
export interface WorkerRequest {
  readonly roots: readonly string[];
  readonly strs: readonly string[];
  readonly nums: Float64Array;
  /**
   * Where the message's abort flags start in the worker's flag array: 0, or MAX_JOBS_PER_MESSAGE for
   * the second of two messages a worker holds at once (copy-pool.ts). Absent: 0.
   */
  readonly flagBase?: number;
}

/** A job of a request with its id (the worker's view). */
export interface RequestJob {
  readonly id: number;
  readonly job: CopyJob;
}

const opt = (v: number | undefined): number => (v === undefined ? Number.NaN : v);
const back = (v: number): number | undefined => (Number.isNaN(v) ? undefined : v);

/** The compact request of `jobs`: their ids given in the same order, or the first one's (the others follow it). */
export function encodeRequest(jobs: readonly CopyJob[], ids: readonly number[] | number): WorkerRequest {
  const roots: string[] = [];
  const root = (r: string): number => {
    let i = roots.indexOf(r);
    if (i < 0) i = roots.push(r) - 1;
    return i;
  };
  // Filled by push, not `new Array(n)`: a holey array is cloned property by property (the sparse form),
  // a packed one as a block — half the cost on both threads for a message of 64 jobs.
  const strs: string[] = [];
  const nums = new Float64Array(jobs.length * JOB_NUMS);
  for (let k = 0; k < jobs.length; k++) {
    const j = jobs[k]!;
    strs.push(j.srcPath, j.dstPath, j.tempName);
    const o = k * JOB_NUMS;
    nums[o] = typeof ids === 'number' ? ids + k : ids[k]!;
    nums[o + 1] = root(j.srcRoot);
    nums[o + 2] = root(j.dstRoot);
    nums[o + 3] = j.checksum === null ? -1 : CHECKSUM_ALGORITHMS.indexOf(j.checksum);
    nums[o + 4] = j.fsync ? 1 : 0;
    nums[o + 5] = opt(j.size);
    nums[o + 6] = opt(j.mode);
    nums[o + 7] = opt(j.uid);
    nums[o + 8] = opt(j.gid);
    nums[o + 9] = opt(j.mtimeMs);
    nums[o + 10] = opt(j.atimeMs);
    nums[o + 11] = j.noReplace === undefined ? Number.NaN : j.noReplace ? 1 : 0;
  }
  return { roots, strs, nums };
}

/** How many jobs a request carries. */
export function requestLength(req: WorkerRequest): number {
  return req.nums.length / JOB_NUMS;
}

/** Job `k` of a request, as the pool was given it (absent optional fields stay absent). */
export function decodeJob(req: WorkerRequest, k: number): RequestJob {
  const { roots, strs, nums } = req;
  const o = k * JOB_NUMS;
  const s = k * JOB_STRS;
  const job: { -readonly [K in keyof CopyJob]: CopyJob[K] } = {
    srcRoot: roots[nums[o + 1]!]!, srcPath: strs[s]!, dstRoot: roots[nums[o + 2]!]!, dstPath: strs[s + 1]!, tempName: strs[s + 2]!,
    checksum: nums[o + 3]! < 0 ? null : (CHECKSUM_ALGORITHMS[nums[o + 3]!] as ChecksumAlgorithm), fsync: nums[o + 4] === 1,
  };
  const fields = ['size', 'mode', 'uid', 'gid', 'mtimeMs', 'atimeMs'] as const;
  for (let f = 0; f < fields.length; f++) {
    const v = back(nums[o + 5 + f]!);
    if (v !== undefined) job[fields[f]!] = v;
  }
  const nr = back(nums[o + 11]!);
  if (nr !== undefined) job.noReplace = nr === 1;
  return { id: nums[o]!, job };
}

/** The jobs of a request, as the pool was given them. */
export function decodeRequest(req: WorkerRequest): RequestJob[] {
  const out: RequestJob[] = [];
  for (let k = 0; k < requestLength(req); k++) out.push(decodeJob(req, k));
  return out;
}

/** A StorageError across the thread boundary. */
export interface SerializedStorageError {
  readonly code: StorageErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly sysCode?: string;
  readonly retryable: boolean;
}

/** The outcome of one job (the worker's view). `unreported`: bytes copied since its last progress message. */
export type JobOutcome =
  | { readonly id: number; readonly ok: true; readonly result: CopyJobResult; readonly unreported: number }
  | { readonly id: number; readonly ok: false; readonly error: SerializedStorageError; readonly unreported: number };

/**
 * The outcomes of a whole request, positionally (job `k` of the request): `sizes[k]` its size (NaN:
 * failed, see `errors`), `unreported[k]`, `checksums[k]`. `dir` of a result does not cross: only the
 * worker's file-by-file mode reads it.
 */
export interface DoneReply {
  readonly type: 'done';
  readonly sizes: Float64Array;
  readonly unreported: Float64Array;
  readonly checksums: ReadonlyArray<string | null>;
  /** Failed jobs: [position, error]. */
  readonly errors: ReadonlyArray<readonly [number, SerializedStorageError]>;
  /** Made durable as one group commit with syncfs, rather than file by file. */
  readonly grouped: boolean;
  /** How many of its jobs the native copier ran (native-copier.ts). */
  readonly native?: number;
  /** Its renames were made durable by the next message's first syncfs (copy-worker.ts `held`). */
  readonly carried?: boolean;
}

/** Worker → pool: progress of a running job, or the outcomes of a whole request once durable. */
export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly bytes: number }
  | DoneReply;

/** The compact reply of the outcomes of a request, in request order. */
export function encodeDone(outcomes: readonly JobOutcome[], grouped: boolean, native?: number): DoneReply {
  const sizes = new Float64Array(outcomes.length);
  const unreported = new Float64Array(outcomes.length);
  const checksums: Array<string | null> = []; // packed (see encodeRequest)
  const errors: Array<readonly [number, SerializedStorageError]> = [];
  for (let k = 0; k < outcomes.length; k++) {
    const o = outcomes[k]!;
    unreported[k] = o.unreported;
    if (o.ok) {
      sizes[k] = o.result.size;
      checksums.push(o.result.checksum);
    } else {
      sizes[k] = Number.NaN;
      checksums.push(null);
      errors.push([k, o.error]);
    }
  }
  return native === undefined ? { type: 'done', sizes, unreported, checksums, errors, grouped } : { type: 'done', sizes, unreported, checksums, errors, grouped, native };
}
