/**
 * How the S3 driver's writes reach the service: the S3 side of the shared object-store writer
 * (object/object-writer.ts holds the state machine and the data-safety rules; see its header).
 *
 * - Within `partSize` (most files): ONE PutObject at the final key signed over the SHA-256 of the bytes that
 *   were verified (`x-amz-content-sha256`, taken before `verify` saw them): the service refuses to store
 *   anything else (XAmzContentSHA256Mismatch), so the bytes stored are the bytes verified — rule 2 by the
 *   store's own check, without a temporary key and a read-back. Why SHA-256 and not Content-MD5: SigV4
 *   needs the payload's SHA-256 anyway (or UNSIGNED-PAYLOAD), and one digest the service checks is
 *   enough; MD5 costs twice as much CPU per byte where SHA-256 has CPU instructions (SHA-NI, ARMv8), and
 *   hashing was the largest part of a mover's CPU on NAS → S3 (docs/storage-drivers.md). Content-MD5 is
 *   added only where the service requires it (Object Lock headers).
 * - Beyond it: a lib-storage multipart upload to the temporary key `<dir>/.<name>.barge-<id>.part` (at most
 *   ~(queueSize + 1) × partSize in memory), completed when the stream ends; `commit()` checks the stored
 *   size (HEAD), reads the temporary object back for `verify` when asked, and publishes it with a
 *   server-side copy (CopyObject, or UploadPartCopy above 5 GiB) carrying the metadata, storage class and
 *   lock, then deletes it. Why not straight at the final key (an upload is invisible until completed):
 *   `verify` is only known at `commit()`, after the upload has started, and the parts of an unfinished
 *   upload cannot be read back; the checksum recorded in the metadata is also known only at the end.
 * Cost of the temporary key: a server-side copy of the object (no bytes through Barge; RGW shares the data
 * of large objects, AWS copies at service speed) and a DELETE; plus one full read when `verify` is asked.
 * A writer that dies leaves a temporary object or an unfinished multipart upload; `cleanupTemp` finds both.
 * No `noReplace`: S3 has no conditional copy the driver could rely on (the feature is not declared).
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import type { StorageError } from '../errors.js';
import type { ObjectWriteBackend, SealedTemp, Staging, StagingHost, WriteCallback } from '../object/write-backend.js';
import { OCTET_STREAM } from '../object/object-meta.js';
import { classifyS3Error } from './s3-errors.js';
import { parseMetadata } from './s3-meta.js';
import type { ObjectParams, S3Objects } from './s3-objects.js';

/** Everything a write needs from the driver. */
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

/** The completed temporary object, pinned to the version and ETag its HEAD reported. */
interface SealedUpload extends SealedTemp {
  readonly etag: string | undefined;
}

/** A multipart upload of the temporary key, fed through a PassThrough body. */
class S3Upload implements Staging<ObjectParams, SealedUpload> {
  private readonly body: PassThrough;
  private readonly upload: Upload;
  private readonly uploadPromise: Promise<void>;
  private uploadSucceeded = false;
  /** A temporary object exists and must be deleted on abort. */
  private tempStored = false;
  private tempVersionId: string | undefined;
  private drainWaiter: ((error: Error) => void) | undefined;

  constructor(private readonly target: S3WriteTarget, host: StagingHost) {
    const body = new PassThrough({ highWaterMark: Math.min(target.partSize, 8 << 20) });
    body.on('error', () => {}); // a destroyed body fails the upload, which reports it; never crash on 'error'
    this.body = body;
    this.upload = new Upload({
      client: target.objects.client,
      params: { Bucket: target.objects.bucket, Key: target.tempKey, Body: body, ContentType: OCTET_STREAM },
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
      const error = host.errorOf(err);
      this.drainWaiter?.(error);
      host.fail(error);
    });
  }

  write(chunks: readonly Buffer[], cb: WriteCallback): void {
    let flowing = true;
    for (const c of chunks) flowing = this.body.write(c);
    if (flowing) cb();
    else this.waitDrain(cb);
  }

  private waitDrain(cb: WriteCallback): void {
    const settle = (error?: Error): void => {
      this.body.off('drain', onDrain);
      this.drainWaiter = undefined;
      cb(error);
    };
    const onDrain = (): void => settle();
    this.body.once('drain', onDrain);
    this.drainWaiter = settle;
  }

  async end(): Promise<void> {
    this.body.end();
    await this.uploadPromise;
  }

  async seal(): Promise<SealedUpload | null> {
    const { objects, tempKey, path } = this.target;
    const stored = await objects.head(tempKey, path, undefined, this.tempVersionId);
    if (stored === null) return null;
    this.tempVersionId ??= stored.VersionId; // CompleteMultipartUpload may not say it (RGW)
    return { size: stored.ContentLength ?? Number.NaN, etag: stored.ETag };
  }

  readBack(): Promise<Readable | null> {
    return this.target.objects.get(this.target.tempKey, this.target.path, { versionId: this.tempVersionId });
  }

  async publish(sealed: SealedUpload, params: ObjectParams): Promise<void> {
    const { objects, tempKey, finalKey, path } = this.target;
    await objects.copy(tempKey, finalKey, sealed.size, params, path, { versionId: this.tempVersionId, etag: sealed.etag });
  }

  async removeTemp(): Promise<void> {
    this.tempStored = false;
    await this.target.objects.deleteKey(this.target.tempKey, this.target.path, this.tempVersionId);
  }

  destroy(error: Error): void {
    if (!this.uploadSucceeded && !this.body.destroyed) this.body.destroy(error);
  }

  /**
   * Stop the upload and remove everything it created: the multipart upload (lib-storage aborts it on
   * failure; aborted again here in case that request failed) and a completed temporary object. In-flight
   * part uploads are not cancellable: this waits for them, so nothing is created afterwards.
   */
  async discard(error: StorageError): Promise<void> {
    const { objects, tempKey, path } = this.target;
    this.destroy(error);
    await this.uploadPromise.catch(() => {});
    const uploadId = this.upload.uploadId;
    if (uploadId !== undefined && !this.uploadSucceeded) await objects.abortUpload(tempKey, uploadId, path);
    if (this.tempStored) {
      await objects.deleteKey(tempKey, path, this.tempVersionId);
      this.tempStored = false;
    }
  }
}

/** The S3 operations of one write, for the shared ObjectWriter. */
export function s3WriteBackend(target: S3WriteTarget): ObjectWriteBackend<ObjectParams, SealedUpload> {
  const { objects, finalKey, path } = target;
  return {
    path,
    headLimit: target.partSize,
    params: (checksum) => target.params(checksum),
    startStaging: (host) => new S3Upload(target, host),
    payloadDigest: (data) => createHash('sha256').update(data).digest(),
    putFinal: async (data, sha256, params) => {
      await objects.put(finalKey, data, params, path, undefined, sha256.toString('hex'));
    },
    finalObject: async () => {
      const head = await objects.head(finalKey, path);
      if (head === null) return null;
      return {
        size: head.ContentLength ?? 0,
        checksum: parseMetadata(head.Metadata).attrs.checksum,
        read: () => objects.get(finalKey, path, { versionId: head.VersionId }),
      };
    },
    classify: classifyS3Error,
    done: (published) => target.done(published),
  };
}
