/**
 * The in-memory driver's atomic writer: bytes accumulate in a private buffer list and are published into
 * the tree by one synchronous swap in `commit()`. Why a separate file: it mirrors the posix driver's
 * layout (`<kind>-driver.ts`, `<kind>-writer.ts`), so drivers read alike.
 */
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { CommitOptions, CommitResult, WriteOptions, Writer } from '../driver.js';
import { onAbort } from '../driver-support.js';
import { StorageError, abortedError, toStorageError } from '../errors.js';

/** What the driver provides to a writer. Why an interface: keeps the writer testable and the tree private. */
export interface MemoryWriteTarget {
  readonly path: string;
  /** Throws `no_space` if `extra` more bytes would exceed the capacity. */
  reserve(extra: number): void;
  /** Give back reserved bytes of an aborted write. */
  release(bytes: number): void;
  /** Publish the data at `path` (synchronously, so readers see old or new, nothing in between). */
  publish(data: Buffer, options: WriteOptions): void;
  /** Called exactly once when the writer settles either way. */
  done(writer: MemoryWriter): void;
}

type State = 'open' | 'committing' | 'committed' | 'aborted';

/** Writer of the memory driver; see `Writer` in driver.ts for the contract it honours. */
export class MemoryWriter implements Writer {
  readonly stream: Writable;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private state: State = 'open';
  private abortPromise: Promise<void> | undefined;
  private readonly detachSignal: () => void;

  constructor(
    private readonly target: MemoryWriteTarget,
    private readonly options: WriteOptions,
  ) {
    const accept = (chunk: Buffer): void => {
      this.target.reserve(chunk.length);
      // Copy: producers may reuse their buffers once the write callback ran.
      this.chunks.push(Buffer.from(chunk));
      this.bytes += chunk.length;
    };
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        try {
          accept(chunk);
          cb();
        } catch (err) {
          cb(toStorageError(err, target.path));
        }
      },
      writev: (items, cb) => {
        try {
          for (const { chunk } of items) accept(chunk as Buffer);
          cb();
        } catch (err) {
          cb(toStorageError(err, target.path));
        }
      },
    });
    this.stream.on('error', () => {}); // errors are reported by commit(); avoid crashing on unhandled 'error'
    this.detachSignal = onAbort(options.signal, () => void this.abort(abortedError(options.signal, target.path)));
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  async commit(commitOptions: CommitOptions = {}): Promise<CommitResult> {
    if (this.state === 'aborted') {
      await this.abortPromise;
      throw abortedError(this.options.signal, this.target.path);
    }
    if (this.state !== 'open') throw new StorageError('invalid_argument', `commit() called twice`, { path: this.target.path });
    this.state = 'committing';
    try {
      if (this.stream.errored) throw this.stream.errored;
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      if (this.abortPromise !== undefined || this.options.signal?.aborted === true) {
        throw abortedError(this.options.signal, this.target.path);
      }
      if (this.options.size !== undefined && this.options.size !== this.bytes) {
        throw new StorageError('size_mismatch', `expected ${this.options.size} bytes, got ${this.bytes}`, { path: this.target.path });
      }
      const data = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes);
      if (commitOptions.verify) await commitOptions.verify(Readable.from([data]));
      if (this.abortPromise !== undefined || (this.options.signal?.aborted as boolean | undefined) === true) throw abortedError(this.options.signal, this.target.path);
      this.target.publish(data, this.options);
      this.state = 'committed';
      this.chunks.length = 0;
      this.detachSignal();
      this.target.done(this);
      return { size: this.bytes };
    } catch (err) {
      const error = toStorageError(err, this.target.path);
      await this.abort(error);
      throw error;
    }
  }

  abort(reason?: unknown): Promise<void> {
    if (this.state === 'committed') return Promise.resolve();
    if (this.abortPromise !== undefined) return this.abortPromise;
    this.state = 'aborted';
    this.detachSignal();
    const error = reason instanceof StorageError ? reason : abortedError(this.options.signal, this.target.path);
    this.abortPromise = (async () => {
      if (!this.stream.destroyed) this.stream.destroy(error);
      this.target.release(this.bytes);
      this.chunks.length = 0;
      this.target.done(this);
    })();
    return this.abortPromise;
  }
}
