/**
 * Entry of a copy worker thread (see copy-pool.ts): runs the jobs of one message in order with one
 * reused chunk buffer and pooled hashers, makes them durable, then answers with every outcome. A
 * message of several files is one group commit (two syncfs calls in all, fs-sync.ts) where syncfs can
 * be trusted; otherwise, and for a file alone, each file is fsynced and then each directory that
 * received one (a directory fsync covers every rename made in it before).
 *
 * Why abort through shared memory: a job is a blocking loop, so a message could not be read until it
 * ends; the pool writes the id of a job to abort into its flag, polled between chunks.
 *
 * Where the native copier is built and enabled (native-copier.ts), a group commit runs in one call of
 * it; the jobs it answers "fallback" for then run through the JavaScript group commit below.
 *
 * A message's reply may wait for the next message (carried-commit.ts): when the pool has already sent
 * the next one, the last syncfs of a native group commit is that next message's first.
 */
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createHasher, type Hasher } from '../../lib/hashing.js';
import { StorageError, classifyFsError } from '../errors.js';
import { closeStaged, closeStagedQuietly, discardStaged, publishStaged, runCopyJob, stageCopyJob, type CopyJob, type CopyJobEnv, type StagedCopy } from './copy-job.js';
import { fileSystemSync, type SyncFileSystem } from './fs-sync.js';
import {
  JOB, JOB_NUMS, MAX_JOBS_PER_MESSAGE, decodeJob, decodeRequest, encodeDone, requestLength, type DoneReply, type JobOutcome, type RequestJob,
  type WorkerReply, type WorkerRequest,
} from './copy-protocol.js';
import { switchThreadFsCredentials, type FsCredentials } from './fs-credentials.js';
import { CarriedCommit } from './carried-commit.js';
import { nameThisThread } from '../../lib/thread-name.js';
import { niceThisThread } from './thread-nice.js';
import {
  NATIVE_DONE, NATIVE_FALLBACK, NATIVE_JOB_NUMS, NATIVE_OUT_NUMS, loadNativeCopier, nativeDigest, nativeError, nativeId, nativeSize, nativeSlot,
  nativeStatus, nativeUnreported, packNativeJob,
} from './native-copier.js';

function switchOrRefuse(creds: FsCredentials | null): StorageError | null {
  if (creds === null) return null;
  try {
    switchThreadFsCredentials(creds);
    return null;
  } catch (err) {
    return err instanceof StorageError ? err : new StorageError('permission_denied', String(err));
  }
}

const { abortFlags, chunkBytes, progressBytes, progressMs, useSyncfs, credentials, nativeCopy, nice } = workerData as {
  abortFlags: SharedArrayBuffer; chunkBytes: number; progressBytes: number; progressMs: number; useSyncfs: boolean;
  credentials: FsCredentials | null; nativeCopy?: boolean; nice?: number;
};
/** Why this worker may not run any job: it was to run as a context user and could not switch (never run as root instead). */
const refusal = switchOrRefuse(credentials);
/** Null where syncfs cannot be trusted or loaded: every file is then fsynced on its own. */
const syncfs = fileSystemSync(useSyncfs);
/** Null where the addon is not built, cannot load, or is disabled: the JavaScript group commit runs. */
const native = syncfs === null ? null : loadNativeCopier(nativeCopy !== false);
/** The reply held for the next message's syncfs (carried-commit.ts); null without the native copier. */
const carried = native === null ? null : new CarriedCommit(native, post, serialize);
nameThisThread('barge-copy');
if (nice) niceThisThread(nice);
/** The abort flags of each of the pool's two message regions (a request's `flagBase`: 0 or MAX_JOBS_PER_MESSAGE). */
const regions = [new Int32Array(abortFlags, 0, MAX_JOBS_PER_MESSAGE), new Int32Array(abortFlags, 4 * MAX_JOBS_PER_MESSAGE, MAX_JOBS_PER_MESSAGE)] as const;
/** The flags of the message being run (messages run one at a time, see drain). */
let flags: Int32Array = regions[0];
const buffer = Buffer.allocUnsafe(chunkBytes);
const port = parentPort!;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

