/**
 * A small pool of worker threads that copy whole files between posix roots (copy-job.ts).
 *
 * Why threads of our own rather than libuv's pool: a copy through `fs.promises` pays a libuv round trip
 * (promise, wake-up, callback on the event loop) for each of a file's ~12 syscalls, and the event loop —
 * which also serves the API, the store and the other transfers — did all of that bookkeeping. A worker
 * runs the syscalls back to back and the event loop handles one message per file. Workers start lazily,
 * are kept while the process lives, and do not keep it alive when idle.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError, abortedError, classifyFsError } from '../errors.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';
import { DirSyncer } from './dir-sync.js';
import type { WorkerReply, WorkerRequest } from './copy-protocol.js';

/** Settings of a {@link CopyPool}. */
export interface CopyPoolOptions {
  /** Maximum worker threads. Why more than the CPUs: a worker blocked in fsync uses no CPU. */
  readonly workers: number;
  /** Chunk buffer per worker, in bytes. */
  readonly chunkBytes?: number;
  /** A progress message at least every this many bytes of a file (default 32 MiB; also every 200 ms). */
  readonly progressBytes?: number;
}

interface Pending {
  readonly id: number;
  readonly job: CopyJob;
  readonly onBytes?: (n: number) => void;
  readonly signal?: AbortSignal;
  resolve(result: CopyJobResult): void;
  reject(err: unknown): void;
  detach?: () => void;
  /** Resolves once the job has an outcome (whatever it is). */
  readonly settled: Promise<void>;
  markSettled(): void;
  isSettled: boolean;
}

interface Slot {
  readonly worker: Worker;
  readonly flag: Int32Array;
  current?: Pending;
}

const DEFAULT_CHUNK = 1 << 20;

let bundled: string | undefined;

/**
 * The worker's code. From compiled JavaScript: the sibling `copy-worker.js`. From TypeScript sources
 * (`node --import tsx`, how Barge runs today): one CommonJS bundle made with esbuild on first use and run
 * as an eval worker. Why not a worker loading tsx: Node 20 workers ignore `--import tsx`, and a worker
 * registering tsx itself costs ~35 MiB and ~300 ms of CPU, against ~10 MiB and a 40 ms bundle made once.
 */
function workerSource(): { readonly code: URL | string; readonly eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { code: new URL('./copy-worker.js', import.meta.url), eval: false };
  if (bundled === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL('./copy-worker.ts', import.meta.url))],
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
    });
    bundled = out.outputFiles[0]!.text;
  }
  return { code: bundled, eval: true };
}

