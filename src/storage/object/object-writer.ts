/**
 * The atomic writer of the object-store drivers (data-safety rules 1 and 2 on stores that publish on upload).
 *
 * An object store makes an object visible the moment its upload completes, and staged bytes cannot be
 * read back before that. So, to keep "nothing unverified becomes visible" without ever holding a whole
 * object in memory:
 * - The first `headLimit` bytes are kept in memory. If the stream ends within them (most files), `commit()`
 *   publishes them with ONE put at the final name: no temporary object, no second read. With `verify`, the
 *   in-memory bytes go to `verify` first and the put carries their payload digest (the store's: S3 signs a
 *   SHA-256 of the body into the request, Azure sends Content-MD5), taken before `verify` saw them: the
 *   service refuses any other bytes, so what is stored is what was verified. When the expected size is
 *   given and fits, the head is one buffer of that size filled as chunks arrive (one copy of each byte,
 *   no concatenation at commit), reused across files when large (head-buffers.ts).
 * - Beyond `headLimit`, the bytes are staged (write-backend.ts `Staging`) under the temporary name
 *   `<dir>/.<name>.barge-<id>.part`, with bounded memory. `commit()` seals the temporary object, checks its
 *   stored size, hands a read-back of it to `verify` when asked (the bytes really stored, read once), then
 *   publishes it server-side at the final name and removes it. Why not stage at the final name: whether
 *   `verify` is asked is known only at `commit()`, and staged bytes cannot be read back.
 * - `noReplace`: the publishing request is conditional (stores declaring `features.noReplace`). If an object
 *   appeared at the target, it is this copy when it holds exactly these bytes (size and recorded or
 *   recomputed xxhash64: a redo finding its own earlier publication); otherwise the commit fails with `exists`.
 * The xxhash64 of the bytes is computed while they stream in and recorded with the object. The signal is
 * honoured up to the publishing request, never during it: a request cut mid-flight might still publish.
 * A writer that dies leaves a temporary object (or staged parts); `cleanupTemp` of its driver finds them.
 */
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { CommitOptions, CommitResult, WriteOptions, Writer } from '../driver.js';
import { onAbort } from '../driver-support.js';
import { StorageError, abortedError, isStorageError } from '../errors.js';
import { giveBackXXHash64, takeXXHash64, xxhashOf, type WasmXXHash64 } from '../../lib/xxhash-wasm.js';
import { giveBackHeadBuffer, takeHeadBuffer } from './head-buffers.js';
import type { ObjectWriteBackend, SealedTemp, Staging, WriteCallback } from './write-backend.js';

type State = 'open' | 'committing' | 'committed' | 'aborted';

/** Writer of the object-store drivers; see `Writer` in driver.ts for the contract and the file header for the design. */
export class ObjectWriter<P, T extends SealedTemp> implements Writer {
  readonly stream: Writable;
  private state: State = 'open';
  private bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  /**
   * The head as one buffer of the expected size (`options.size` ≤ `headLimit`), filled in place; `head`
   * stays empty while it is used. Dropped (its filled part becoming the first chunk of `head`) if more
   * bytes come than announced.
   */
  private headBuffer: Buffer | undefined;
  /** The pooled buffer behind `headBuffer` (head-buffers.ts), given back after a successful put only. */
  private headPooled: Buffer | undefined;
  private staging: Staging<P, T> | undefined;
  private readBack: Readable | undefined;
  private abortRequested = false;
  private cleanupPromise: Promise<void> | undefined;
  private commitPromise: Promise<CommitResult> | undefined;
  private readonly detachSignal: () => void;
  /** Undefined once given back to the pool (digest taken, or the writer cleaned up). */
  private hasher: WasmXXHash64 | undefined;

