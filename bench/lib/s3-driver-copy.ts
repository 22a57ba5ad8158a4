/**
 * The "drivers only" column of bench/s3-copy.ts: the same POSIX → S3 copy done in the benchmark process by
 * the posix and s3 drivers alone — list the folders, then `openRead` → `pipeline` → `openWrite` → `commit`
 * per file, `slots` files at a time — without the engine (no planner, work queue, ledger, store, API).
 *
 * Why: set against the Barge column it splits a run's time and CPU between the storage drivers and the
 * engine around them, so a regression (or a fix) can be placed on the right side. Files are written with
 * their size, mtime and mode, as the engine does, and without `verify` (no file_checksum), as the default
 * Barge column. CPU is this process's user + system time over the copy; peak RSS its VmHWM at the end
 * (which includes the benchmark's own baseline).
 */
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { StorageDriver } from '../../src/storage/driver.js';
import { createPosixDriver } from '../../src/storage/posix/posix-driver.js';
import { createS3Driver } from '../../src/storage/s3/s3-driver.js';
import type { S3Endpoint } from './s3-endpoint.js';
import type { Timed } from './tools.js';

interface FileItem {
  path: string;
  size: number;
  mtimeMs: number;
  mode?: number;
}

async function walk(driver: StorageDriver, dir: string, out: FileItem[]): Promise<void> {
  for await (const e of driver.list(dir)) {
    const path = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.kind === 'dir') await walk(driver, path, out);
    else if (e.kind === 'file') out.push({ path, size: e.size, mtimeMs: e.mtimeMs, ...(e.mode === undefined ? {} : { mode: e.mode }) });
  }
}

function vmHwmKiB(): number | undefined {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : undefined;
}

/** Copies the tree `srcDir` into `bucket` under `keyPrefix` with `slots` transfers in flight. */
export async function driverOnlyCopy(srcDir: string, endpoint: S3Endpoint, bucket: string, keyPrefix: string, slots: number): Promise<Timed & { note: string }> {
  const src = await createPosixDriver({ root: srcDir });
  const dst = await createS3Driver({ endpoint: endpoint.url, accessKeyId: endpoint.accessKey, secretAccessKey: endpoint.secretKey, bucket, prefix: keyPrefix });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const files: FileItem[] = [];
    await walk(src, '', files);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(slots, files.length) }, async () => {
      for (let f = files[next++]; f !== undefined; f = files[next++]) {
        const read = await src.openRead(f.path);
        const writer = await dst.openWrite(f.path, { size: f.size, mtimeMs: f.mtimeMs, ...(f.mode === undefined ? {} : { mode: f.mode }) });
        try {
          await pipeline(read, writer.stream);
        } catch (err) {
          await writer.abort(err);
          throw err;
        }
        await writer.commit();
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKiB: vmHwmKiB(), note: `${files.length} files; in the benchmark process, no engine` };
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}
