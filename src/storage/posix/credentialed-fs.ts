/**
 * Path operations run as a context user (`options.context_uid` / `context_gid`): a worker thread whose
 * file-system ids were switched at start (fs-op-worker.ts, fs-credentials.ts) runs each operation as
 * a blocking call, so the kernel checks it against that user's rights — what libuv's shared pool
 * (root's ids) cannot do. Descriptors it opens are process-wide: the caller reads and writes them on
 * any thread, which keeps data I/O off this one.
 *
 * {@link acquireCredentialed} shares one such thread and one credentialed copy pool per (uid, gid)
 * between the drivers that use them, and closes them when the last one lets go.
 */
import { Worker } from 'node:worker_threads';
import { StorageError } from '../errors.js';
import { CopyPool } from './copy-pool.js';
import { sharedCopyNice, sharedNativeCopy } from './shared-copy-pool.js';
import { workerSource } from './worker-source.js';
import type { FsCredentials } from './fs-credentials.js';
import type { FsOp, FsOpReady, FsOpReply } from './fs-op-protocol.js';

interface Waiting {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Rebuilds a worker's error: a raw errno error shaped like Node's (classifyFsError maps it), else a StorageError. */
function revive(error: Extract<FsOpReply, { ok: false }>['error']): Error {
  if (error.syscall !== undefined && error.sysCode !== undefined) {
    return Object.assign(new Error(error.message), { code: error.sysCode, errno: error.errno, syscall: error.syscall });
  }
  return new StorageError(error.code, error.message, { path: error.path, sysCode: error.sysCode, retryable: error.retryable });
}

/** See the file header. */
export class CredentialedFs {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;
  private lost: Error | undefined;
  /** Called when no call is in flight any more (close waits for it). */
  private onIdle: (() => void) | undefined;

  private constructor(
    readonly credentials: FsCredentials | null,
    private readonly worker: Worker,
    /** The thread lists folders through the native addon (false: disabled, or not built). */
    readonly nativeListing: boolean,
  ) {
    worker.on('message', (msg: FsOpReply) => this.onReply(msg));
    const gone = (err: unknown): void => {
      this.lost = new StorageError(this.closed ? 'closed' : 'io', `credentialed file thread stopped: ${err instanceof Error ? err.message : String(err)}`, { retryable: !this.closed });
      for (const w of this.waiting.values()) w.reject(this.lost);
      this.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(`exit code ${code}`));
  }

  /**
   * Start the thread and wait until it holds `credentials`. Rejects with `permission_denied` when the
   * process cannot switch (not root, no CAP_SETUID/CAP_SETGID, no koffi): never a thread with root's rights.
   * `null`: a thread with the process's own ids (path-ops.ts, ownFsThread). `nativeCopy`: whether the
   * thread may list through the native addon (native-listing.ts).
   */
  static async start(credentials: FsCredentials | null, nativeCopy = sharedNativeCopy()): Promise<CredentialedFs> {
    const source = workerSource('fs-op-worker');
    const worker = new Worker(source.code, { eval: source.eval, workerData: { credentials, nativeCopy } });
    let settle: { onMessage?: (m: FsOpReady) => void; onError?: (e: unknown) => void; onExit?: (c: number) => void } = {};
    const ready = await new Promise<FsOpReady>((resolve, reject) => {
      settle = { onMessage: resolve, onError: reject, onExit: (code) => reject(new StorageError('io', `credentialed file thread exited (${code})`)) };
      worker.once('message', settle.onMessage!);
      worker.once('error', settle.onError!);
      worker.once('exit', settle.onExit!);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    // Only our own listeners: a Worker keeps internal ones (removeAllListeners silenced its messages).
    worker.off('message', settle.onMessage!).off('error', settle.onError!).off('exit', settle.onExit!);
    if (ready.refusal !== null) {
      await worker.terminate();
      throw new StorageError('permission_denied', ready.refusal, { retryable: false });
    }
    worker.unref();
    return new CredentialedFs(credentials, worker, ready.nativeListing);
  }

  /** Run one operation on the thread; rejects with a Node-shaped errno error or a StorageError. */
  call<T>(op: FsOp): Promise<T> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    if (this.closed) return Promise.reject(new StorageError('closed', 'credentialed file thread is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ id, op });
    });
  }

  private onReply(msg: FsOpReply): void {
    const w = this.waiting.get(msg.id);
    if (w === undefined) return;
    this.waiting.delete(msg.id);
    if (this.waiting.size === 0) {
      this.worker.unref();
      this.onIdle?.();
    }
    if (msg.ok) w.resolve(msg.value);
    else w.reject(revive(msg.error));
  }

  /**
   * Stop the thread once the calls in flight have answered (each is one system call; at most
   * `graceMs`). Why wait: terminating a worker with messages in flight was seen never to report its
   * exit, leaving `terminate()` pending forever.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.waiting.size > 0 && this.lost === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.onIdle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.worker.ref(); // an idle worker is unref'd: its exit must keep the process alive until it is seen
    await this.worker.terminate();
  }
}

/** The per-user threads a posix driver with a context uses. */
export interface CredentialedResources {
  readonly fs: CredentialedFs;
  readonly copyPool: CopyPool;
  /** Give them back; the last user of a (uid, gid) closes them. */
  release(): Promise<void>;
}

interface Shared {
  users: number;
  readonly ready: Promise<{ fs: CredentialedFs; copyPool: CopyPool }>;
}

const shared = new Map<string, Shared>();

/**
 * The credentialed thread and copy pool of `credentials`, started on first use and shared until the
 * last user releases them. `copyWorkers`: size of the pool when it is created.
 */
export async function acquireCredentialed(credentials: FsCredentials, copyWorkers = 2): Promise<CredentialedResources> {
  const key = `${credentials.uid}:${credentials.gid}`;
  let entry = shared.get(key);
  if (entry === undefined) {
    const ready = CredentialedFs.start(credentials).then((fs) => ({ fs, copyPool: new CopyPool({ workers: copyWorkers, credentials, nativeCopy: sharedNativeCopy(), nice: sharedCopyNice() }) }));
    entry = { users: 0, ready };
    shared.set(key, entry);
    ready.catch(() => shared.delete(key));
  }
  entry.users++;
  const current = entry;
  let parts;
  try {
    parts = await current.ready;
  } catch (err) {
    current.users--;
    throw err;
  }
  let released = false;
  return {
    ...parts,
    release: async () => {
      if (released) return;
      released = true;
      if (--current.users > 0) return;
      if (shared.get(key) === current) shared.delete(key);
      await Promise.all([parts.fs.close(), parts.copyPool.close()]);
    },
  };
}