function serialize(err: unknown): Extract<JobOutcome, { ok: false }>['error'] {
  const e = err instanceof StorageError ? err : new StorageError('io', err instanceof Error ? err.message : String(err));
  return { code: e.code, message: e.message, path: e.path, sysCode: e.sysCode, retryable: e.retryable };
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

type Failure = ReturnType<typeof serialize>;

/** Hashers, chunk buffer, abort flag and progress of one job of the message at `slot`. */
async function envFor(slot: number, id: number, job: CopyJob): Promise<{ env: CopyJobEnv; unreported: () => number }> {
  // Hashers are created before the blocking part (xxhash64's first instance is an async WASM start).
  const hashers: Hasher[] = job.checksum ? [await createHasher(job.checksum), await createHasher(job.checksum)] : [];
  let pending = 0;
  let last = Date.now();
  const env: CopyJobEnv = {
    buffer,
    hasher: () => {
      const h = hashers.shift();
      if (!h) throw new StorageError('io', 'copy worker: no hasher left');
      return h;
    },
    aborted: () => Atomics.load(flags, slot) === id,
    progress: (n) => {
      pending += n;
      if (pending >= progressBytes || Date.now() - last >= progressMs) {
        post({ type: 'progress', id, bytes: pending });
        pending = 0;
        last = Date.now();
      }
    },
  };
  return { env, unreported: () => pending };
}

/** Each job on its own (runCopyJob: fsync per file), then one fsync per directory that received a file. */
async function oneByOne(jobs: readonly RequestJob[]): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (const [slot, { id, job }] of jobs.entries()) {
    const { env, unreported } = await envFor(slot, id, job);
    try {
      outcomes.push({ id, ok: true, result: runCopyJob(job, env), unreported: unreported() });
    } catch (err) {
      outcomes.push({ id, ok: false, error: serialize(err), unreported: unreported() });
    }
  }
  // Durability of the renames: one fsync per directory that received a file (data-safety rule 1).
  const failedDirs = new Map<string, Failure>();
  const dirs = new Set<string>();
  for (const [k, o] of outcomes.entries()) if (o.ok && jobs[k]!.job.fsync) dirs.add(o.result.dir);
  for (const dir of dirs) {
    try {
      fsyncDirectory(dir);
    } catch (err) {
      failedDirs.set(dir, serialize(classifyFsError(err)));
    }
  }
  return outcomes.map((o, k) => {
    const failure = o.ok ? failedDirs.get(o.result.dir) : undefined;
    return failure ? { id: o.id, ok: false, error: { ...failure, path: jobs[k]!.job.dstPath }, unreported: o.unreported } : o;
  });
}

/**
 * The whole message as one group commit (see fs-sync.ts): stage every file (written, verified, not
 * visible) → one syncfs per file system → rename each → one syncfs per file system again. A failed
 * syncfs fails every file it was to cover (retryable: the engine copies them again); before the
 * renames, their temp files are removed, so nothing unverified or undurable is ever published.
 */
