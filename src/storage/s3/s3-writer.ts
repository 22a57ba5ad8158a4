/**
 * The S3 driver's atomic writer (data-safety rules 1 and 2 on a store that publishes on upload).
 *
 * S3 makes an object visible the moment its PutObject or CompleteMultipartUpload succeeds, and the bytes
 * cannot be read back before that. So, to keep "nothing unverified becomes visible" without ever holding a
 * whole object in memory:
 * - The first `partSize` bytes are kept in memory. If the stream ends within them (most files), `commit()`
 *   publishes them with ONE PutObject at the final key: no temporary object, no second read. With `verify`,
 *   the in-memory bytes are handed to `verify` first, and the PutObject carries their MD5 (Content-MD5, taken
 *   before `verify` saw them): the service refuses to store anything else (BadDigest), so the bytes stored
 *   are the bytes verified — rule 2 by the store's own checksum, without a temporary key and a read-back.
 * - Beyond `partSize`, the bytes stream into a lib-storage multipart upload to a temporary key
 *   `<dir>/.<name>.barge-<id>.part` (at most ~(queueSize + 1) × partSize in memory), completed when the
 *   stream ends. Why not straight at the final key (an upload is invisible until completed): `verify` is
 *   only known at `commit()`, after the upload has started, and the parts of an unfinished upload cannot be
 *   read back; the checksum recorded in the metadata is also known only at the end.
 * - `commit()` then checks the stored size (HEAD), hands a GetObject of the temporary object to `verify`
 *   when asked (the bytes really stored, read once), and publishes with a server-side copy to the final key
 *   (CopyObject, or UploadPartCopy above 5 GiB) carrying the metadata, storage class and lock, then deletes
 *   the temporary object.
 * Cost of the temporary key: a server-side copy of the object (no bytes through Barge; RGW shares the data
 * of large objects, AWS copies at service speed) and a DELETE; plus one full read when `verify` is asked.
 * A writer that dies leaves a temporary object or an unfinished multipart upload; `cleanupTemp` finds both.
 * The xxhash64 of the bytes is computed while they stream in and stored as `barge-checksum`.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Upload } from '@aws-sdk/lib-storage';
import { createXXHash64 } from 'hash-wasm';
import type { CommitOptions, CommitResult, WriteOptions, Writer } from '../driver.js';
import { onAbort } from '../driver-support.js';
import { StorageError, abortedError } from '../errors.js';
import { classifyS3Error } from './s3-errors.js';
import { contentMd5 } from './s3-objects.js';
import type { ObjectParams, S3Objects } from './s3-objects.js';

/** Everything a writer needs from the driver. */
export interface S3WriteTarget {
  /** Storage path, for errors. */
  readonly path: string;
  readonly finalKey: string;
  readonly tempKey: string;
  readonly objects: S3Objects;
  readonly partSize: number;
  readonly queueSize: number;
  /** Metadata, class and lock of the published object, given the checksum (known only at commit). */
  params(checksum: string): ObjectParams;
  /** Called once when the writer settles: `published` is true when the object became visible. */
  done(published: boolean): void;
}

type State = 'open' | 'committing' | 'committed' | 'aborted';
type Callback = (error?: Error | null) => void;
type Hasher = Awaited<ReturnType<typeof createXXHash64>>;

/** Content type of temporary objects (the published object gets its own with its metadata). */
const TEMP_CONTENT_TYPE = 'application/octet-stream';

/**
 * Idle xxhash64 instances, shared by every writer of the process. Why: instantiating the WebAssembly
 * hasher costs about as much CPU as hashing a 64 KiB file, on every file; `init()` resets a used one.
 */
const idleHashers: Hasher[] = [];
const MAX_IDLE_HASHERS = 64;

async function takeHasher(): Promise<Hasher> {
  const hasher = idleHashers.pop() ?? (await createXXHash64(0, 0));
  hasher.init();
  return hasher;
}

