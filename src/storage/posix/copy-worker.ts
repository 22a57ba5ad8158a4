/**
 * Entry of a copy worker thread (see copy-pool.ts): runs the jobs of one message in order with one
 * reused chunk buffer and pooled hashers, then fsyncs each directory that received a file once (a
 * directory fsync covers every rename made in it before), then answers with every outcome.
 *
 * Why abort through shared memory: a job is a blocking loop, so a message could not be read until it
 * ends; the pool writes the id of a job to abort into its flag, polled between chunks.
 */
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createHasher, type Hasher } from '../../lib/hashing.js';
import { StorageError, classifyFsError } from '../errors.js';
import { runCopyJob, type CopyJob } from './copy-job.js';
import type { JobOutcome, WorkerReply, WorkerRequest } from './copy-protocol.js';

const { abortFlags, chunkBytes, progressBytes, progressMs } = workerData as {
  abortFlags: SharedArrayBuffer; chunkBytes: number; progressBytes: number; progressMs: number;
};
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

async function runOne(slot: number, id: number, job: CopyJob): Promise<JobOutcome> {
  // Hashers are created before the blocking part (xxhash64's first instance is an async WASM start).
  const hashers: Hasher[] = job.checksum ? [await createHasher(job.checksum), await createHasher(job.checksum)] : [];
  let pending = 0;
  let last = Date.now();
  try {
    const result = runCopyJob(job, {
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
    });
    return { id, ok: true, result, unreported: pending };
  } catch (err) {
    return { id, ok: false, error: serialize(err), unreported: pending };
  }
}

async function handle(request: WorkerRequest): Promise<void> {
  const outcomes: JobOutcome[] = [];
  for (const [slot, { id, job }] of request.jobs.entries()) outcomes.push(await runOne(slot, id, job));
  // Durability of the renames: one fsync per directory that received a file (data-safety rule 1).
  const failedDirs = new Map<string, ReturnType<typeof serialize>>();
  const dirs = new Set<string>();
  for (const [k, o] of outcomes.entries()) if (o.ok && request.jobs[k]!.job.fsync) dirs.add(o.result.dir);
  for (const dir of dirs) {
    try {
      fsyncDirectory(dir);
    } catch (err) {
      failedDirs.set(dir, serialize(classifyFsError(err)));
    }
  }
  post({
    type: 'done',
    outcomes: outcomes.map((o) => {
      const failure = o.ok ? failedDirs.get(o.result.dir) : undefined;
      return failure ? { id: o.id, ok: false, error: { ...failure, path: request.jobs.find((j) => j.id === o.id)?.job.dstPath }, unreported: o.unreported } : o;
    }),
  });
}

port.on('message', (msg: WorkerRequest) => {
  void handle(msg);
});
