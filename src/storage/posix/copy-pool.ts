/**
 * A small pool of worker threads that copy whole files between posix roots (copy-job.ts).
 *
 * Why threads of our own rather than libuv's pool: a copy through `fs.promises` pays a libuv round trip
 * (promise, wake-up, callback on the event loop) for each of a file's ~12 syscalls, and the event loop —
 * which also serves the API, the store and the other transfers — did all of that bookkeeping. A worker
 * runs the syscalls back to back. Small files queued together travel to a worker in one message and
 * share its directory fsyncs (fewer thread wake-ups, fewer fsyncs); a large file goes alone, so it never
 * holds small ones back. A worker busy with a group of small files may be sent the next one too, so
 * that one syncfs serves both (MAX_SENT, carried-commit.ts). Workers start lazily, are kept while the process lives, and do not keep it
 * alive when idle.
 */
import { Worker } from 'node:worker_threads';
import { StorageError, abortedError } from '../errors.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';
import type { FsCredentials } from './fs-credentials.js';
import { workerSource } from './worker-source.js';
import { MAX_JOBS_PER_MESSAGE, MAX_SINGLES_PER_MESSAGE, encodeRequest, type DoneReply, type WorkerReply } from './copy-protocol.js';

/** Settings of a {@link CopyPool}. */
export interface CopyPoolOptions {
  /** Maximum worker threads. Why more than the CPUs: a worker blocked in fsync uses no CPU. */
  readonly workers: number;
  /** Chunk buffer per worker, in bytes. */
  readonly chunkBytes?: number;
  /** A progress message at least every this many bytes of a file (default 32 MiB; also every 200 ms). */
  readonly progressBytes?: number;
  /** Files up to this size may share a message with others (default 1 MiB). */
  readonly smallFileBytes?: number;
  /**
   * Make a message of several files durable with syncfs (fs-sync.ts) where the kernel reports its
   * errors (default true); false: fsync every file and directory (`BARGE_POSIX_SYNCFS=0`).
   */
  readonly syncfs?: boolean;
  /**
   * Run every file operation of the workers as this user and group (fs-credentials.ts): each worker
   * switches its thread's file-system ids before its first job, and fails every job when it cannot.
   * Why per pool: a thread's ids are set once; executions with a context get a pool of their own.
   */
  readonly credentials?: FsCredentials;
  /**
   * Let the workers run group commits through the native copier when it is built (native-copier.ts;
   * default true). Why an option: tests run the conformance suite with both copiers; `BARGE_NATIVE_COPY=off`
   * (config.ts) turns it off for the server's shared pool.
   */
  readonly nativeCopy?: boolean;
  /**
   * Niceness the worker threads take (thread-nice.ts; default 0: the process's). Why: the thread that
   * feeds them must not wait for the CPU behind them (config.ts `copyNice`).
   */
  readonly nice?: number;
}

/** What a job's result is on the main side (`dir` stays on the worker: only its file-by-file mode reads it). */
export type CopyResult = Pick<CopyJobResult, 'size' | 'checksum'>;

/**
 * The jobs of one call (run: one; runMany: all of them) and their results. Why per call rather than per
 * job: one promise, one pair of abort listeners and one completion per call, not a closure each per file.
 */
interface Batch {
  readonly out: Array<CopyResult | StorageError>;
  left: number;
  readonly signal?: AbortSignal;
  readonly onBytes?: (n: number) => void;
  /** Called once every job of the batch has an outcome. */
  done(): void;
}

/**
 * Queued or running jobs of one call that travel in one message: a runMany group (up to
 * {@link MAX_JOBS_PER_MESSAGE} jobs), or the one job of a `run`. Why per message rather than per job:
 * an object, a queue entry and a settlement per message, not per small file (issue #14). A unit's jobs
 * always share a message, so they settle together.
 */
interface Pending {
  /** Id of its first job; job `i` of it is `id + i` (the abort flags' values). */
  readonly id: number;
  readonly jobs: readonly CopyJob[];
  readonly batch: Batch;
  /** Position of its first job in the batch's results. */
  readonly k: number;
  /** Called once the unit has its outcomes (whatever they are); close() waits on it. */
  onSettled?: () => void;
  isSettled: boolean;
  /** A runMany group: travels whole, never shares its message. */
  readonly group: boolean;
}

/** A message at a worker: its units in message order, and where its abort flags start. */
interface Sent {
  readonly units: Pending[];
  readonly base: number;
}