async function asGroup(jobs: readonly SlottedJob[], syncfs: SyncFileSystem): Promise<JobOutcome[]> {
  const outcomes: Array<JobOutcome | undefined> = [];
  const staged: Array<{ k: number; staged: StagedCopy; env: CopyJobEnv; unreported: () => number }> = [];
  for (const [k, { slot, id, job }] of jobs.entries()) {
    const { env, unreported } = await envFor(slot, id, job);
    try {
      staged.push({ k, staged: stageCopyJob(job, env), env, unreported });
    } catch (err) {
      outcomes[k] = { id, ok: false, error: serialize(err), unreported: unreported() };
    }
  }
  // One descriptor per file system, opened before its data was written (syncfs error reporting), is
  // kept open; the others are closed now (on NFS a close can be what reports a failed write).
  const byDev = new Map<number, StagedCopy>();
  for (const s of staged) if (!byDev.has(s.staged.dev)) byDev.set(s.staged.dev, s.staged);
  const fail = (s: (typeof staged)[number], error: Failure): void => {
    outcomes[s.k] = { id: jobs[s.k]!.id, ok: false, error: { ...error, path: jobs[s.k]!.job.dstPath }, unreported: s.unreported() };
  };
  let live = staged.filter((s) => {
    if (byDev.get(s.staged.dev) === s.staged) return true;
    try {
      closeStaged(s.staged);
      return true;
    } catch (err) {
      discardStaged(s.staged);
      fail(s, serialize(classifyFsError(err, jobs[s.k]!.job.dstPath)));
      return false;
    }
  });
  const syncAll = (): Map<number, Failure> => {
    const failed = new Map<number, Failure>();
    for (const [dev, rep] of byDev) {
      try {
        syncfs(rep.fd as number);
      } catch (err) {
        failed.set(dev, { ...serialize(err), retryable: true });
      }
    }
    return failed;
  };
  try {
    const unsynced = syncAll();
    // A file that is not published is removed; the descriptor kept for syncfs stays open until the end.
    const drop = (s: (typeof staged)[number], error: Failure): false => {
      discardStaged(s.staged, { keepFd: byDev.get(s.staged.dev) === s.staged });
      fail(s, error);
      return false;
    };
    live = live.filter((s) => {
      const failure = unsynced.get(s.staged.dev);
      if (failure) return drop(s, failure);
      try {
        outcomes[s.k] = { id: jobs[s.k]!.id, ok: true, result: publishStaged(s.staged, jobs[s.k]!.job, s.env), unreported: s.unreported() };
        return true;
      } catch (err) {
        return drop(s, serialize(err));
      }
    });
    const unpublished = syncAll();
    for (const s of live) {
      const failure = unpublished.get(s.staged.dev);
      if (failure) fail(s, failure);
    }
  } finally {
    for (const rep of byDev.values()) closeStagedQuietly(rep);
  }
  return outcomes as JobOutcome[];
}

/** A job of the message with its position there (`slot`: which abort flag is its own). */
interface SlottedJob {
  readonly slot: number;
  readonly id: number;
  readonly job: CopyJob;
}

/** Job `k` of a request, decoded, at its position. */
function slotted(req: WorkerRequest, k: number): SlottedJob {
  const { id, job } = decodeJob(req, k);
  return { slot: k, id, job };
}

/** The addon's jobs and answers, reused by every message (grown for a larger one). */
let packed = new Float64Array(MAX_JOBS_PER_MESSAGE * NATIVE_JOB_NUMS);
let answers = new Float64Array(MAX_JOBS_PER_MESSAGE * NATIVE_OUT_NUMS);
const nativeProgress = (i: number, bytes: number): void => post({ type: 'progress', id: nativeId(packed, i), bytes });

/**
 * The group commit of a whole message: in one native call where the addon is loaded (every job it
 * supports), then the rest — jobs it does not support or answered "fallback" for — through
 * {@link asGroup}. Why straight from the packed request: a job the addon runs is never decoded into
 * objects (packNativeJob reads its numbers, the addon its strings by index), and its success is written
 * into the reply as numbers; only failures and the JavaScript path's jobs are decoded.
 */
