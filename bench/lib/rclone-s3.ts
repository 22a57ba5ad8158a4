/**
 * `rclone copy` into an S3 bucket, set up like Barge's S3 driver so the two compare like for like:
 * a temporary config file (never the user's) with an s3 remote of provider Ceph, path-style URLs, no
 * bucket check; `--transfers` = Barge's mover slots, `--checkers` the same; multipart uploads of
 * 16 MiB parts, 4 in flight per file, above a 16 MiB cutoff (Barge: `partSize` 16 MiB, `queueSize` 4,
 * one PutObject up to a part).
 *
 * rclone runs under `env -u AWS_CA_BUNDLE` for an http:// endpoint: with that variable set (as some
 * environments do for their proxies), rclone 1.60 refuses to build its S3 client
 * ("LoadCustomCABundleError: … unsupported transport"), and plain http needs no CA anyway.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Endpoint } from './s3-endpoint.js';
import { runTimed, type Timed } from './tools.js';

const REMOTE = 'benchs3';

export interface RcloneS3 {
  /** Flags after `copy SRC DST`, for the report. */
  flags: string[];
  copy(srcDir: string, bucket: string, keyPrefix: string): Promise<Timed>;
}

export async function rcloneS3(work: string, endpoint: S3Endpoint, transfers: number, partMiB = 16, queue = 4): Promise<RcloneS3> {
  const config = join(work, 'rclone.conf');
  await writeFile(config, [
    `[${REMOTE}]`, 'type = s3', 'provider = Ceph', `endpoint = ${endpoint.url}`, `access_key_id = ${endpoint.accessKey}`,
    `secret_access_key = ${endpoint.secretKey}`, 'region = us-east-1', 'force_path_style = true', 'no_check_bucket = true', '',
  ].join('\n'), { mode: 0o600 });
  const flags = [
    `--transfers=${transfers}`, `--checkers=${transfers}`, `--s3-upload-concurrency=${queue}`, `--s3-chunk-size=${partMiB}M`, `--s3-upload-cutoff=${partMiB}M`,
  ];
  return {
    flags,
    copy: (srcDir, bucket, keyPrefix) => {
      const args = ['--config', config, 'copy', srcDir, `${REMOTE}:${bucket}/${keyPrefix}`, ...flags];
      return endpoint.url.startsWith('http://') ? runTimed('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', ...args], { measureRss: true }) : runTimed('rclone', args, { measureRss: true });
    },
  };
}
