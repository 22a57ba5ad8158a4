/**
 * Object-level S3 operations shared by the driver and its writer: HEAD, GET, PUT, publishing copies
 * (CopyObject, or UploadPartCopy above the single-copy limit), Object Lock, deletes and listings.
 *
 * Why a layer of its own: every request must map its errors the same way (s3-errors.ts), honour the
 * caller's AbortSignal where cancelling is safe, and apply the RGW quirks in one place:
 * - CompleteMultipartUpload may answer with an empty ETag and CopyObject without a VersionId: callers
 *   that need either read it with HEAD.
 * - RGW ignores Object Lock headers on CopyObject and CreateMultipartUpload (honours them on PutObject):
 *   so after a copy the lock is applied with PutObjectRetention / PutObjectLegalHold on the new version,
 *   and a failure removes that version again (the previous one becomes current, as if nothing happened).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand,
  PutObjectLegalHoldCommand, PutObjectRetentionCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput, S3Client, StorageClass } from '@aws-sdk/client-s3';
import { throwIfAborted } from '../errors.js';
import type { S3Settings } from './s3-config.js';
import { S3_MAX_PARTS, S3_MAX_PART_BYTES } from './s3-config.js';
import { classifyS3Error, s3ErrorCode, s3HttpStatus } from './s3-errors.js';
import { encodeCopySource } from './s3-meta.js';
import { S3PutRequest } from './s3-put-request.js';
import type { LockState } from './s3-meta.js';

/** Object Lock settings of a write (same shape as the state HeadObject reports). */
export type LockParams = LockState;

/** What a published object carries besides its bytes. Why one shape: PUT, CopyObject and multipart copy must publish the same attributes. */
export interface ObjectParams {
  readonly metadata: Record<string, string>;
  readonly contentType: string;
  /** Omitted: the bucket's default class (STANDARD). */
  readonly storageClass?: string;
  readonly lock?: LockParams;
}

/** One object of a listing page, with the SDK's optional fields resolved. Why: listing code then needs no undefined checks. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date | undefined;
  readonly storageClass: string | undefined;
}

/** One ListObjectsV2 page. Why pages: a listing never holds more than one (plus the prefetched next one). */
export interface ListPage {
  readonly objects: ListedObject[];
  /** CommonPrefixes (with their trailing '/'). */
  readonly prefixes: string[];
  readonly next: string | undefined;
}

/** One in-progress multipart upload. Why: crash recovery ages and aborts them. */
export interface PendingUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

/** The Content-MD5 header value of a body (base64 MD5): AWS requires it on a PUT with Object Lock headers. */
export function contentMd5(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}

function isMissing(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchVersion' || code === 'NoSuchUpload' || s3HttpStatus(err) === 404;
}

/** Run up to `limit` of `tasks` at once; rejects with the first failure after the running ones settle. */
async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      await task().catch((err: unknown) => { failure ??= err; });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** S3 requests of one driver instance (one bucket, one client). */
export class S3Objects {
  /** Upload ids of multipart copies in flight: `cleanupTemp` never aborts them. */
  readonly liveUploads = new Set<string>();

  private readonly putRequest: S3PutRequest;

  constructor(readonly client: S3Client, readonly settings: S3Settings) {
    this.putRequest = new S3PutRequest(client, settings);
  }

  get bucket(): string {
    return this.settings.bucket;
  }

