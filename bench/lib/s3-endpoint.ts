/**
 * The S3 endpoint of the S3 benchmarks (the local Ceph RGW of scripts/s3-rgw-up.sh by default): its
 * settings from the environment, a reachability check that says clearly when it is down, and the
 * bucket chores around each measured run — a fresh bucket per run, checked (object count and bytes)
 * and deleted afterwards with everything in it, also on Ctrl-C.
 *
 *   BENCH_S3_URL         endpoint (default http://127.0.0.1:7480)
 *   BENCH_S3_ACCESS_KEY  access key (default AKTEST)
 *   BENCH_S3_SECRET_KEY  secret key (default SKTEST)
 *   BENCH_S3_RGW_GC      set to 0 to skip `radosgw-admin gc process` after a bucket is deleted (RGW only
 *                        frees deleted data at its next GC, hours later: on a memstore OSD, memory would
 *                        run out over a few runs)
 *   BENCH_S3_RGW_CONF    ceph.conf for that radosgw-admin call (default /tmp/rgw-test/ceph.conf)
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';
import { track, trackTool } from './session.js';

export interface S3Endpoint {
  url: string;
  accessKey: string;
  secretKey: string;
}

export function s3EndpointFromEnv(): S3Endpoint {
  return {
    url: process.env.BENCH_S3_URL || 'http://127.0.0.1:7480',
    accessKey: process.env.BENCH_S3_ACCESS_KEY || 'AKTEST',
    secretKey: process.env.BENCH_S3_SECRET_KEY || 'SKTEST',
  };
}

/** Buckets this process created and has not deleted yet (deleted by cleanup, also on Ctrl-C). */
const live = new Set<string>();

export class BenchBuckets {
  readonly client: S3Client;
  private seq = 0;
  private readonly prefix = `barge-bench-${process.pid}-${Date.now().toString(36)}`;

  constructor(readonly endpoint: S3Endpoint) {
    this.client = new S3Client({
      endpoint: endpoint.url, region: 'us-east-1', forcePathStyle: true,
      credentials: { accessKeyId: endpoint.accessKey, secretAccessKey: endpoint.secretKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    track({ stop: () => this.deleteAll(), kill: () => undefined });
  }

  /** Throws a readable error when the endpoint does not answer or refuses the keys. */
  async check(): Promise<void> {
    try {
      await this.client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5000) });
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`the S3 endpoint ${this.endpoint.url} is down or refuses the keys (${why}).\n` +
        '  Start the local RGW with `bash scripts/s3-rgw-up.sh`, or point BENCH_S3_URL / BENCH_S3_ACCESS_KEY / BENCH_S3_SECRET_KEY elsewhere.');
    }
  }

  /** A new empty bucket named `<prefix>-<label>-<n>`. */
  async create(label: string): Promise<string> {
    const name = `${this.prefix}-${label}-${++this.seq}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63);
    await this.client.send(new CreateBucketCommand({ Bucket: name }));
    live.add(name);
    return name;
  }

  /** Objects (directory markers `…/` excluded), their bytes, and the smallest and largest object. */
  async stats(bucket: string): Promise<{ files: number; bytes: number; minSize: number; maxSize: number }> {
    let files = 0;
    let bytes = 0;
    let minSize = Number.POSITIVE_INFINITY;
    let maxSize = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key?.endsWith('/')) continue;
        files++;
        bytes += o.Size ?? 0;
        minSize = Math.min(minSize, o.Size ?? 0);
        maxSize = Math.max(maxSize, o.Size ?? 0);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { files, bytes, minSize: files === 0 ? 0 : minSize, maxSize };
  }

  /**
   * Throws unless `bucket` holds as many objects and bytes as the source, and, with `eachBytes` (every
   * source file has that size), unless every object has exactly that size.
   */
  async checkCopy(label: string, bucket: string, src: { files: number; bytes: number; eachBytes?: number }): Promise<void> {
    const d = await this.stats(bucket);
    if (d.files !== src.files || d.bytes !== src.bytes) {
      throw new Error(`${label}: bucket ${bucket} has ${d.files} objects / ${d.bytes} bytes, source ${src.files} / ${src.bytes}`);
    }
    if (src.eachBytes !== undefined && (d.minSize !== src.eachBytes || d.maxSize !== src.eachBytes)) {
      throw new Error(`${label}: bucket ${bucket} has objects of ${d.minSize}–${d.maxSize} bytes, every source file has ${src.eachBytes}`);
    }
  }

  /** Deletes every object, unfinished multipart upload and then the bucket; returns the seconds taken. */
  async remove(bucket: string): Promise<number> {
    const t0 = performance.now();
    const batches: Promise<unknown>[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
      if (keys.length) batches.push(this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (batches.length >= 4) await Promise.all(batches.splice(0));
    } while (token);
    await Promise.all(batches);
    const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    await this.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    live.delete(bucket);
    await collectGarbage();
    return (performance.now() - t0) / 1000;
  }

  /** Every bucket still there (cleanup; errors are reported, not thrown). */
  async deleteAll(): Promise<void> {
    for (const b of [...live]) {
      process.stdout.write(`- deleting bucket ${b}\n`);
      await this.remove(b).catch((err: unknown) => console.error(`  ! could not delete bucket ${b}: ${String(err)}`));
    }
  }
}

/**
 * `radosgw-admin gc process --include-all`: frees the RADOS objects of deleted S3 objects now (RGW
 * waits hours by default). Best effort: skipped when the tool or the config is absent.
 */
async function collectGarbage(): Promise<void> {
  if (process.env.BENCH_S3_RGW_GC === '0') return;
  const conf = process.env.BENCH_S3_RGW_CONF || '/tmp/rgw-test/ceph.conf';
  if (!(await access(conf, constants.R_OK).then(() => true, () => false))) return;
  const child = spawn('radosgw-admin', ['-c', conf, 'gc', 'process', '--include-all'], { stdio: 'ignore' });
  trackTool(child);
  await new Promise<void>((resolve) => {
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}