async function groupCommit(req: WorkerRequest, n: number, syncfs: SyncFileSystem): Promise<DoneReply> {
  const sizes = new Float64Array(n);
  const unreported = new Float64Array(n);
  const checksums: Array<string | null> = []; // packed: cloned as a block (copy-protocol.ts encodeRequest)
  for (let k = 0; k < n; k++) checksums.push(null);
  const errors: Array<readonly [number, Failure]> = [];
  const rest: SlottedJob[] = [];
  const doneNatively: number[] = [];
  let natively = 0;
  if (native === null) {
    for (let k = 0; k < n; k++) rest.push(slotted(req, k));
  } else {
    if (packed.length < n * NATIVE_JOB_NUMS) {
      packed = new Float64Array(n * NATIVE_JOB_NUMS);
      answers = new Float64Array(n * NATIVE_OUT_NUMS);
    }
    let count = 0;
    const now = Date.now();
    for (let k = 0; k < n; k++) {
      if (packNativeJob(req, k, packed, count, now)) count++;
      else rest.push(slotted(req, k));
    }
    let texts: ReadonlyArray<string | undefined> | null = null;
    if (count > 0) {
      const carry = carried!.beforeCall();
      try {
        texts = native.copyPacked(req.roots, req.strs, packed, count, answers, buffer, flags, progressBytes, progressMs, nativeProgress, carry);
      } catch {
        // Refused arguments (before any file was touched): every job goes the JavaScript way.
      }
      carried!.afterCall(); // the previous message's reply goes out (its renames were covered), or is synced
    } else carried!.flush();
    for (let i = 0; i < count; i++) {
      const slot = nativeSlot(packed, i);
      const st = texts === null ? NATIVE_FALLBACK : nativeStatus(answers, i);
      if (st === NATIVE_FALLBACK) {
        rest.push(slotted(req, slot));
        continue;
      }
      natively++;
      unreported[slot] = nativeUnreported(answers, i);
      if (st === NATIVE_DONE) {
        doneNatively.push(slot);
        sizes[slot] = nativeSize(answers, i);
        checksums[slot] = nativeDigest(texts!, i);
      } else {
        sizes[slot] = Number.NaN;
        errors.push([slot, serialize(nativeError(answers, texts!, i, decodeJob(req, slot).job))]);
      }
    }
  }
  if (rest.length > 0) {
    rest.sort((a, b) => a.slot - b.slot);
    const more = await asGroup(rest, syncfs);
    for (const [k, o] of more.entries()) {
      const slot = rest[k]!.slot;
      unreported[slot] = o.unreported;
      if (o.ok) {
        sizes[slot] = o.result.size;
        checksums[slot] = o.result.checksum;
      } else {
        sizes[slot] = Number.NaN;
        errors.push([slot, o.error]);
      }
    }
    // Fallback jobs ran the JavaScript way, which takes no carried descriptors: sync the native ones now.
    carried?.syncOwn(doneNatively, sizes, errors);
  }
  errors.sort((a, b) => a[0] - b[0]);
  return { type: 'done', sizes, unreported, checksums, errors, grouped: true, native: natively };
}

async function handle(request: WorkerRequest): Promise<void> {
  const n = requestLength(request);
  flags = regions[request.flagBase === MAX_JOBS_PER_MESSAGE ? 1 : 0];
  if (refusal !== null) {
    post(encodeDone(decodeRequest(request).map(({ id, job }) => ({ id, ok: false, error: { ...serialize(refusal), path: job.dstPath, retryable: false }, unreported: 0 })), false));
    return;
  }
  let group = n > 1 && syncfs !== null;
  for (let k = 0; k < n && group; k++) group = request.nums[k * JOB_NUMS + JOB.fsync] === 1;
  if (!group || syncfs === null) {
    carried?.flush();
    post(encodeDone(await oneByOne(decodeRequest(request)), false));
    return;
  }
  const reply = await groupCommit(request, n, syncfs);
  if (carried !== null && carried.pending() > 0) carried.hold(reply, anotherWaits());
  else post(reply);
}

/** Requests received and not yet run, in order (see drain). */
const inbox: WorkerRequest[] = [];
let draining = false;

/** Runs the received requests one after the other (a JavaScript group commit awaits; the next must wait for it). */
async function drain(): Promise<void> {
  draining = true;
  try {
    for (let req = inbox.shift(); req !== undefined; req = inbox.shift()) await handle(req);
  } finally {
    draining = false;
  }
}

/** Whether the pool has sent another request already (taken off the port into the inbox without waiting). */
function anotherWaits(): boolean {
  if (inbox.length > 0) return true;
  const next = receiveMessageOnPort(port as MessagePort);
  if (next === undefined) return false;
  inbox.push(next.message as WorkerRequest);
  return true;
}

port.on('message', (msg: WorkerRequest) => {
  inbox.push(msg);
  if (!draining) void drain();
});