  private constructor(private readonly backend: ObjectWriteBackend<P, T>, hasher: WasmXXHash64, private readonly options: WriteOptions) {
    this.hasher = hasher;
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _encoding, cb: WriteCallback) => this.accept(chunk, cb),
      final: (cb: WriteCallback) => this.finish(cb),
      destroy: (error, cb) => {
        this.staging?.destroy?.(error ?? abortedError(options.signal, backend.path));
        cb(error);
      },
    });
    this.stream.on('error', () => {}); // reported through commit() / pipeline(); never crash the process
    this.detachSignal = onAbort(options.signal, () => void this.abort(abortedError(options.signal, backend.path)));
  }

  /** Create a writer. Why async: a new xxhash64 hasher is WebAssembly, instantiated asynchronously. */
  static async open<P, T extends SealedTemp>(backend: ObjectWriteBackend<P, T>, options: WriteOptions): Promise<ObjectWriter<P, T>> {
    return new ObjectWriter(backend, await takeXXHash64(), options);
  }

  private releaseHasher(): void {
    const hasher = this.hasher;
    this.hasher = undefined;
    if (hasher !== undefined) giveBackXXHash64(hasher);
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /**
   * Take one chunk. It is COPIED before `cb` is called: the writer keeps bytes until they are sent, and a
   * producer may reuse its buffer as soon as the write has called back (copy loops do), so a kept reference
   * would store the buffer's later content (the conformance suite checks this).
   */
  private accept(chunk: Buffer, cb: WriteCallback): void {
    this.hasher?.update(chunk);
    this.bytes += chunk.length;
    if (this.staging === undefined && this.intoHeadBuffer(chunk)) {
      cb();
      return;
    }
    const own = Buffer.allocUnsafe(chunk.length);
    chunk.copy(own);
    if (this.staging !== undefined) {
      this.staging.write([own], cb);
      return;
    }
    this.head.push(own);
    this.headBytes += own.length;
    if (this.headBytes <= this.backend.headLimit) {
      cb();
      return;
    }
    const chunks = this.head;
    this.head = [];
    this.headBytes = 0;
    this.staging = this.backend.startStaging({
      errorOf: (err) => (this.abortRequested ? abortedError(this.options.signal, this.backend.path) : this.backend.classify(err, this.backend.path)),
      fail: (error) => {
        if (!this.stream.destroyed) this.stream.destroy(error);
      },
    });
    this.staging.write(chunks, cb);
  }

  /**
   * Copy `chunk` into the preallocated head when the announced size allows it (true: taken). Why: a file
   * that is published by one put is then copied once on its way, instead of once per chunk and again
   * when the chunks are joined; from head-buffers.ts's pool when it is large (no page faults on reuse).
   */
  private intoHeadBuffer(chunk: Buffer): boolean {
    const expected = this.options.size;
    if (this.head.length === 0 && this.headBuffer === undefined && this.headBytes === 0 && expected !== undefined && expected > 0 && expected <= this.backend.headLimit) {
      const head = takeHeadBuffer(expected, this.backend.headLimit);
      this.headBuffer = head.buffer;
      this.headPooled = head.pooled;
    }
    const buffer = this.headBuffer;
    if (buffer === undefined) return false;
    if (this.headBytes + chunk.length <= buffer.length) {
      chunk.copy(buffer, this.headBytes);
      this.headBytes += chunk.length;
      return true;
    }
    // More bytes than announced (the file grew): back to a list of chunks; commit() then fails with size_mismatch.
    this.head = [buffer.subarray(0, this.headBytes)];
    this.headBuffer = undefined;
    this.headPooled = undefined; // still referenced by `head`: left to the garbage collector
    return false;
  }

  /** End of the stream: every staged byte must be stored before 'finish'. */
  private finish(cb: WriteCallback): void {
    if (this.staging === undefined) {
      cb();
      return;
    }
    this.staging.end().then(() => cb(), (err: unknown) => cb(this.backend.classify(err, this.backend.path)));
  }

  commit(commitOptions: CommitOptions = {}): Promise<CommitResult> {
    if (this.state === 'aborted') {
      return (async () => {
        await this.cleanupPromise?.catch(() => {});
        throw abortedError(this.options.signal, this.backend.path);
      })();
    }
    if (this.state !== 'open') return Promise.reject(new StorageError('invalid_argument', 'commit() called twice', { path: this.backend.path }));
    this.state = 'committing';
    this.commitPromise = this.doCommit(commitOptions);
    return this.commitPromise;
  }

  private checkAbort(): void {
    if (this.abortRequested || this.options.signal?.aborted === true) throw abortedError(this.options.signal, this.backend.path);
  }

  private published(size: number): CommitResult {
    this.state = 'committed';
    this.detachSignal();
    this.backend.done(true);
    return { size };
  }

  private async doCommit(commitOptions: CommitOptions): Promise<CommitResult> {
    const { backend, options } = this;
    const { path } = backend;
    try {
      if (this.stream.errored !== null) throw this.stream.errored;
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      this.checkAbort();
      const size = this.bytes;
      if (options.size !== undefined && options.size !== size) throw new StorageError('size_mismatch', `expected ${options.size} bytes, got ${size}`, { path });
      const digest = this.hasher?.digest('hex');
      this.releaseHasher();
      if (digest === undefined) throw new StorageError('io', 'the writer lost its hasher', { path });
      const checksum = `xxhash64:${digest}`;
      const params = backend.params(checksum);
      const noReplace = options.noReplace === true;
      const { staging } = this;
      if (staging === undefined) {
        const data = this.headBuffer !== undefined ? this.headBuffer.subarray(0, this.headBytes)
          : this.head.length === 1 ? (this.head[0] as Buffer) : Buffer.concat(this.head, this.headBytes);
        const pooled = this.headPooled;
        this.head = [];
        this.headBuffer = undefined;
        this.headPooled = undefined;
        const digest = backend.payloadDigest(data); // taken first: whatever verify sees, the put sends exactly these bytes
        if (commitOptions.verify !== undefined) {
          await this.verifyFrom(commitOptions.verify, Readable.from(data.length === 0 ? [] : [data], { objectMode: false }));
          this.checkAbort();
        }
        await this.publishing(() => backend.putFinal(data, digest, params, noReplace), noReplace, size, checksum);
        if (pooled !== undefined) giveBackHeadBuffer(pooled); // the put succeeded: nothing reads these bytes any more
        return this.published(size);
      }
      const sealed = await staging.seal();
      if (sealed === null) throw new StorageError('io', 'the temporary object vanished before commit', { path });
      if (sealed.size !== size) throw new StorageError('size_mismatch', `the service stored ${String(sealed.size)} bytes, ${size} were sent`, { path });
      if (commitOptions.verify !== undefined) {
        await this.verifyFrom(commitOptions.verify, (await staging.readBack(sealed)) ?? Readable.from([], { objectMode: false }));
      }
      this.checkAbort();
      await this.publishing(() => staging.publish(sealed, params, noReplace), noReplace, size, checksum);
      const result = this.published(size);
      // Published: a failed removal only leaves garbage that cleanupTemp() finds; the commit stands.
      await staging.removeTemp().catch(() => {});
      return result;
    } catch (err) {
      const error = this.abortRequested ? abortedError(options.signal, path) : backend.classify(err, path);
      this.state = 'aborted';
      await this.cleanup(error).catch(() => {});
      throw error;
    }
  }

  /**
   * Run the publishing request. With `noReplace`, an object already at the target (`exists`) is this copy
   * when it holds the same bytes (a redo finding its own earlier publication); otherwise `exists`.
   */
  private async publishing(publish: () => Promise<void>, noReplace: boolean, size: number, checksum: string): Promise<void> {
    try {
      await publish();
    } catch (err) {
      if (!noReplace || !isStorageError(err, 'exists')) throw err;
      const there = await this.backend.finalObject();
      let same = there !== null && there.size === size;
      if (same && there !== null) {
        if (there.checksum !== undefined) same = there.checksum === checksum;
        else {
          const body = await there.read();
          same = body !== null && `xxhash64:${await xxhashOf(body)}` === checksum;
        }
      }
      if (!same) throw new StorageError('exists', 'a different file appeared at the target; it was not replaced', { path: this.backend.path, retryable: false });
    }
  }

  /** Hand `stored` to `verify`; `abort()` meanwhile destroys it. */
  private async verifyFrom(verify: NonNullable<CommitOptions['verify']>, stored: Readable): Promise<void> {
    this.readBack = stored;
    stored.on('error', () => {}); // reported to verify through its own reads
    try {
      await verify(stored);
    } finally {
      this.readBack = undefined;
      stored.destroy();
    }
  }

  async abort(reason?: unknown): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state === 'committing') {
      // Let commit reach its own check points; it then cleans up (or has already published).
      this.abortRequested = true;
      const error = abortedError(this.options.signal, this.backend.path);
      if (!this.stream.writableFinished) this.stream.destroy(error);
      this.readBack?.destroy(error);
      await this.commitPromise?.catch(() => {});
      return;
    }
    if (this.state === 'aborted') {
      await this.cleanupPromise;
      return;
    }
    this.state = 'aborted';
    await this.cleanup(reason instanceof StorageError ? reason : abortedError(this.options.signal, this.backend.path));
  }

  /** Stop the stream and have the staging remove everything it created (see `Staging.discard`). Idempotent. */
  private cleanup(error: StorageError): Promise<void> {
    this.cleanupPromise ??= (async () => {
      try {
        this.detachSignal();
        if (!this.stream.destroyed) this.stream.destroy(error);
        this.releaseHasher();
        this.head = [];
        this.headBuffer = undefined;
        this.headPooled = undefined; // a failed put may still be sending it: not given back
        await this.staging?.discard(error);
      } finally {
        this.backend.done(false);
      }
    })();
    return this.cleanupPromise;
  }
}
