/**
 * Support for the S3 driver's integration tests against a real S3 service (Ceph RGW from
 * `scripts/s3-rgw-up.sh` in CI): environment, a raw SDK client for setup and inspection, unique buckets and
 * their complete removal (versions, legal holds and governance retention included).
 *
 * Why not part of the driver: tests need to look at the bucket behind the driver's back (are there
 * multipart uploads left? which storage class did the service record?), which the driver must never offer.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, ListMultipartUploadsCommand,
  ListObjectVersionsCommand, PutObjectLegalHoldCommand, S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client, parseS3Config } from './s3-config.js';
import { S3Driver } from './s3-driver.js';

/** Connection to the test service, from BARGE_TEST_S3_URL / _ACCESS_KEY / _SECRET_KEY. */
export interface S3TestEnv {
  readonly url: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The test environment, or the reason the integration tests are skipped. */
export function s3TestEnv(): S3TestEnv | { readonly skip: string } {
  const url = process.env.BARGE_TEST_S3_URL;
  const accessKeyId = process.env.BARGE_TEST_S3_ACCESS_KEY;
  const secretAccessKey = process.env.BARGE_TEST_S3_SECRET_KEY;
  if (url === undefined || url === '') {
    return { skip: 'BARGE_TEST_S3_URL is not set: S3 integration tests skipped (start a test RGW with `bash scripts/s3-rgw-up.sh` and export the variables it prints)' };
  }
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    return { skip: 'BARGE_TEST_S3_ACCESS_KEY / BARGE_TEST_S3_SECRET_KEY are not set: S3 integration tests skipped' };
  }
  return { url, accessKeyId, secretAccessKey };
}

/** A raw client with the driver's checksum settings. */
export function rawClient(env: S3TestEnv): S3Client {
  return new S3Client({
    endpoint: env.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 5,
  });
}

