/**
 * The posix driver's atomic writer (data-safety rule 1): bytes go to `.<name>.barge-<id>.part` in the
 * target's directory, then `commit()` applies metadata, fsyncs the file, renames it over the target and
 * fsyncs the directory. A crash at any point leaves either the old object or the new one, plus at most a
 * temporary file that `cleanupTemp()` recognises.
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { CommitOptions, CommitResult, MetaOptions, WriteOptions, Writer } from '../driver.js';
import { publish } from './publish.js';
import { LIBUV_PATH_OPS, type PathOps } from './path-ops.js';
import { onAbort } from '../driver-support.js';
import { StorageError, abortedError, classifyFsError } from '../errors.js';

/**
 * Buffer of the write stream. Why 8 MiB: measured best for pipeline copies on this class of machine
 * (stack notes §14); while one write is in flight, later chunks queue and are flushed with one writev.
 */
export const WRITE_HIGH_WATER_MARK = 8 << 20;

/** Write all of `buf` at the current position, looping over short writes. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length;) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw new StorageError('io', 'write made no progress');
    off += bytesWritten;
  }
}

/**
 * A Writable over an open FileHandle that never closes it. Why not `fh.createWriteStream`: a FileHandle
 * stream keeps a reference on the handle until the stream is destroyed, so `fh.sync()`/`fh.close()` after
 * 'finish' would wait forever with `autoClose: false`; here the writer owns the handle's lifecycle.
 * `writev` flushes every chunk queued during a pending write with one syscall.
 */
export class FileSink extends Writable {
  private written = 0;

  constructor(private readonly fh: FileHandle, highWaterMark: number) {
    super({ highWaterMark, decodeStrings: true });
  }

  get bytesWritten(): number {
    return this.written;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    writeAll(this.fh, chunk).then(() => { this.written += chunk.length; cb(); }, cb);
  }

  override _writev(items: { chunk: Buffer }[], cb: (error?: Error | null) => void): void {
    const buffers = items.map((i) => i.chunk);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    (async () => {
      const { bytesWritten } = await this.fh.writev(buffers);
      if (bytesWritten < total) await writeAll(this.fh, Buffer.concat(buffers).subarray(bytesWritten));
      this.written += total;
    })().then(() => cb(), cb);
  }
}

/**
 * Owner, mode and times of a not-yet-published file, in the order that keeps them (chown can clear
 * set-id bits, so mode comes after; times last). An owner half given keeps the other half from
 * `owner` (default: the file's own). Shared by the writer and the server-side copy.
 */
export async function applyMeta(fh: FileHandle, meta: MetaOptions, owner?: { uid: number; gid: number }): Promise<void> {
  if (meta.uid !== undefined || meta.gid !== undefined) {
    const base = owner ?? (await fh.stat());
    await fh.chown(meta.uid ?? base.uid, meta.gid ?? base.gid);
  }
  if (meta.mode !== undefined) await fh.chmod(meta.mode);
  if (meta.mtimeMs !== undefined || meta.atimeMs !== undefined) {
    const now = Date.now();
    await fh.utimes((meta.atimeMs ?? now) / 1000, (meta.mtimeMs ?? now) / 1000);
  }
}

/** Everything a writer needs from the driver. */
export interface PosixWriterTarget {
  /** Storage path (for errors). */
  readonly path: string;
  /** Real directory holding both the temporary file and the target. */
  readonly dir: string;
  readonly tempFile: string;
  readonly finalFile: string;
  readonly fsync: boolean;
  /** fsync a directory so a rename in it survives a power loss (grouped across writers: dir-sync.ts). */
  syncDir(dir: string): Promise<void>;
  /** Called once when the writer settles (committed or aborted). */
  done(): void;
  /** Who runs the path operations (a context user's thread, path-ops.ts); default: libuv. */
  readonly ops?: PathOps;
}

type State = 'open' | 'committing' | 'committed' | 'aborted';

/** Writer of the posix driver; see `Writer` in driver.ts for the contract it honours. */
export class PosixWriter implements Writer {
  readonly stream: FileSink;
  private state: State = 'open';
  private handleClosed = false;
  private abortRequested = false;
  private cleanupPromise: Promise<void> | undefined;
  private commitPromise: Promise<CommitResult> | undefined;
  private readonly detachSignal: () => void;

