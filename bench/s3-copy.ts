/**
 * Benchmark: POSIX → S3 (the local Ceph RGW by default), Barge side by side with `rclone copy` in one run.
 *
 *   npm run bench:s3        (= node --import tsx bench/s3-copy.ts)
 *
 * Environment (all optional):
 *   BENCH_S3_URL, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY   endpoint (default http://127.0.0.1:7480, AKTEST, SKTEST)
 *   BENCH_S3_LARGE_MB      size of each large file in MiB (default 256: the RGW of scripts/s3-rgw-up.sh keeps
 *                          its data in a 4 GiB memstore; 1024 is the full-size workload on a real cluster)
 *   BENCH_S3_LARGE_FILES   number of large files (default 4; 0 skips the workload)
 *   BENCH_S3_SMALL_FILES   number of small files (default 20000, the issue's full workload; 0 skips it)
 *   BENCH_S3_SMALL_KB      size of each small file in KiB (default 16)
 *   BENCH_S3_SMALL_FOLDERS folders the small files are spread over (default 20)
 *   BENCH_S3_CHECKSUM      a Barge file_checksum (e.g. xxhash64) for the Barge task (default none: the stored
 *                          object is checked by size and Content-MD5 / part ETags, as rclone does)
 *   BARGE_MOVER_SLOTS      Barge's concurrent transfers (default 8) — also rclone's --transfers
 *   BENCH_S3_DRIVER_ONLY   0 skips the "drivers only" column (the same copy by the posix and s3 drivers in this
 *                          process, without the engine: see bench/lib/s3-driver-copy.ts)
 *   BENCH_S3_RGW_LOG, BENCH_S3_RGW_GC, BENCH_S3_RGW_CONF, BENCH_CPU_PROF: see bench/lib/s3-endpoint.ts,
 *                          bench/lib/rgw-requests.ts, bench/lib/barge-column.ts
 *
 * Each run copies the workload's source into a fresh bucket, is checked (object count and bytes), and
 * the bucket is deleted before the next run (then RGW's GC is run, so memory is given back). Barge is
 * a real server child; its task (NAS share → cloud bucket, created through the API) is timed from
 * `PUT /tasks/{id}/action/run` to `finished_at`; rclone by its wall time. Requests per file come from
 * the RGW access log. Target: Barge / rclone ≥ 1.0 on MiB/s (large) and files/s (small). It exits 0 once
 * it has measured: a benchmark, not a test. Temp dirs, buckets and child processes go away at the end,
 * also on Ctrl-C.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { table, markdownTable } from './lib/load.js';
import { cpu, envNumber, fmt, machineLine, met, MiB, rssMiB, runBenchmark, workDir } from './lib/session.js';
import { requireTool, syncDisks, treeStats, type Timed } from './lib/tools.js';
import { makeLargeFiles, makeSmallTree } from './lib/trees.js';
import { bootBarge, type BargeBench } from './lib/barge-column.js';
import { call } from './lib/barge-copy.js';
import { BenchBuckets, s3EndpointFromEnv } from './lib/s3-endpoint.js';
import { RgwRequestLog, describeCounts, type RequestCounts } from './lib/rgw-requests.js';
import { rcloneS3, type RcloneS3 } from './lib/rclone-s3.js';
import { driverOnlyCopy } from './lib/s3-driver-copy.js';

const TARGET = 1.0;

const settings = {
  largeMb: Math.round(envNumber('BENCH_S3_LARGE_MB', 256, 1)),
  largeFiles: Math.round(envNumber('BENCH_S3_LARGE_FILES', 4, 0)),
  smallFiles: Math.round(envNumber('BENCH_S3_SMALL_FILES', 20_000, 0)),
  smallKb: Math.round(envNumber('BENCH_S3_SMALL_KB', 16, 1)),
  smallFolders: Math.round(envNumber('BENCH_S3_SMALL_FOLDERS', 20, 1)),
  slots: Math.round(envNumber('BARGE_MOVER_SLOTS', 8, 1)),
  checksum: process.env.BENCH_S3_CHECKSUM || undefined,
  driverOnly: process.env.BENCH_S3_DRIVER_ONLY !== '0',
};

interface Workload {
  name: string;
  /** Folder under the source share (also the key prefix in the bucket). */
  folder: string;
  files: number;
  bytes: number;
}