/** A fresh bucket name: lower case, unique per call, within 63 characters. */
export function uniqueBucketName(tag: string): string {
  return `barge-${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Create a bucket (with Object Lock, which also turns versioning on, when asked). */
export async function createBucket(client: S3Client, bucket: string, objectLock = false): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket, ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
}

/** Driver config for a test bucket (extra fields override). */
export function driverConfig(env: S3TestEnv, bucket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: env.url, accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey, bucket, maxAttempts: 3, ...extra };
}

/** Multipart uploads in progress under a prefix. */
export async function pendingUploads(client: S3Client, bucket: string, prefix = ''): Promise<{ key: string; uploadId: string }[]> {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (res.Uploads ?? []).map((u) => ({ key: u.Key ?? '', uploadId: u.UploadId ?? '' }));
}

/** Every version and delete marker under a prefix (page by page). */
async function* versions(client: S3Client, bucket: string, prefix: string): AsyncGenerator<{ key: string; versionId: string | undefined }> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const res = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const v of [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])]) if (v.Key !== undefined) yield { key: v.Key, versionId: v.VersionId };
    if (res.IsTruncated !== true) return;
    keyMarker = res.NextKeyMarker;
    versionIdMarker = res.NextVersionIdMarker;
  }
}

/**
 * Remove everything under `prefix`: multipart uploads, then every version. Plain buckets are emptied with
 * DeleteObjects (1,000 keys per request); with `lockAware`, version by version with legal holds lifted and
 * governance retention bypassed. Returns the keys that could not be removed (COMPLIANCE retention running).
 */
export async function emptyPrefix(client: S3Client, bucket: string, prefix = '', lockAware = false): Promise<string[]> {
  for (const u of await pendingUploads(client, bucket, prefix)) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId })).catch(() => {});
  }
  const left: string[] = [];
  const batch: { key: string; versionId: string | undefined }[] = [];
  const removeOne = async (v: { key: string; versionId: string | undefined }): Promise<void> => {
    const del = (): Promise<unknown> => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.key, VersionId: v.versionId, BypassGovernanceRetention: true }));
    try {
      await del();
    } catch {
      await client.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: v.key, VersionId: v.versionId, LegalHold: { Status: 'OFF' } })).catch(() => {});
      await del().catch(() => { left.push(v.key); });
    }
  };
  const flush = async (): Promise<void> => {
    const items = batch.splice(0);
    if (items.length === 0) return;
    if (lockAware) {
      for (let i = 0; i < items.length; i += 32) await Promise.all(items.slice(i, i + 32).map(removeOne));
      return;
    }
    const res = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: items.map((v) => ({ Key: v.key, VersionId: v.versionId })) } }));
    for (const e of res.Errors ?? []) left.push(e.Key ?? '?');
  };
  for await (const v of versions(client, bucket, prefix)) {
    batch.push(v);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return left;
}

/** Empty and delete a bucket; returns false (and keeps it) if locked versions remain. */
export async function deleteBucket(client: S3Client, bucket: string, lockAware = false): Promise<boolean> {
  const left = await emptyPrefix(client, bucket, '', lockAware);
  if (left.length > 0) return false;
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  return true;
}

/** The SDK command name of an HTTP request (`PUT /b/k` → PutObjectCommand, `GET /b?list-type=2` → ListObjectsV2Command…). */
function operationOf(req: { method: string; query?: Record<string, unknown>; headers?: Record<string, string> }): string {
  const q = req.query ?? {};
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(q, k);
  const copy = Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'x-amz-copy-source');
  switch (req.method) {
    case 'HEAD': return 'HeadObjectCommand';
    case 'GET':
      if (has('list-type')) return 'ListObjectsV2Command';
      if (has('uploads')) return 'ListMultipartUploadsCommand';
      if (has('uploadId')) return 'ListPartsCommand';
      if (has('versions')) return 'ListObjectVersionsCommand';
      if (has('retention')) return 'GetObjectRetentionCommand';
      if (has('legal-hold')) return 'GetObjectLegalHoldCommand';
      return 'GetObjectCommand';
    case 'PUT':
      if (has('partNumber')) return copy ? 'UploadPartCopyCommand' : 'UploadPartCommand';
      if (has('retention')) return 'PutObjectRetentionCommand';
      if (has('legal-hold')) return 'PutObjectLegalHoldCommand';
      return copy ? 'CopyObjectCommand' : 'PutObjectCommand';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUploadCommand';
      if (has('uploadId')) return 'CompleteMultipartUploadCommand';
      if (has('delete')) return 'DeleteObjectsCommand';
      if (has('restore')) return 'RestoreObjectCommand';
      return 'POST';
    case 'DELETE': return has('uploadId') ? 'AbortMultipartUploadCommand' : 'DeleteObjectCommand';
    default: return req.method;
  }
}

/** The client's HTTP handler, whose `handle` sees every request the client sends (through the SDK or not). */
export interface RequestHandlerLike {
  handle(request: { method: string; query?: Record<string, unknown>; headers?: Record<string, string>; body?: unknown }, options?: unknown): Promise<unknown>;
}

/**
 * Count the requests a client sends, by SDK command name (`ListObjectsV2Command`…). Why at the HTTP handler
 * and not in the middleware: the driver sends its PutObjects without the SDK's middleware
 * (s3-put-request.ts); every request, whichever way it is built, goes through the handler. Retries count.
 */
export function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  const handler = client.config.requestHandler as unknown as RequestHandlerLike;
  const original = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    const name = operationOf(request);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original(request, options);
  };
  return counts;
}

/** A driver whose client counts the commands it sends (see {@link countCommands}). */
export function countingDriver(env: S3TestEnv, bucket: string, extra: Record<string, unknown>): { driver: S3Driver; counts: Map<string, number>; client: S3Client } {
  const { settings, credentials } = parseS3Config(driverConfig(env, bucket, extra));
  const client = createS3Client(settings, credentials);
  return { driver: new S3Driver(client, settings), counts: countCommands(client), client };
}