  /** Await an SDK call, mapping its failure. Why a wrapper: one place for error mapping. */
  async call<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyS3Error(err, path);
    }
  }

  /** HeadObject, or `null` when the key does not exist. */
  async head(key: string, path: string, signal?: AbortSignal, versionId?: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }), { abortSignal: signal });
    } catch (err) {
      if (isMissing(err)) return null;
      throw classifyS3Error(err, path);
    }
  }

  /** GetObject as a stream (`range` is an HTTP Range value); `null` on 416 (range beyond the end). */
  async get(key: string, path: string, options: { range?: string; versionId?: string; signal?: AbortSignal } = {}): Promise<Readable | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: options.range, VersionId: options.versionId }), { abortSignal: options.signal });
      return res.Body as Readable;
    } catch (err) {
      if (s3ErrorCode(err) === 'InvalidRange' || s3HttpStatus(err) === 416) return null;
      throw classifyS3Error(err, path);
    }
  }

  /** Up to `max` keys starting with `prefix` (no delimiter). Why: "is there anything under this folder?" */
  async firstKeys(prefix: string, max: number, path: string, signal?: AbortSignal): Promise<string[]> {
    const res = await this.call(path, () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: max }), { abortSignal: signal }));
    return (res.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k !== '');
  }

  /** One ListObjectsV2 page under `prefix`, with or without the '/' delimiter. */
  async listPage(prefix: string, delimited: boolean, token: string | undefined, path: string, signal?: AbortSignal): Promise<ListPage> {
    const res = await this.call(path, () => this.client.send(new ListObjectsV2Command({
      Bucket: this.bucket, Prefix: prefix, Delimiter: delimited ? '/' : undefined, MaxKeys: this.settings.listPageSize, ContinuationToken: token,
    }), { abortSignal: signal }));
    return {
      objects: (res.Contents ?? []).filter((o) => o.Key !== undefined).map((o) => ({
        key: o.Key as string, size: o.Size ?? 0, lastModified: o.LastModified, storageClass: o.StorageClass,
      })),
      prefixes: (res.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter((p) => p !== ''),
      next: res.IsTruncated === true ? res.NextContinuationToken : undefined,
    };
  }

  /** Every in-progress multipart upload whose key starts with `prefix`, page by page. */
  async *uploads(prefix: string, path: string, signal?: AbortSignal): AsyncGenerator<PendingUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      throwIfAborted(signal, path);
      const res = await this.call(path, () => this.client.send(new ListMultipartUploadsCommand({
        Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      }), { abortSignal: signal }));
      for (const u of res.Uploads ?? []) {
        if (u.Key !== undefined && u.UploadId !== undefined) yield { key: u.Key, uploadId: u.UploadId, initiated: u.Initiated };
      }
      if (res.IsTruncated !== true || (res.NextKeyMarker === undefined && res.NextUploadIdMarker === undefined)) return;
      keyMarker = res.NextKeyMarker;
      uploadIdMarker = res.NextUploadIdMarker;
    }
  }

  /** Bytes uploaded so far by a multipart upload (for cleanup reports). */
  async uploadedBytes(key: string, uploadId: string, path: string): Promise<number> {
    let bytes = 0;
    let marker: string | undefined;
    for (;;) {
      const res = await this.call(path, () => this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })));
      for (const p of res.Parts ?? []) bytes += p.Size ?? 0;
      if (res.IsTruncated !== true || res.NextPartNumberMarker === undefined) return bytes;
      marker = res.NextPartNumberMarker;
    }
  }

  /** Abort a multipart upload; an upload that is already gone counts as aborted. */
  async abortUpload(key: string, uploadId: string, path: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (!isMissing(err)) throw classifyS3Error(err, path);
    }
  }

  /** Delete a key (a precise version when given); a missing key is not an error. */
  async deleteKey(key: string, path: string, versionId?: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    } catch (err) {
      if (!isMissing(err)) throw classifyS3Error(err, path);
    }
  }

  private lockHeaders(lock: LockParams | undefined): Record<string, unknown> {
    if (lock === undefined) return {};
    return {
      ...(lock.retainUntil === undefined ? {} : { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.retainUntil }),
      ...(lock.legalHold === undefined ? {} : { ObjectLockLegalHoldStatus: lock.legalHold ? 'ON' : 'OFF' }),
    };
  }

  /**
   * PutObject of an in-memory body (at most one part), as one signed request without the SDK's middleware
   * (s3-put-request.ts: the per-file request of small-file copies). The request is signed over the body's
   * SHA-256 (`payloadSha256`, hex, computed here unless given), which lets the service reject bytes that
   * differ from what was hashed (XAmzContentSHA256Mismatch). Content-MD5 is added only with Object Lock
   * headers, where AWS requires it. The lock headers are sent AND the lock is applied explicitly
   * afterwards, like after a copy, so a service that ignores the headers cannot leave the object
   * unprotected. Returns the new VersionId, if the bucket is versioned.
   */
  async put(key: string, body: Buffer, params: ObjectParams, path: string, signal?: AbortSignal, payloadSha256?: string): Promise<string | undefined> {
    const lock = params.lock;
    const headers: Record<string, string> = { 'content-type': params.contentType };
    if (lock !== undefined && (lock.retainUntil !== undefined || lock.legalHold !== undefined)) headers['content-md5'] = contentMd5(body);
    for (const [name, value] of Object.entries(params.metadata)) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    if (params.storageClass !== undefined) headers['x-amz-storage-class'] = params.storageClass;
    if (lock?.retainUntil !== undefined) {
      headers['x-amz-object-lock-mode'] = lock.mode;
      headers['x-amz-object-lock-retain-until-date'] = lock.retainUntil.toISOString();
    }
    if (lock?.legalHold !== undefined) headers['x-amz-object-lock-legal-hold'] = lock.legalHold ? 'ON' : 'OFF';
    const res = await this.call(path, () => this.putRequest.put(key, body, headers, signal, payloadSha256));
    if (lock !== undefined) await this.applyLock(key, res.versionId, lock, path);
    return res.versionId;
  }

  /**
   * Publish a copy of `srcKey` (exactly `size` bytes, pinned to `src.versionId`/`src.etag` when known) at
   * `dstKey` with fresh metadata. Up to `multipartCopyThreshold` (5 GiB, the CopyObject limit) this is
   * one CopyObject; above it, an UploadPartCopy multipart upload that only becomes visible at
   * CompleteMultipartUpload and is aborted on any failure. Either way the target switches atomically from
   * the old object to the new one. The signal is honoured up to the publishing request, never during it:
   * a request cut mid-flight might still publish. Object Lock is applied afterwards (see the file header).
   */
  async copy(srcKey: string, dstKey: string, size: number, params: ObjectParams, path: string,
    src: { versionId?: string; etag?: string } = {}, signal?: AbortSignal): Promise<string | undefined> {
    const copySource = encodeCopySource(this.bucket, srcKey, src.versionId);
    const ifMatch = src.etag !== undefined && src.etag !== '' && src.etag !== '""' ? src.etag : undefined;
    throwIfAborted(signal, path);
    let versionId: string | undefined;
    if (size <= this.settings.multipartCopyThreshold) {
      const res = await this.call(path, () => this.client.send(new CopyObjectCommand({
        Bucket: this.bucket, Key: dstKey, CopySource: copySource, CopySourceIfMatch: ifMatch, MetadataDirective: 'REPLACE',
        Metadata: params.metadata, ContentType: params.contentType, StorageClass: params.storageClass as StorageClass | undefined,
        ...this.lockHeaders(params.lock),
      })));
      versionId = res.VersionId;
    } else {
      versionId = await this.multipartCopy(copySource, ifMatch, dstKey, size, params, path, signal);
    }
    if (params.lock !== undefined) await this.applyLock(dstKey, versionId, params.lock, path);
    return versionId;
  }

  private async multipartCopy(copySource: string, ifMatch: string | undefined, dstKey: string, size: number, params: ObjectParams,
    path: string, signal?: AbortSignal): Promise<string | undefined> {
    const partSize = Math.min(S3_MAX_PART_BYTES, Math.max(this.settings.copyPartSize, Math.ceil(size / S3_MAX_PARTS)));
    const created = await this.call(path, () => this.client.send(new CreateMultipartUploadCommand({
      Bucket: this.bucket, Key: dstKey, Metadata: params.metadata, ContentType: params.contentType,
      StorageClass: params.storageClass as StorageClass | undefined, ...this.lockHeaders(params.lock),
    }), { abortSignal: signal }));
    const uploadId = created.UploadId as string;
    this.liveUploads.add(uploadId);
    try {
      const parts: { PartNumber: number; ETag: string }[] = [];
      const tasks = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => async (): Promise<void> => {
        throwIfAborted(signal, path);
        const start = i * partSize;
        const end = Math.min(size, start + partSize) - 1;
        const res = await this.call(path, () => this.client.send(new UploadPartCopyCommand({
          Bucket: this.bucket, Key: dstKey, UploadId: uploadId, PartNumber: i + 1, CopySource: copySource,
          CopySourceRange: `bytes=${start}-${end}`, CopySourceIfMatch: ifMatch,
        }), { abortSignal: signal }));
        parts.push({ PartNumber: i + 1, ETag: res.CopyPartResult?.ETag ?? '' });
      });
      await runLimited(tasks, this.settings.queueSize);
      throwIfAborted(signal, path);
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      const done = await this.call(path, () => this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key: dstKey, UploadId: uploadId, MultipartUpload: { Parts: parts },
      })));
      return done.VersionId;
    } catch (err) {
      await this.abortUpload(dstKey, uploadId, path).catch(() => {});
      throw err;
    } finally {
      this.liveUploads.delete(uploadId);
    }
  }

  /**
   * Put retention and legal hold on the version just published. If that fails, remove the version (it is
   * not locked yet) so the commit fails as a whole, then rethrow.
   */
  private async applyLock(key: string, versionId: string | undefined, lock: LockParams, path: string): Promise<void> {
    const version = versionId ?? (await this.head(key, path))?.VersionId;
    try {
      if (lock.retainUntil !== undefined) {
        await this.call(path, () => this.client.send(new PutObjectRetentionCommand({
          Bucket: this.bucket, Key: key, VersionId: version, Retention: { Mode: lock.mode, RetainUntilDate: lock.retainUntil },
        })));
      }
      if (lock.legalHold !== undefined) {
        await this.call(path, () => this.client.send(new PutObjectLegalHoldCommand({
          Bucket: this.bucket, Key: key, VersionId: version, LegalHold: { Status: lock.legalHold ? 'ON' : 'OFF' },
        })));
      }
    } catch (err) {
      if (version !== undefined) await this.deleteKey(key, path, version).catch(() => {});
      throw err;
    }
  }
}