interface Slot {
  readonly worker: Worker;
  /**
   * One int32 per position in a message, two messages' worth: the id of the job at that position to
   * abort (a message's positions start at its `base`).
   */
  readonly flags: Int32Array;
  /** Messages sent and not answered yet, oldest first (empty: idle; at most {@link MAX_SENT}). */
  sent: Sent[];
}

/**
 * Messages a worker holds at once. Why two: a worker that has the next group commit of small files
 * already makes the previous one's renames durable with that one's first syncfs (carried-commit.ts),
 * one syncfs per message instead of two. Only groups of small files go to a busy worker.
 */
const MAX_SENT = 2;

const DEFAULT_CHUNK = 1 << 20;
/** Fewest small files a message takes when that many are queued (see pump). */
const MIN_GROUP = 8;
const DEFAULT_SMALL = 1 << 20;

/** See the file header. */
export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly chunkBytes: number;
  private readonly smallFileBytes: number;
  private messages = 0;
  private dispatched = 0;
  private grouped = 0;
  private natively = 0;
  private carriedMessages = 0;

  constructor(private readonly options: CopyPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new StorageError('invalid_argument', 'copy pool needs at least one worker');
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
    this.smallFileBytes = options.smallFileBytes ?? DEFAULT_SMALL;
  }

  /**
   * Messages sent to workers, jobs they carried, and messages made durable as one group commit
   * (syncfs). Why: batching is the point of the pool; tests and metrics check it.
   */
  stats(): { messages: number; jobs: number; grouped: number } {
    return { messages: this.messages, jobs: this.dispatched, grouped: this.grouped };
  }

  /**
   * Messages whose renames were made durable by the same worker's next message's first syncfs rather
   * than a syncfs of their own (see MAX_SENT). Why: tests check that the pipelining happens.
   */
  carried(): number {
    return this.carriedMessages;
  }

  /** Jobs the workers ran through the native copier (native-copier.ts); 0 when it is not built or disabled. */
  nativeJobs(): number {
    return this.natively;
  }

  /** Copy one file; rejects with a StorageError (`aborted` when the signal fires first). */
  run(job: CopyJob, opts: { signal?: AbortSignal; closing?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<CopyResult> {
    if (this.closed) return Promise.reject(new StorageError('closed', 'copy pool is closed'));
    if (opts.signal?.aborted) return Promise.reject(abortedError(opts.signal, job.dstPath));
    if (opts.closing?.aborted) return Promise.reject(new StorageError('closed', 'driver closed', { path: job.dstPath }));
    return this.enqueue([job], opts, false).then((out) => {
      const r = out[0]!;
      if (r instanceof StorageError) throw r;
      return r;
    });
  }

  /**
   * Copy many files; one outcome per job, in order (a failure is a StorageError in its slot, `aborted`
   * when the signal fired first). Why: a batch of small files travels to a worker as messages of up to
   * {@link MAX_JOBS_PER_MESSAGE} jobs — one group commit each — and comes back as one promise, instead
   * of one promise and a share of a 16-file message per file (issue #14).
   */
  runMany(jobs: readonly CopyJob[], opts: { signal?: AbortSignal; closing?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<Array<CopyResult | StorageError>> {
    const { signal, closing } = opts;
    const early = this.closed || closing?.aborted ? (j: CopyJob) => new StorageError('closed', 'copy pool is closed', { path: j.dstPath })
      : signal?.aborted ? (j: CopyJob) => abortedError(signal, j.dstPath) : undefined;
    if (early || jobs.length === 0) return Promise.resolve(jobs.map((j) => (early as (j: CopyJob) => StorageError)(j)));
    return this.enqueue(jobs, opts, true);
  }

  /**
   * Queue the jobs of one call. Two signals (the caller's, and the driver's close) rather than
   * AbortSignal.any: that allocates a signal with weak references per call.
   */
  private enqueue(jobs: readonly CopyJob[], opts: { signal?: AbortSignal; closing?: AbortSignal; onBytes?: (n: number) => void }, grouped: boolean): Promise<Array<CopyResult | StorageError>> {
    const { signal, closing } = opts;
    return new Promise((resolve) => {
      const units: Pending[] = [];
      const onAbort = (): void => {
        for (const p of units) this.abortJob(p);
      };
      const batch: Batch = {
        out: new Array<CopyResult | StorageError>(jobs.length), left: jobs.length, signal, onBytes: opts.onBytes,
        done: () => {
          signal?.removeEventListener('abort', onAbort);
          closing?.removeEventListener('abort', onAbort);
          resolve(batch.out);
        },
      };
      const wasEmpty = this.queue.length === 0;
      const per = grouped ? MAX_JOBS_PER_MESSAGE : 1;
      for (let k = 0; k < jobs.length; k += per) {
        const n = Math.min(per, jobs.length - k);
        const p: Pending = { id: this.nextId, jobs: n === jobs.length ? jobs : jobs.slice(k, k + n), batch, k, isSettled: false, group: grouped };
        this.nextId += n;
        units.push(p);
        this.queue.push(p);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      closing?.addEventListener('abort', onAbort, { once: true });
      // Let the other transfers started in this turn of the event loop queue too, so they can share a message.
      if (wasEmpty) setImmediate(() => this.pump());
    });
  }

  /**
   * Stop every worker. Queued jobs reject with `closed`; running ones are aborted and given up to
   * `graceMs` to remove their temporary files before the threads are terminated. Idempotent.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.fail(p, () => new StorageError('closed', 'copy pool is closed'));
    const slots = this.slots.splice(0);
    const running = slots.flatMap((s) => s.sent.flatMap((m) => m.units));
    for (const s of slots) flagAll(s);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((p) => new Promise<void>((r) => (p.isSettled ? r() : (p.onSettled = r))))),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const p of running) this.fail(p, () => new StorageError('closed', 'copy pool is closed'));
  }

  private abortJob(p: Pending): void {
    if (p.isSettled) return;
    const queued = this.queue.indexOf(p);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.fail(p, (job) => abortedError(p.batch.signal, job.dstPath));
      return;
    }
    // Running: the worker sees the flag between chunks, removes its temp file and answers `aborted`.
    for (const slot of this.slots) {
      for (const m of slot.sent) {
        let at = m.base;
        for (const u of m.units) {
          if (u === p) for (let i = 0; i < u.jobs.length; i++) Atomics.store(slot.flags, at + i, u.id + i);
          at += u.jobs.length;
        }
      }
    }
  }

  private isSmall(p: Pending): boolean {
    const size = p.jobs[0]!.size;
    return size !== undefined && size <= this.smallFileBytes;
  }

  /** Whether a worker may hold a second message (MAX_SENT): its group commits can carry (native copier, syncfs). */
  private get carrying(): boolean {
    return this.options.nativeCopy !== false && this.options.syncfs !== false;
  }

  /** Whether `p` is a group of small files (a message that may wait at a busy worker, see MAX_SENT). */
  private isSmallGroup(p: Pending): boolean {
    return p.group && this.isSmall(p);
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.sent.length === 0);
      if (!slot && this.slots.length < this.options.workers) slot = this.spawn();
      // Every worker busy: a group of small files may wait at one that runs only such groups (where
      // the workers commit natively with syncfs: the JavaScript group commit carries nothing).
      if (!slot && this.carrying && this.isSmallGroup(this.queue[0]!)) slot = this.slots.find((s) => s.sent.length < MAX_SENT && s.sent.every((m) => m.units.length === 1 && this.isSmallGroup(m.units[0]!)));
      if (!slot) return;
      // Share out what is queued among the idle workers: consecutive small files travel together, at
      // least MIN_GROUP of them when that many wait (a message is one group commit: fewer, fuller
      // messages cost fewer syncfs calls than spreading a few files over every idle worker).
      const head = this.queue.shift() as Pending;
      const units: Pending[] = [head];
      // A runMany group travels whole (one group commit); files queued one by one share messages.
      if (!head.group && this.isSmall(head)) {
        const idle = this.slots.filter((s) => s.sent.length === 0).length + (this.options.workers - this.slots.length);
        const even = Math.ceil((this.queue.length + 1) / Math.max(1, idle));
        const share = Math.min(MAX_SINGLES_PER_MESSAGE, Math.max(1, even, Math.min(this.queue.length + 1, MIN_GROUP)));
        while (units.length < share && this.queue.length > 0 && !this.queue[0]!.group && this.isSmall(this.queue[0]!)) units.push(this.queue.shift() as Pending);
      }
      const base = slot.sent.length > 0 && slot.sent[0]!.base === 0 ? MAX_JOBS_PER_MESSAGE : 0;
      slot.sent.push({ units, base });
      slot.flags.fill(0, base, base + MAX_JOBS_PER_MESSAGE);
      slot.worker.ref();
      const request = units.length === 1 ? encodeRequest(head.jobs, head.id) : encodeRequest(units.map((u) => u.jobs[0]!), units.map((u) => u.id));
      slot.worker.postMessage(base === 0 ? request : { ...request, flagBase: base });
      this.messages++;
      this.dispatched += units.length === 1 ? head.jobs.length : units.length;
    }
  }

  private spawn(): Slot {
    const abortFlags = new SharedArrayBuffer(4 * MAX_SENT * MAX_JOBS_PER_MESSAGE);
    const source = workerSource();
    const worker = new Worker(source.code, {
      eval: source.eval,
      resourceLimits: WORKER_LIMITS,
      workerData: {
        abortFlags, chunkBytes: this.chunkBytes, progressBytes: this.options.progressBytes ?? 32 << 20, progressMs: 200,
        useSyncfs: this.options.syncfs ?? true, credentials: this.options.credentials ?? null, nativeCopy: this.options.nativeCopy ?? true, nice: this.options.nice ?? 0,
      },
    });
    const slot: Slot = { worker, flags: new Int32Array(abortFlags), sent: [] };
    worker.on('message', (msg: WorkerReply) => this.onReply(slot, msg));
    const lost = (err: unknown): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const cause = err instanceof Error ? err.message : String(err);
      for (const p of slot.sent.splice(0).flatMap((m) => m.units)) {
        this.fail(p, (job) => this.closed
          ? new StorageError('closed', 'copy pool is closed')
          : new StorageError('io', `copy worker stopped: ${cause}`, { path: job.dstPath, retryable: true }));
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
    if (msg.type === 'progress') {
      for (const m of slot.sent) m.units.find((p) => msg.id >= p.id && msg.id < p.id + p.jobs.length)?.batch.onBytes?.(msg.bytes);
      return;
    }
    // Answers come in message order.
    const sent = slot.sent.shift();
    if (msg.grouped) this.grouped++;
    this.natively += msg.native ?? 0;
    if (msg.carried === true) this.carriedMessages++;
    if (slot.sent.length === 0) slot.worker.unref();
    if (sent !== undefined) this.finish(sent.units, msg);
    this.pump();
  }

  /**
   * Settle the units of a message from its positional reply (copy-protocol.ts DoneReply): each job's
   * result goes straight into its batch's results (one object per file, passed on as it is).
   */
  private finish(units: readonly Pending[], msg: DoneReply): void {
    const { sizes, unreported, checksums, errors } = msg;
    let e = 0;
    let at = 0;
    for (const p of units) {
      const n = p.jobs.length;
      if (p.isSettled) {
        at += n;
        continue;
      }
      p.isSettled = true;
      const b = p.batch;
      for (let i = 0; i < n; i++, at++) {
        if (at >= sizes.length) {
          b.out[p.k + i] = new StorageError('io', 'copy worker answered no outcome', { path: p.jobs[i]!.dstPath, retryable: true });
          continue;
        }
        const bytes = unreported[at]!;
        if (bytes > 0) b.onBytes?.(bytes);
        const size = sizes[at]!;
        if (!Number.isNaN(size)) {
          b.out[p.k + i] = { size, checksum: checksums[at] ?? null };
          continue;
        }
        while (e < errors.length && errors[e]![0] < at) e++;
        const err = errors[e]?.[0] === at ? errors[e]![1] : undefined;
        b.out[p.k + i] = err === undefined
          ? new StorageError('io', 'copy worker answered no outcome', { path: p.jobs[i]!.dstPath, retryable: true })
          : err.code === 'aborted' ? abortedError(b.signal, err.path) : new StorageError(err.code, err.message, { path: err.path, sysCode: err.sysCode, retryable: err.retryable });
      }
      this.settled(p);
    }
  }

  /** Every job of a unit fails, each with its own error. */
  private fail(p: Pending, error: (job: CopyJob) => StorageError): void {
    if (p.isSettled) return;
    p.isSettled = true;
    for (let i = 0; i < p.jobs.length; i++) p.batch.out[p.k + i] = error(p.jobs[i]!);
    this.settled(p);
  }

  private settled(p: Pending): void {
    p.onSettled?.();
    const b = p.batch;
    b.left -= p.jobs.length;
    if (b.left === 0) b.done();
  }
}

/** Abort every job of the messages a worker holds (close). */
function flagAll(s: Slot): void {
  for (const m of s.sent) {
    let at = m.base;
    for (const u of m.units) for (let i = 0; i < u.jobs.length; i++, at++) Atomics.store(s.flags, at, u.id + i);
  }
}

/**
 * A copy worker's young generation. Why limited: a worker allocates a few small objects per file and
 * keeps nothing, but V8 grows each isolate's young generation to its default maximum (tens of MiB)
 * under that churn, and four workers then hold ~100 MiB of resident memory for garbage (issue #14:
 * ≤ 300 MiB at 1,000,000 files). 4 MiB keeps scavenges cheap: what survives one is a file's worth.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;