interface Row extends Timed {
  workload: Workload;
  tool: string;
  requests: RequestCounts | undefined;
  cleanupSeconds: number;
}

interface Ctx {
  buckets: BenchBuckets;
  log: RgwRequestLog;
  barge: BargeBench;
  connectorId: string;
  rclone: RcloneS3;
  src: string;
}

/** One measured run into a fresh bucket: copy, count requests, check, delete the bucket. */
async function measure(ctx: Ctx, w: Workload, tool: string, copy: (bucket: string) => Promise<Timed & { note?: string }>): Promise<Row> {
  const bucket = await ctx.buckets.create(`${w.folder}-${tool}`);
  process.stdout.write(`  ${w.name}, ${tool}… `);
  const mark = await ctx.log.mark();
  const t = await copy(bucket);
  const requests = await ctx.log.count(mark, bucket);
  await ctx.buckets.checkCopy(`${tool} (${w.name})`, bucket, w);
  const cleanupSeconds = await ctx.buckets.remove(bucket);
  const extra = [t.cpuSeconds === undefined ? '' : `CPU ${fmt(t.cpuSeconds, 1)} s`, t.maxRssKiB ? `peak RSS ${fmt(t.maxRssKiB / 1024)} MiB` : '',
    requests ? `${fmt(requests.total)} S3 requests` : ''].filter(Boolean);
  console.log(`${fmt(t.seconds, 2)} s${extra.length ? `, ${extra.join(', ')}` : ''} (bucket deleted in ${fmt(cleanupSeconds, 1)} s)`);
  if (t.note) console.log(`    ${t.note}`);
  if (requests) console.log(`    requests: ${describeCounts(requests, w.files)}`);
  return { ...t, workload: w, tool, requests, cleanupSeconds };
}

/** Barge: the bucket as a cloud bucket of the connector, a copy task share folder → bucket, run through the API. */
async function bargeCopy(ctx: Ctx, w: Workload, bucket: string): Promise<Timed & { note?: string }> {
  const b = ctx.barge.server;
  const row = await call(b, 'POST', `/cloud_connectors/${ctx.connectorId}/cloud_buckets`, { name: bucket });
  const task = await call(b, 'POST', '/tasks', {
    name: `bench s3 ${w.folder}`, workflow_type: 'data_migration', workflow_action: 'copy',
    options: settings.checksum ? { file_checksum: settings.checksum } : {},
    sources: [{ type: 'nas', storage_id: ctx.barge.shares.source, node_paths: [`/${w.folder}`] }],
    destinations: [{ type: 'cloud', storage_id: row.id as string, node_paths: ['/'] }],
  });
  return ctx.barge.run(task.id as string);
}

