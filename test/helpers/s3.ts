/**
 * S3 fixtures for engine tests against a real S3 service (Ceph RGW from `scripts/s3-rgw-up.sh`): a
 * connector registered through the API with the service's credentials, buckets created with the SDK
 * and imported with `-/sync`, and looks behind Barge's back (object hashes, metadata, multipart uploads
 * and temporary keys left over). Buckets are removed by `cleanup()`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { createBucket, deleteBucket, pendingUploads, rawClient, s3TestEnv, uniqueBucketName, type S3TestEnv } from '../../src/storage/s3/s3-test-support.js';
import type { Client } from './barge.js';
import { CloudFixture, type TestBucket } from './cloud-fixture.js';
import { unique } from './fixtures.js';

export { pendingUploads, rawClient, s3TestEnv, type S3TestEnv, type TestBucket };
export { TERMINAL } from './task-runs.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
/** The writers' temporary keys (`.<name>.barge-<id>.part`). */
export const TEMP_KEY = /(^|\/)\.[^/]*\.barge-[^/]*\.part$/;

/** A cloud task endpoint. */
export function cloud(bucket: TestBucket, ...paths: string[]): Record<string, unknown> {
  return { type: 'cloud', storage_id: bucket.id, node_paths: paths.length ? paths : ['/'] };
}

/** Every key of a bucket (all pages), sorted. */
export async function allKeys(raw: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key !== undefined) out.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out.sort();
}

/** sha256 of each object under `prefix` (key relative to it), without directory markers and temporary keys. */
export async function objectHashes(raw: S3Client, bucket: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await allKeys(raw, bucket, prefix)) {
    if (key.endsWith('/') || TEMP_KEY.test(key)) continue;
    const r = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    out[key.slice(prefix.length)] = createHash('sha256').update(await r.Body!.transformToByteArray()).digest('hex');
  }
  return out;
}

export function head(raw: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

export async function putObject(raw: S3Client, bucket: string, key: string, body: string | Buffer, metadata?: Record<string, string>): Promise<void> {
  await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) }));
}

/** What an interrupted write may leave: unfinished multipart uploads and temporary keys. */
export async function leftovers(raw: S3Client, bucket: string): Promise<{ uploads: string[]; temps: string[] }> {
  const uploads = (await pendingUploads(raw, bucket)).map((u) => u.key);
  const temps = (await allKeys(raw, bucket)).filter((k) => TEMP_KEY.test(k));
  return { uploads, temps };
}

/** One connector on the test service (registered through `admin`) and the buckets the tests create. */
export class S3Fixture extends CloudFixture {
  readonly raw: S3Client;
  private readonly created: Array<{ name: string; lock: boolean }> = [];

  constructor(readonly env: S3TestEnv, admin: Client) {
    super(admin);
    this.raw = rawClient(env);
  }

  /** The connector body for the test service (extra fields override). */
  connectorBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { name: unique('rgw'), url: this.env.url, region: 'us-east-1', provider: 'generic_s3', access_key: this.env.accessKeyId, secret_key: this.env.secretAccessKey, options: { force_path_style: true }, ...extra };
  }

  /** Creates a bucket on the service (with Object Lock when asked), imports it with `-/sync`, sets its options. */
  async bucket(tag: string, opts: { objectLock?: boolean; options?: Record<string, unknown> } = {}): Promise<TestBucket> {
    const name = uniqueBucketName(tag);
    await createBucket(this.raw, name, opts.objectLock === true);
    this.created.push({ name, lock: opts.objectLock === true });
    return this.register(name, opts.options);
  }

  /** Creates a bucket on the service only (not registered). */
  async rawBucket(tag: string): Promise<string> {
    const name = uniqueBucketName(tag);
    await createBucket(this.raw, name);
    this.created.push({ name, lock: false });
    return name;
  }

  /** Removes every bucket created here (locked versions by bypassing GOVERNANCE retention). */
  async cleanup(): Promise<void> {
    for (const b of this.created.splice(0)) {
      const gone = await deleteBucket(this.raw, b.name, b.lock).catch((err: Error) => {
        console.log(`# bucket ${b.name} not removed: ${err.message}`);
        return true;
      });
      if (!gone) console.log(`# bucket ${b.name} kept: locked versions remain`);
    }
  }

  destroy(): void {
    this.raw.destroy();
  }
}