/** See the file header. */
export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private readonly dirSync = new DirSyncer();
  private closed = false;
  private readonly chunkBytes: number;

  constructor(private readonly options: CopyPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new StorageError('invalid_argument', 'copy pool needs at least one worker');
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
  }

  /** Copy one file; rejects with a StorageError (`aborted` when the signal fires first). */
  run(job: CopyJob, opts: { signal?: AbortSignal; closing?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<CopyJobResult> {
    if (this.closed) return Promise.reject(new StorageError('closed', 'copy pool is closed'));
    if (opts.signal?.aborted) return Promise.reject(abortedError(opts.signal, job.dstPath));
    if (opts.closing?.aborted) return Promise.reject(new StorageError('closed', 'driver closed', { path: job.dstPath }));
    return new Promise<CopyJobResult>((resolve, reject) => {
      let markSettled = (): void => {};
      const settled = new Promise<void>((r) => (markSettled = r));
      const p: Pending = { id: this.nextId++, job, onBytes: opts.onBytes, signal: opts.signal, resolve, reject, settled, markSettled, isSettled: false };
      // Two signals (the caller's, and the driver's close) rather than AbortSignal.any: that allocates a
      // signal with weak references per file, measurable at thousands of files per second.
      const { signal, closing } = opts;
      if (signal || closing) {
        const onAbort = (): void => this.abortJob(p);
        signal?.addEventListener('abort', onAbort, { once: true });
        closing?.addEventListener('abort', onAbort, { once: true });
        p.detach = () => {
          signal?.removeEventListener('abort', onAbort);
          closing?.removeEventListener('abort', onAbort);
        };
      }
      this.queue.push(p);
      this.pump();
    });
  }

  /**
   * Stop every worker. Queued jobs reject with `closed`; running ones are aborted and given up to
   * `graceMs` to remove their temporary files before the threads are terminated. Idempotent.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, new StorageError('closed', 'copy pool is closed'));
    const slots = this.slots.splice(0);
    const running = slots.flatMap((s) => (s.current ? [s.current] : []));
    for (const s of slots) if (s.current) Atomics.store(s.flag, 0, s.current.id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((p) => p.settled)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const p of running) this.settle(p, new StorageError('closed', 'copy pool is closed'));
  }

  private abortJob(p: Pending): void {
    const queued = this.queue.indexOf(p);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(p, abortedError(p.signal, p.job.dstPath));
      return;
    }
    // Running: the worker sees the flag between chunks, removes its temp file and answers `aborted`.
    const slot = this.slots.find((s) => s.current === p);
    if (slot) Atomics.store(slot.flag, 0, p.id);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === undefined);
      if (!slot && this.slots.length < this.options.workers) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift() as Pending;
      slot.current = p;
      slot.worker.ref();
      const request: WorkerRequest = { id: p.id, job: p.job };
      slot.worker.postMessage(request);
    }
  }

  private spawn(): Slot {
    const abortFlag = new SharedArrayBuffer(4);
    const source = workerSource();
    const worker = new Worker(source.code, {
      eval: source.eval,
      workerData: { abortFlag, chunkBytes: this.chunkBytes, progressBytes: this.options.progressBytes ?? 32 << 20, progressMs: 200 },
    });
    const slot: Slot = { worker, flag: new Int32Array(abortFlag) };
    worker.on('message', (msg: WorkerReply) => this.onReply(slot, msg));
    const lost = (err: unknown): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (slot.current) {
        const cause = err instanceof Error ? err.message : String(err);
        this.settle(slot.current, this.closed
          ? new StorageError('closed', 'copy pool is closed')
          : new StorageError('io', `copy worker stopped: ${cause}`, { path: slot.current.job.dstPath, retryable: true }));
        slot.current = undefined;
      }
      if (!this.closed) this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(`exit code ${code}`));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, msg: WorkerReply): void {
    const p = slot.current;
    if (!p || p.id !== msg.id) return;
    if (msg.type === 'progress') {
      p.onBytes?.(msg.bytes);
      return;
    }
    if (msg.unreported > 0) p.onBytes?.(msg.unreported);
    slot.current = undefined;
    slot.worker.unref();
    if (msg.type === 'done') {
      // Durable only once the directory holding the rename is fsynced (grouped with concurrent renames).
      const { size, checksum, dir } = msg.result;
      if (p.job.fsync) {
        this.dirSync.sync(dir).then(
          () => this.settle(p, { size, checksum, dir }),
          (err: unknown) => this.settle(p, classifyFsError(err, p.job.dstPath)),
        );
      } else this.settle(p, { size, checksum, dir });
    } else {
      const e = msg.error;
      this.settle(p, e.code === 'aborted' ? abortedError(p.signal, e.path) : new StorageError(e.code, e.message, { path: e.path, sysCode: e.sysCode, retryable: e.retryable }));
    }
    this.pump();
  }

  private settle(p: Pending, outcome: CopyJobResult | Error): void {
    if (p.isSettled) return;
    p.isSettled = true;
    p.markSettled();
    p.detach?.();
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}

/** Default worker count of the shared pool (see `configureSharedCopyPool`). */
export const DEFAULT_COPY_WORKERS = 8;
let shared: CopyPool | undefined;
let sharedOptions: CopyPoolOptions = { workers: DEFAULT_COPY_WORKERS };

/**
 * The process-wide pool used by posix drivers that were not given one. Why process-wide: like libuv's
 * thread pool, the threads are a resource of the process shared by every storage, not of a storage.
 */
export function sharedCopyPool(): CopyPool {
  shared ??= new CopyPool(sharedOptions);
  return shared;
}

/** Size the shared pool (composition root, from configuration); takes effect if it has not started yet. */
export function configureSharedCopyPool(options: CopyPoolOptions): void {
  if (shared === undefined) sharedOptions = options;
}
