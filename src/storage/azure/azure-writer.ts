/**
 * The Azure driver's atomic writer (data-safety rules 1 and 2 on block blobs).
 *
 * A block blob is published by Put Blob or Put Block List; staged blocks are invisible until then, but
 * they cannot be read back either. So, as the S3 writer does with multipart uploads:
 * - The first `blockSize` bytes are kept in memory. If the stream ends within them (most files), `commit()`
 *   publishes them with ONE Put Blob at the final name. With `verify`, the in-memory bytes go to `verify`
 *   first and the Put Blob carries their MD5 (taken before `verify` saw them): the service refuses any
 *   other bytes (Md5Mismatch), so what is stored is what was verified.
 * - Beyond `blockSize`, the bytes are staged as blocks (Put Block, each checked by its MD5, `queueSize` in
 *   flight, so at most about (queueSize + 1) × blockSize in memory) on a temporary blob
 *   `<dir>/.<name>.barge-<id>.part`. `commit()` commits that blob (Put Block List), checks its stored size,
 *   hands a Get Blob of it to `verify` when asked (the bytes really stored), then publishes the final blob
 *   server-side: Put Block From URL of its ranges and one Put Block List carrying the metadata and access
 *   tier — nothing is visible at the final name before that last request — and deletes the temporary blob.
 *   Why not stage on the final name (its blocks are invisible too): whether `verify` is asked is known only
 *   at `commit()`, and staged blocks cannot be read back.
 * - `noReplace`: the publishing request carries If-None-Match: *. A blob that appeared at the target is not
 *   replaced; if it holds exactly these bytes (size and recorded or recomputed xxhash64) the commit stands,
 *   otherwise it fails with `exists`.
 * The xxhash64 of the bytes is computed while they stream in and stored as `barge_checksum`.
 * A writer that dies leaves a temporary blob (committed, or only staged blocks); `cleanupTemp` finds both.
 * The signal is honoured up to the publishing request, never during it: a request cut mid-flight might
 * still publish.
 */
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createXXHash64 } from 'hash-wasm';
import type { CommitOptions, CommitResult, WriteOptions, Writer } from '../driver.js';
import { onAbort } from '../driver-support.js';
import { StorageError, abortedError, isStorageError } from '../errors.js';
import type { AzureBlobs, BlobParams } from './azure-blobs.js';
import { blockId, md5Of, newWriterId } from './azure-blobs.js';
import { classifyAzureError } from './azure-errors.js';
import { OCTET_STREAM, parseAzureMetadata } from './azure-meta.js';

/** Everything a writer needs from the driver. */
export interface AzureWriteTarget {
  readonly path: string;
  readonly finalKey: string;
  readonly tempKey: string;
  readonly blobs: AzureBlobs;
  readonly blockSize: number;
  readonly queueSize: number;
  /** Metadata, content type and tier of the published blob, given the checksum (known only at commit). */
  params(checksum: string): BlobParams;
  /** Called once when the writer settles: `published` is true when the blob became visible. */
  done(published: boolean): void;
}

type State = 'open' | 'committing' | 'committed' | 'aborted';
type Callback = (error?: Error | null) => void;
type Hasher = Awaited<ReturnType<typeof createXXHash64>>;

/** Idle xxhash64 instances shared by the writers of the process (instantiating one costs as much as hashing 64 KiB). */
const idleHashers: Hasher[] = [];
const MAX_IDLE_HASHERS = 64;

async function takeHasher(): Promise<Hasher> {
  const hasher = idleHashers.pop() ?? (await createXXHash64(0, 0));
  hasher.init();
  return hasher;
}

/** xxhash64 (hex) of a stream. Why: a blob another tool wrote records no checksum; noReplace compares bytes. */
async function xxhashOf(stream: Readable): Promise<string> {
  const hasher = await takeHasher();
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  const digest = hasher.digest('hex');
  if (idleHashers.length < MAX_IDLE_HASHERS) idleHashers.push(hasher);
  return digest;
}