/** Writer of the S3 driver; see `Writer` in driver.ts for the contract and the file header for the design. */
export class S3Writer implements Writer {
  readonly stream: Writable;
  private state: State = 'open';
  private bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private upload: Upload | undefined;
  private body: PassThrough | undefined;
  private uploadPromise: Promise<void> | undefined;
  private uploadSucceeded = false;
  /** A temporary object exists and must be deleted on abort. */
  private tempStored = false;
  private tempVersionId: string | undefined;
  private drainWaiter: ((error: Error) => void) | undefined;
  private readBack: Readable | undefined;
  private abortRequested = false;
  private cleanupPromise: Promise<void> | undefined;
  private commitPromise: Promise<CommitResult> | undefined;
  private readonly detachSignal: () => void;
  /** Undefined once given back to the pool (digest taken, or the writer cleaned up). */
  private hasher: Hasher | undefined;

  private constructor(private readonly target: S3WriteTarget, hasher: Hasher, private readonly options: WriteOptions) {
    this.hasher = hasher;
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _encoding, cb: Callback) => this.accept(chunk, cb),
      final: (cb: Callback) => this.finish(cb),
      destroy: (error, cb) => {
        if (this.body !== undefined && !this.uploadSucceeded && !this.body.destroyed) this.body.destroy(error ?? abortedError(options.signal, target.path));
        cb(error);
      },
    });
    this.stream.on('error', () => {}); // reported through commit() / pipeline(); never crash the process
    this.detachSignal = onAbort(options.signal, () => void this.abort(abortedError(options.signal, target.path)));
  }

  /** Create a writer. Why async: a new xxhash64 hasher is WebAssembly, instantiated asynchronously. */
  static async open(target: S3WriteTarget, options: WriteOptions): Promise<S3Writer> {
    return new S3Writer(target, await takeHasher(), options);
  }

  /** Give the hasher back to the pool; only once no byte can reach it any more (stream finished or destroyed). */
  private releaseHasher(): void {
    const hasher = this.hasher;
    this.hasher = undefined;
    if (hasher !== undefined && idleHashers.length < MAX_IDLE_HASHERS) idleHashers.push(hasher);
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /**
   * Take one chunk. It is COPIED before `cb` is called: the writer keeps bytes until a PutObject or a part
   * is sent, and a producer may reuse its buffer as soon as the write has called back (copy loops do), so
   * a kept reference would store the buffer's later content (the conformance suite checks this).
   */
  private accept(chunk: Buffer, cb: Callback): void {
    this.hasher?.update(chunk);
    this.bytes += chunk.length;
    const own = Buffer.allocUnsafe(chunk.length);
    chunk.copy(own);
    chunk = own;
    if (this.body === undefined) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes <= this.target.partSize) {
        cb();
        return;
      }
      const body = this.startUpload();
      let flowing = true;
      for (const c of this.head) flowing = body.write(c);
      this.head = [];
      this.headBytes = 0;
      if (flowing) cb();
      else this.waitDrain(body, cb);
      return;
    }
    if (this.body.write(chunk)) cb();
    else this.waitDrain(this.body, cb);
  }

  private waitDrain(body: PassThrough, cb: Callback): void {
    const settle = (error?: Error): void => {
      body.off('drain', onDrain);
      this.drainWaiter = undefined;
      cb(error);
    };
    const onDrain = (): void => settle();
    body.once('drain', onDrain);
    this.drainWaiter = settle;
  }

  /** Start the multipart upload of the temporary key, fed through `body`. */
  private startUpload(): PassThrough {
    const { target } = this;
    const body = new PassThrough({ highWaterMark: Math.min(target.partSize, 8 << 20) });
    body.on('error', () => {}); // a destroyed body fails the upload, which reports it; never crash on 'error'
    this.body = body;
    this.upload = new Upload({
      client: target.objects.client,
      params: { Bucket: target.objects.bucket, Key: target.tempKey, Body: body, ContentType: TEMP_CONTENT_TYPE },
      partSize: target.partSize,
      queueSize: target.queueSize,
      leavePartsOnError: false,
    });
    this.uploadPromise = this.upload.done().then((result) => {
      this.uploadSucceeded = true;
      this.tempStored = true;
      this.tempVersionId = result.VersionId;
    });
    this.uploadPromise.catch((err: unknown) => {
      const error = classifyS3Error(err, target.path);
      this.drainWaiter?.(error);
      if (!this.stream.destroyed) this.stream.destroy(error);
    });
    return body;
  }

  /** End of the stream: the multipart upload (if any) must be complete before 'finish'. */
  private finish(cb: Callback): void {
    if (this.body === undefined || this.uploadPromise === undefined) {
      cb();
      return;
    }
    this.body.end();
    this.uploadPromise.then(() => cb(), (err: unknown) => cb(classifyS3Error(err, this.target.path)));
  }

  commit(commitOptions: CommitOptions = {}): Promise<CommitResult> {
    if (this.state === 'aborted') {
      return (async () => {
        await this.cleanupPromise?.catch(() => {});
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

  private published(size: number): CommitResult {
    this.state = 'committed';
    this.detachSignal();
    this.target.done(true);
    return { size };
  }

  private async doCommit(commitOptions: CommitOptions): Promise<CommitResult> {
    const { target, options } = this;
    const { objects, path } = target;
    try {
      if (this.stream.errored !== null) throw this.stream.errored;
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      this.checkAbort();
      const size = this.bytes;
      if (options.size !== undefined && options.size !== size) {
        throw new StorageError('size_mismatch', `expected ${options.size} bytes, got ${size}`, { path });
      }
      const digest = this.hasher?.digest('hex');
      this.releaseHasher();
      if (digest === undefined) throw new StorageError('io', 'the writer lost its hasher', { path });
      const params = target.params(`xxhash64:${digest}`);
      if (this.upload === undefined) {
        const data = this.head.length === 1 ? (this.head[0] as Buffer) : Buffer.concat(this.head, this.headBytes);
        this.head = [];
        // The digest the service checks is taken first: whatever verify sees, the PUT sends exactly these bytes.
        const md5 = contentMd5(data);
        if (commitOptions.verify !== undefined) {
          await this.verifyFrom(commitOptions.verify, Readable.from(data.length === 0 ? [] : [data], { objectMode: false }));
          this.checkAbort();
        }
        await objects.put(target.finalKey, data, params, path, undefined, md5);
        return this.published(size);
      }
      const stored = await objects.head(target.tempKey, path, undefined, this.tempVersionId);
      if (stored === null) throw new StorageError('io', 'the temporary object vanished before commit', { path });
      if (stored.ContentLength !== size) {
        throw new StorageError('size_mismatch', `the service stored ${String(stored.ContentLength)} bytes, ${size} were sent`, { path });
      }
      this.tempVersionId ??= stored.VersionId;
      if (commitOptions.verify !== undefined) {
        await this.verifyFrom(commitOptions.verify, (await objects.get(target.tempKey, path, { versionId: this.tempVersionId })) ?? Readable.from([], { objectMode: false }));
      }
      this.checkAbort();
      await objects.copy(target.tempKey, target.finalKey, size, params, path, { versionId: this.tempVersionId, etag: stored.ETag });
      const result = this.published(size);
      // Published: a failed delete only leaves garbage that cleanupTemp() finds; the commit stands.
      await objects.deleteKey(target.tempKey, path, this.tempVersionId).catch(() => {});
      this.tempStored = false;
      return result;
    } catch (err) {
      const error = this.abortRequested ? abortedError(options.signal, path) : classifyS3Error(err, path);
      this.state = 'aborted';
      await this.cleanup(error).catch(() => {});
      throw error;
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
   * Stop the upload and remove everything it created: the multipart upload (lib-storage aborts it on
   * failure; aborted again here in case that request failed) and a completed temporary object. Idempotent.
   * In-flight part uploads are not cancellable: cleanup waits for them, so nothing is created afterwards.
   */
  private cleanup(error: StorageError): Promise<void> {
    this.cleanupPromise ??= (async () => {
      const { objects, tempKey, path } = this.target;
      try {
        this.detachSignal();
        if (!this.stream.destroyed) this.stream.destroy(error);
        this.releaseHasher();
        if (this.body !== undefined && !this.uploadSucceeded && !this.body.destroyed) this.body.destroy(error);
        this.head = [];
        await this.uploadPromise?.catch(() => {});
        const uploadId = this.upload?.uploadId;
        if (uploadId !== undefined && !this.uploadSucceeded) await objects.abortUpload(tempKey, uploadId, path);
        if (this.tempStored) {
          await objects.deleteKey(tempKey, path, this.tempVersionId);
          this.tempStored = false;
        }
      } finally {
        this.target.done(false);
      }
    })();
    return this.cleanupPromise;
  }
}
