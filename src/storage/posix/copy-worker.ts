/**
 * Entry of a copy worker thread (see copy-pool.ts): runs `runCopyJob` for one message at a time, with
 * one reused chunk buffer and pooled hashers, and answers with the result or a serialized StorageError.
 *
 * Why abort through shared memory: the job is a blocking loop, so a message could not be read until it
 * ends; the pool writes the id of the job to abort into `abortFlag`, polled between chunks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createHasher, type ChecksumAlgorithm, type Hasher } from '../../lib/hashing.js';
import { StorageError } from '../errors.js';
import { runCopyJob, type CopyJob } from './copy-job.js';
import type { WorkerReply, WorkerRequest } from './copy-protocol.js';

const { abortFlag, chunkBytes, progressBytes, progressMs } = workerData as {
  abortFlag: SharedArrayBuffer; chunkBytes: number; progressBytes: number; progressMs: number;
};
const flag = new Int32Array(abortFlag);
const buffer = Buffer.allocUnsafe(chunkBytes);
const port = parentPort!;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

async function handle(id: number, job: CopyJob): Promise<void> {
  // Hashers are created before the blocking part (xxhash64's first instance is an async WASM start).
  const hashers: Hasher[] = job.checksum ? [await createHasher(job.checksum), await createHasher(job.checksum)] : [];
  let pending = 0;
  let last = Date.now();
  try {
    const result = runCopyJob(job, {
      buffer,
      hasher: (_algorithm: ChecksumAlgorithm) => {
        const h = hashers.shift();
        if (!h) throw new StorageError('io', 'copy worker: no hasher left');
        return h;
      },
      aborted: () => Atomics.load(flag, 0) === id,
      progress: (n) => {
        pending += n;
        if (pending >= progressBytes || Date.now() - last >= progressMs) {
          post({ type: 'progress', id, bytes: pending });
          pending = 0;
          last = Date.now();
        }
      },
    });
    post({ type: 'done', id, result, unreported: pending });
  } catch (err) {
    const e = err instanceof StorageError ? err : new StorageError('io', err instanceof Error ? err.message : String(err));
    post({ type: 'fail', id, error: { code: e.code, message: e.message, path: e.path, sysCode: e.sysCode, retryable: e.retryable }, unreported: pending });
  }
}

port.on('message', (msg: WorkerRequest) => {
  void handle(msg.id, msg.job);
});