/** Writer of the Azure driver; see `Writer` in driver.ts for the contract and the file header for the design. */
export class AzureWriter implements Writer {
  readonly stream: Writable;
  private state: State = 'open';
  private bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  /** Staging has started: bytes go to blocks of the temporary blob. */
  private staging = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly ids: string[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private stageFailure: StorageError | undefined;
  /** Something (staged blocks or a committed temporary blob) exists under the temporary name. */
  private tempUsed = false;
  private readonly writerId = newWriterId();
  private readBack: Readable | undefined;
  private abortRequested = false;
  private cleanupPromise: Promise<void> | undefined;
  private commitPromise: Promise<CommitResult> | undefined;
  private readonly detachSignal: () => void;
  private hasher: Hasher | undefined;

  private constructor(private readonly target: AzureWriteTarget, hasher: Hasher, private readonly options: WriteOptions) {
    this.hasher = hasher;
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _encoding, cb: Callback) => this.accept(chunk, cb),
      final: (cb: Callback) => this.finish(cb),
    });
    this.stream.on('error', () => {}); // reported through commit() / pipeline(); never crash the process
    this.detachSignal = onAbort(options.signal, () => void this.abort(abortedError(options.signal, target.path)));
  }

  /** Create a writer. Why async: a new xxhash64 hasher is WebAssembly, instantiated asynchronously. */
  static async open(target: AzureWriteTarget, options: WriteOptions): Promise<AzureWriter> {
    return new AzureWriter(target, await takeHasher(), options);
  }

  private releaseHasher(): void {
    const hasher = this.hasher;
    this.hasher = undefined;
    if (hasher !== undefined && idleHashers.length < MAX_IDLE_HASHERS) idleHashers.push(hasher);
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /** Take one chunk, COPIED before `cb` (a producer may reuse its buffer once the write called back). */
  private accept(chunk: Buffer, cb: Callback): void {
    this.hasher?.update(chunk);
    this.bytes += chunk.length;
    const own = Buffer.allocUnsafe(chunk.length);
    chunk.copy(own);
    if (!this.staging) {
      this.head.push(own);
      this.headBytes += own.length;
      if (this.headBytes <= this.target.blockSize) {
        cb();
        return;
      }
      this.staging = true;
      this.pending = this.head;
      this.pendingBytes = this.headBytes;
      this.head = [];
      this.headBytes = 0;
    } else {
      this.pending.push(own);
      this.pendingBytes += own.length;
    }
    while (this.pendingBytes >= this.target.blockSize) this.stageBlock(this.target.blockSize);
    this.afterStaging(cb);
  }

  /** Call `cb` once fewer than `queueSize` blocks are in flight (backpressure), or with the first staging failure. */
  private afterStaging(cb: Callback): void {
    if (this.stageFailure !== undefined) {
      cb(this.stageFailure);
      return;
    }
    if (this.inflight.size < this.target.queueSize) {
      cb();
      return;
    }
    void Promise.race(this.inflight).then(() => this.afterStaging(cb), () => this.afterStaging(cb));
  }

  /** Cut `size` bytes from the pending chunks and stage them as the next block. */
  private stageBlock(size: number): void {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    const body = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    const id = blockId(this.writerId, this.ids.length);
    this.ids.push(id);
    this.tempUsed = true;
    const { blobs, tempKey, path } = this.target;
    const p = blobs.stage(tempKey, id, body, path).catch((err: unknown) => {
      const error = this.abortRequested ? abortedError(this.options.signal, path) : classifyAzureError(err, path);
      this.stageFailure ??= error;
      if (!this.stream.destroyed) this.stream.destroy(error);
    }).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** End of the stream: the last block is staged and every block acknowledged before 'finish'. */
  private finish(cb: Callback): void {
    if (!this.staging) {
      cb();
      return;
    }
    if (this.pendingBytes > 0) this.stageBlock(this.pendingBytes);
    void Promise.all(this.inflight).then(() => cb(this.stageFailure ?? null));
  }

  commit(commitOptions: CommitOptions = {}): Promise<CommitResult> {
    if (this.state === 'aborted') {
      return (async () => {
        await this.cleanupPromise?.catch(() => {});
        throw abortedError(this.options.signal, this.target.path);
      })();
    }
    if (this.state !== 'open') return Promise.reject(new StorageError('invalid_argument', 'commit() called twice', { path: this.target.path }));
    this.state = 'committing';
    this.commitPromise = this.doCommit(commitOptions);
    return this.commitPromise;
  }

  private checkAbort(): void {
    if (this.abortRequested || this.options.signal?.aborted === true) throw abortedError(this.options.signal, this.target.path);
  }

  private published(size: number): CommitResult {
    this.state = 'committed';
    this.detachSignal();
    this.target.done(true);
    return { size };
  }

  private async doCommit(commitOptions: CommitOptions): Promise<CommitResult> {
    const { target, options } = this;
    const { blobs, path } = target;
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
      const params = target.params(checksum);
      const noReplace = options.noReplace === true;
      if (!this.staging) {
        const data = this.head.length === 1 ? (this.head[0] as Buffer) : Buffer.concat(this.head, this.headBytes);
        this.head = [];
        const md5 = md5Of(data); // taken first: whatever verify sees, the Put Blob sends exactly these bytes
        if (commitOptions.verify !== undefined) {
          await this.verifyFrom(commitOptions.verify, Readable.from(data.length === 0 ? [] : [data], { objectMode: false }));
          this.checkAbort();
        }
        await this.publishing(() => blobs.put(target.finalKey, data, params, path, { md5, noReplace }), noReplace, size, checksum);
        return this.published(size);
      }
      await blobs.commit(target.tempKey, this.ids, { metadata: {}, contentType: OCTET_STREAM }, path);
      const stored = await blobs.head(target.tempKey, path);
      if (stored === null) throw new StorageError('io', 'the temporary blob vanished before commit', { path });
      if (stored.size !== size) throw new StorageError('size_mismatch', `the service stored ${stored.size} bytes, ${size} were sent`, { path });
      if (commitOptions.verify !== undefined) {
        const back = await blobs.get(target.tempKey, path, { etag: stored.etag });
        await this.verifyFrom(commitOptions.verify, back ?? Readable.from([], { objectMode: false }));
      }
      this.checkAbort();
      await this.publishing(() => blobs.copy(target.tempKey, target.finalKey, size, params, path, { noReplace }), noReplace, size, checksum);
      const result = this.published(size);
      // Published: a failed delete only leaves garbage that cleanupTemp() finds; the commit stands.
      await blobs.remove(target.tempKey, path).catch(() => {});
      this.tempUsed = false;
      return result;
    } catch (err) {
      const error = this.abortRequested ? abortedError(options.signal, path) : classifyAzureError(err, path);
      this.state = 'aborted';
      await this.cleanup(error).catch(() => {});
      throw error;
    }
  }

  /**
   * Run the publishing request. With `noReplace`, a blob already at the target (BlobAlreadyExists) is this
   * copy when it holds the same bytes (a redo finding its own earlier publication); otherwise `exists`.
   */
  private async publishing(publish: () => Promise<void>, noReplace: boolean, size: number, checksum: string): Promise<void> {
    try {
      await publish();
    } catch (err) {
      if (!noReplace || !isStorageError(err, 'exists')) throw err;
      const { blobs, finalKey, path } = this.target;
      const there = await blobs.head(finalKey, path);
      let same = there !== null && there.size === size;
      if (same && there !== null) {
        const recorded = parseAzureMetadata(there.metadata).attrs.checksum;
        if (recorded !== undefined) same = recorded === checksum;
        else {
          const body = await blobs.get(finalKey, path, { etag: there.etag });
          same = body !== null && `xxhash64:${await xxhashOf(body)}` === checksum;
        }
      }
      if (!same) throw new StorageError('exists', 'a different file appeared at the target; it was not replaced', { path, retryable: false });
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
      const error = abortedError(this.options.signal, this.target.path);
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
    await this.cleanup(reason instanceof StorageError ? reason : abortedError(this.options.signal, this.target.path));
  }

  /**
   * Stop staging and remove what it created: in-flight Put Blocks are awaited, not cancelled (a request cut
   * on the client may still land on the service after the removal, leaving staged blocks for a week),
   * then the temporary blob (committed or only staged blocks) is removed. Idempotent.
   */
  private cleanup(error: StorageError): Promise<void> {
    this.cleanupPromise ??= (async () => {
      const { blobs, tempKey, path } = this.target;
      try {
        this.detachSignal();
        if (!this.stream.destroyed) this.stream.destroy(error);
        this.releaseHasher();
        this.head = [];
        this.pending = [];
        await Promise.allSettled([...this.inflight]);
        if (this.tempUsed) {
          await blobs.remove(tempKey, path, { uncommitted: true });
          this.tempUsed = false;
        }
      } finally {
        this.target.done(false);
      }
    })();
    return this.cleanupPromise;
  }
}