  constructor(
    private readonly target: PosixWriterTarget,
    private readonly fh: FileHandle,
    private readonly options: WriteOptions,
  ) {
    this.stream = new FileSink(fh, WRITE_HIGH_WATER_MARK);
    this.stream.on('error', () => {}); // reported through commit() / pipeline(); never crash the process
    this.detachSignal = onAbort(options.signal, () => void this.abort(abortedError(options.signal, target.path)));
  }

  get bytesWritten(): number {
    return this.stream.bytesWritten;
  }

  commit(commitOptions: CommitOptions = {}): Promise<CommitResult> {
    if (this.state === 'aborted') {
      return (async () => {
        await this.cleanupPromise;
        throw abortedError(this.options.signal, this.target.path);
      })();
    }
    if (this.state !== 'open') {
      return Promise.reject(new StorageError('invalid_argument', 'commit() called twice', { path: this.target.path }));
    }
    this.state = 'committing';
    this.commitPromise = this.doCommit(commitOptions);
    return this.commitPromise;
  }

  private checkAbort(): void {
    if (this.abortRequested || this.options.signal?.aborted === true) throw abortedError(this.options.signal, this.target.path);
  }

  private async doCommit(commitOptions: CommitOptions): Promise<CommitResult> {
    const { options, fh, target } = this;
    try {
      if (this.stream.errored !== null) throw this.stream.errored;
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      this.checkAbort();
      const size = this.stream.bytesWritten;
      if (options.size !== undefined && options.size !== size) {
        throw new StorageError('size_mismatch', `expected ${options.size} bytes, wrote ${size}`, { path: target.path });
      }
      await applyMeta(fh, options);
      if (target.fsync) await fh.sync();
      this.handleClosed = true;
      await fh.close();
      this.checkAbort();
      if (commitOptions.verify) {
        // Opened before verify runs, so the read-back cannot race with a cleanup of the temp file.
        const readFh = await (target.ops ?? LIBUV_PATH_OPS).open(target.tempFile, constants.O_RDONLY);
        const stored = readFh.createReadStream({ highWaterMark: 4 * 1024 * 1024 });
        stored.on('error', () => {}); // reported to verify through its own reads
        try {
          await commitOptions.verify(stored);
        } finally {
          stored.destroy();
          await readFh.close().catch(() => {});
        }
        this.checkAbort();
      }
      await publish(target.tempFile, target.finalFile, options.noReplace === true, target.path, target.ops);
      this.state = 'committed';
      this.detachSignal();
      target.done();
      if (target.fsync) await target.syncDir(target.dir);
      return { size };
    } catch (err) {
      if (this.state === 'committed') throw classifyFsError(err, target.path);
      const error = this.abortRequested ? abortedError(options.signal, target.path) : classifyFsError(err, target.path);
      this.state = 'aborted';
      await this.cleanup(error);
      throw error;
    }
  }

  async abort(reason?: unknown): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state === 'committing') {
      // Let commit reach its own check points; it then cleans up (or has already published).
      this.abortRequested = true;
      if (!this.stream.writableFinished) this.stream.destroy(abortedError(this.options.signal, this.target.path));
      await this.commitPromise?.catch(() => {});
      return;
    }
    this.state = 'aborted';
    await this.cleanup(reason instanceof StorageError ? reason : abortedError(this.options.signal, this.target.path));
  }

  /** Destroy the stream, close the handle and remove the temporary file. Idempotent. */
  private cleanup(error: StorageError): Promise<void> {
    this.cleanupPromise ??= (async () => {
      this.detachSignal();
      if (!this.stream.destroyed) this.stream.destroy(error);
      if (!this.handleClosed) {
        this.handleClosed = true;
        await this.fh.close().catch(() => {});
      }
      await (this.target.ops ?? LIBUV_PATH_OPS).unlink(this.target.tempFile).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw classifyFsError(err, this.target.path);
      });
      this.target.done();
    })();
    return this.cleanupPromise;
  }
}