async function main(): Promise<void> {
  const s = settings;
  console.log(`s3-copy: POSIX → S3, Barge vs rclone; ${machineLine()}`);
  const endpoint = s3EndpointFromEnv();
  const buckets = new BenchBuckets(endpoint);
  await buckets.check();
  if (!(await requireTool('rclone', 'apt-get update && apt-get install -y rclone'))) throw new Error('rclone is required (it is the comparison)');
  const log = await RgwRequestLog.fromEnv();

  const work = await workDir('barge-bench-s3');
  const src = join(work, 'src');
  const unused = join(work, 'unused-share'); // bootBarge's second share; the destination here is a bucket
  await mkdir(unused, { recursive: true });
  const workloads: Workload[] = [];
  const t0 = performance.now();
  process.stdout.write(`- writing the sources in ${src}… `);
  if (s.largeFiles > 0) {
    await makeLargeFiles(join(src, 'large'), s.largeFiles, s.largeMb * MiB);
    workloads.push({ name: `${s.largeFiles} × ${fmt(s.largeMb)} MiB`, folder: 'large', ...(await treeStats(join(src, 'large'))) });
  }
  if (s.smallFiles > 0) {
    await makeSmallTree(join(src, 'small'), s.smallFiles, s.smallFolders, s.smallKb * 1024);
    workloads.push({ name: `${fmt(s.smallFiles)} × ${fmt(s.smallKb)} KiB`, folder: 'small', ...(await treeStats(join(src, 'small'))) });
  }
  await mkdir(src, { recursive: true });
  await syncDisks();
  console.log(`${fmt((performance.now() - t0) / 1000, 1)} s`);

  const barge = await bootBarge(work, src, unused);
  const connector = await call(barge.server, 'POST', '/cloud_connectors', {
    name: 'bench-rgw', provider: 'generic_s3', url: endpoint.url, access_key: endpoint.accessKey, secret_key: endpoint.secretKey,
    options: { force_path_style: true },
  });
  const rclone = await rcloneS3(work, endpoint, s.slots);
  const ctx: Ctx = { buckets, log, barge, connectorId: connector.id as string, rclone, src };
  console.log(`- ${endpoint.url}; Barge: ${s.slots} mover slots, 16 MiB parts × 4 in flight${s.checksum ? `, file_checksum ${s.checksum}` : ', no file_checksum'}; rclone ${rclone.flags.join(' ')}`);
  console.log('- measuring (each run: fresh bucket, copy, count requests, check objects and bytes, delete the bucket)');

  const rows: Row[] = [];
  for (const w of workloads) {
    rows.push(await measure(ctx, w, 'Barge', (bucket) => bargeCopy(ctx, w, bucket)));
    rows.push(await measure(ctx, w, 'rclone', (bucket) => rclone.copy(join(src, w.folder), bucket, w.folder)));
    if (s.driverOnly) rows.push(await measure(ctx, w, 'drivers only', (bucket) => driverOnlyCopy(join(src, w.folder), endpoint, bucket, w.folder, s.slots)));
  }
  await barge.server.stop();
  report(rows);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
  if (barge.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir} (summary: node --import tsx bench/lib/cpu-profile-summary.ts <file>)`);
}

function report(rows: Row[]): void {
  const head = ['workload', 'tool', 'seconds', 'MiB/s', 'files/s', 'S3 requests / file', 'CPU s', 'CPU ms / file', 'peak RSS MiB'];
  const cells = rows.map((r) => [
    r.workload.name, r.tool, fmt(r.seconds, 2), fmt(r.workload.bytes / MiB / r.seconds, 1), fmt(r.workload.files / r.seconds, 1),
    r.requests ? (r.requests.total / r.workload.files).toFixed(2) : '—', cpu(r.cpuSeconds),
    r.cpuSeconds === undefined ? '—' : fmt((r.cpuSeconds * 1000) / r.workload.files, 2), rssMiB(r.maxRssKiB),
  ]);
  console.log(`\n${table(head, cells)}`);
  console.log('  Barge: run → finished_at (walk included), CPU and peak RSS of the server; rclone: wall time, CPU and peak RSS from GNU time;');
  console.log('  drivers only: posix → s3 drivers in the benchmark process without the engine (its peak RSS includes the benchmark itself).');
  console.log('  CPU ms / file is the steadier figure on a shared machine: wall time moves with the load, CPU per file much less.');
  console.log(`\nMarkdown:\n\n${markdownTable(head, cells)}\n`);
  console.log('Targets (Barge / rclone, throughput):');
  for (const w of new Set(rows.map((r) => r.workload))) {
    const b = rows.find((r) => r.workload === w && r.tool === 'Barge');
    const c = rows.find((r) => r.workload === w && r.tool === 'rclone');
    if (!b || !c) continue;
    const ratio = c.seconds / b.seconds;
    const what = w.folder === 'large' ? 'MiB/s' : 'files/s';
    console.log(`  ${met(ratio >= TARGET)} ${w.name}: Barge / rclone ${what} = ${ratio.toFixed(2)} (target ≥ ${TARGET.toFixed(1)})`);
    const d = rows.find((r) => r.workload === w && r.tool === 'drivers only');
    if (d) console.log(`    (drivers only / rclone ${what} = ${(c.seconds / d.seconds).toFixed(2)}: what the engine could reach with no overhead of its own)`);
  }
}

runBenchmark(main);
