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
 */
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createHasher, type Hasher } from '../../lib/hashing.js';
import { StorageError, classifyFsError } from '../errors.js';
import { closeStaged, closeStagedQuietly, discardStaged, publishStaged, runCopyJob, stageCopyJob, type CopyJob, type CopyJobEnv, type StagedCopy } from './copy-job.js';
import { fileSystemSync, type SyncFileSystem } from './fs-sync.js';
import { decodeRequest, encodeDone, type JobOutcome, type RequestJob, type WorkerReply, type WorkerRequest } from './copy-protocol.js';
import { switchThreadFsCredentials, type FsCredentials } from './fs-credentials.js';
import { nameThisThread } from '../../lib/thread-name.js';
import { loadNativeCopier, nativeJobFor, outcomeOf, type NativeJob, type NativeOutcome } from './native-copier.js';

function switchOrRefuse(creds: FsCredentials | null): StorageError | null {
  if (creds === null) return null;
  try {
    switchThreadFsCredentials(creds);
    return null;
  } catch (err) {
    return err instanceof StorageError ? err : new StorageError('permission_denied', String(err));
  }
}

const { abortFlags, chunkBytes, progressBytes, progressMs, useSyncfs, credentials, nativeCopy } = workerData as {
  abortFlags: SharedArrayBuffer; chunkBytes: number; progressBytes: number; progressMs: number; useSyncfs: boolean;
  credentials: FsCredentials | null; nativeCopy?: boolean;
};
/** Why this worker may not run any job: it was to run as a context user and could not switch (never run as root instead). */
const refusal = switchOrRefuse(credentials);
/** Null where syncfs cannot be trusted or loaded: every file is then fsynced on its own. */
const syncfs = fileSystemSync(useSyncfs);
/** Null where the addon is not built, cannot load, or is disabled: the JavaScript group commit runs. */
const native = syncfs === null ? null : loadNativeCopier(nativeCopy !== false);
nameThisThread('barge-copy');
const flags = new Int32Array(abortFlags);
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

/**
 * The group commit of a whole message: in one native call where the addon is loaded (every job it
 * supports), then the rest — jobs it does not support or answered "fallback" for — through
 * {@link asGroup}. Returns the outcomes in message order and how many jobs ran natively.
 */
async function groupCommit(jobs: readonly RequestJob[], syncfs: SyncFileSystem): Promise<{ outcomes: JobOutcome[]; native: number }> {
  const all: SlottedJob[] = jobs.map(({ id, job }, slot) => ({ slot, id, job }));
  if (native === null) return { outcomes: await asGroup(all, syncfs), native: 0 };
  const outcomes = new Array<JobOutcome>(jobs.length);
  const inputs: NativeJob[] = [];
  const rest: SlottedJob[] = [];
  const now = Date.now();
  for (const j of all) {
    const input = nativeJobFor(j.job, j.id, j.slot, now);
    if (input === null) rest.push(j);
    else inputs.push(input);
  }
  let done = 0;
  if (inputs.length > 0) {
    let answers: NativeOutcome[];
    try {
      answers = native.copyGroup(inputs, buffer, flags, progressBytes, progressMs, (k, bytes) => post({ type: 'progress', id: inputs[k]!.id, bytes }));
    } catch {
      // Refused arguments (before any file was touched): every job goes the JavaScript way.
      answers = inputs.map(() => ({ st: 3, unreported: 0 }));
    }
    for (const [k, answer] of answers.entries()) {
      const j = all[inputs[k]!.slot]!;
      const o = outcomeOf(answer, j.job);
      if (o === 'fallback') {
        rest.push(j);
        continue;
      }
      done++;
      outcomes[j.slot] = o.ok
        ? { id: j.id, ok: true, result: o.result, unreported: answer.unreported }
        : { id: j.id, ok: false, error: serialize(o.error), unreported: answer.unreported };
    }
  }
  if (rest.length > 0) {
    rest.sort((a, b) => a.slot - b.slot);
    const more = await asGroup(rest, syncfs);
    for (const [k, o] of more.entries()) outcomes[rest[k]!.slot] = o;
  }
  return { outcomes, native: done };
}

async function handle(request: WorkerRequest): Promise<void> {
  const jobs = decodeRequest(request);
  if (refusal !== null) {
    post(encodeDone(jobs.map(({ id, job }) => ({ id, ok: false, error: { ...serialize(refusal), path: job.dstPath, retryable: false }, unreported: 0 })), false));
    return;
  }
  const group = jobs.length > 1 && syncfs !== null && jobs.every((j) => j.job.fsync);
  if (!group) {
    post(encodeDone(await oneByOne(jobs), false));
    return;
  }
  const { outcomes, native: natively } = await groupCommit(jobs, syncfs);
  post(encodeDone(outcomes, true, natively));
}

port.on('message', (msg: WorkerRequest) => {
  void handle(msg);
});
