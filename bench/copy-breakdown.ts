/**
 * Profiling aid for bench/copy-small.ts: where does the time of a small-file copy go? Runs the
 * pieces of Barge's copy path in isolation on the same tree, in this process, with the engine's
 * concurrency (8 files at a time):
 *   - the walk alone (src/engine/walker.ts over the posix driver: readdir + lstat + sort);
 *   - transferFile (src/engine/transfer.ts: open, read, [hash], write to a temp file, fchmod,
 *     [fsync], [re-read + hash to verify], rename, [fsync dir]) with and without fsync and xxhash64,
 *     but without dispatcher, work queue, ledger or SQLite;
 *   - the cost of creating the two xxhash64 hashers a checksummed file needs;
 *   - fs.copyFile per file: the floor of a Node copy with the same concurrency;
 *   - the whole engine through the API (a Barge server child), for the difference.
 *
 *   node --import tsx bench/copy-breakdown.ts
 *
 * CPU time (user + system of every thread of the process doing the work) is printed next to wall time:
 * on a shared machine it is the steadier figure. Environment: BENCH_BREAKDOWN_FILES (default 20000), BENCH_BREAKDOWN_FOLDERS (200),
 * BENCH_BREAKDOWN_BYTES (4096), BENCH_BREAKDOWN_ENGINE=off to skip the server rows,
 * BENCH_CPU_PROF=dir for a profile of the server. Exits 0 once it measured.
 */
import { join, dirname } from 'node:path';
import { copyFile, mkdir } from 'node:fs/promises';
import { PosixDriver } from '../src/storage/posix/posix-driver.js';
import { transferFile } from '../src/engine/mover/transfer.js';
import { walk } from '../src/engine/dispatcher/walker.js';
import { createHasher } from '../src/lib/hashing.js';
import type { WorkItem } from '../src/engine/queue/work-item.js';
import { table, markdownTable } from './lib/load.js';
import { envNumber, fmt, machineLine, runBenchmark, workDir } from './lib/session.js';
import { syncDisks, checkCopy } from './lib/tools.js';
import { makeSmallTree, emptyDir } from './lib/trees.js';
import { source, type Source } from './lib/columns.js';
import { bootBarge } from './lib/barge-column.js';

const PARALLEL = 8;
const settings = {
  files: Math.round(envNumber('BENCH_BREAKDOWN_FILES', 20_000, 1)),
  folders: Math.round(envNumber('BENCH_BREAKDOWN_FOLDERS', 200, 1)),
  bytes: Math.round(envNumber('BENCH_BREAKDOWN_BYTES', 4096, 1)),
  engine: process.env.BENCH_BREAKDOWN_ENGINE !== 'off',
};

interface Row {
  label: string;
  seconds: number;
  /** CPU (user + system, all threads) of the process doing the work: this one, or the Barge server. */
  cpuSeconds: number;
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

async function timed(label: string, fn: () => Promise<unknown>): Promise<Row> {
  process.stdout.write(`  ${label}… `);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  console.log(`${fmt(seconds, 2)} s, CPU ${fmt(cpuSeconds, 2)} s`);
  return { label, seconds, cpuSeconds };
}

async function main(): Promise<void> {
  console.log(`copy-breakdown: ${fmt(settings.files)} × ${fmt(settings.bytes)} B files in ${fmt(settings.folders)} folders, ${PARALLEL} at a time; ${machineLine()}`);
  const work = await workDir('barge-bench-breakdown');
  const srcDir = join(work, 'src');
  const dstDir = join(work, 'dst');
  await mkdir(dstDir, { recursive: true });
  await makeSmallTree(srcDir, settings.files, settings.folders, settings.bytes);
  const from: Source = await source(srcDir);
  const src = await PosixDriver.open({ root: srcDir });
  const durable = await PosixDriver.open({ root: dstDir });
  const fast = await PosixDriver.open({ root: dstDir, fsync: false });
  const signal = new AbortController().signal;
  const rows: Row[] = [];

  // 1. The walk, collecting what the engine would plan.
  const dirs: string[] = [];
  const files: WorkItem[] = [];
  await syncDisks();
  rows.push(await timed('walk (walker.ts + posix list)', async () => {
    for await (const w of walk(src, 0, 0, '/', { recursive: true, ignoreHidden: false, order: 'asc', signal })) {
      if (w.entry.kind === 'dir') dirs.push(w.path);
      else if (w.entry.kind === 'file') {
        const e = w.entry;
        files.push({ key: w.path, op: 'copy', src: { ep: 0, path: w.path }, dst: { ep: 0, path: w.path }, size: e.size, mtimeMs: e.mtimeMs, mode: e.mode, uid: e.uid, gid: e.gid });
      }
    }
  }));

  // 2. transferFile variants (directories created first, inside the timing).
  const variants: Array<[string, PosixDriver, 'xxhash64' | null]> = [
    ['transferFile, no checksum, fsync (Barge default)', durable, null],
    ['transferFile, no checksum, no fsync', fast, null],
    ['transferFile, xxhash64 + verify, fsync', durable, 'xxhash64'],
    ['transferFile, xxhash64 + verify, no fsync', fast, 'xxhash64'],
  ];
  for (const [label, dst, checksum] of variants) {
    await emptyDir(dstDir);
    await syncDisks();
    rows.push(await timed(label, async () => {
      for (const d of dirs) await dst.mkdir(d, { signal });
      await pool(files, PARALLEL, (item) => transferFile(src, item.src.path, dst, item.src.path, item, { checksum, resetFileDate: false, keepOwnership: false, signal, onBytes: () => {} }));
    }));
    await checkCopy(label, from, dstDir);
  }

  // 3. Hasher creation alone: a checksummed copy makes two (stream + verify).
  rows.push(await timed('createHasher(xxhash64) × 2 per file', () => pool(files, PARALLEL, async () => {
    await createHasher('xxhash64');
    await createHasher('xxhash64');
  })));

  // 4. The floor of Node with the same concurrency.
  await emptyDir(dstDir);
  await syncDisks();
  rows.push(await timed('fs.copyFile (libuv, no fsync)', async () => {
    for (const d of dirs) await mkdir(join(dstDir, d), { recursive: true });
    await pool(files, PARALLEL, (item) => copyFile(join(srcDir, item.src.path), join(dstDir, item.src.path)));
  }));
  await checkCopy('fs.copyFile', from, dstDir);
  await Promise.all([src.close(), durable.close(), fast.close()]);

  // 5. The whole engine, for the difference (dispatcher, queue, ledger, SQLite, API polling).
  if (settings.engine) {
    const barge = await bootBarge(work, srcDir, dstDir);
    for (const [label, options] of [['Barge engine, no checksum', {}], ['Barge engine, xxhash64', { file_checksum: 'xxhash64' }]] as const) {
      const task = await barge.task(label, options);
      await emptyDir(dstDir);
      await syncDisks();
      process.stdout.write(`  ${label}… `);
      const r = await barge.run(task);
      console.log(`${fmt(r.seconds, 2)} s, server CPU ${fmt(r.cpuSeconds ?? 0, 2)} s (${r.note})`);
      await checkCopy(label, from, dstDir);
      rows.push({ label, seconds: r.seconds, cpuSeconds: r.cpuSeconds ?? NaN });
    }
    await barge.server.stop();
    if (barge.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir}`);
  }

  const head = ['step', 'seconds', 'files/s', 'CPU s', 'CPU µs per file'];
  const cells = rows.map((r) => [r.label, fmt(r.seconds, 2), fmt(settings.files / r.seconds), fmt(r.cpuSeconds, 2), fmt((r.cpuSeconds * 1e6) / settings.files)]);
  console.log(`\n${table(head, cells)}\n\nMarkdown:\n\n${markdownTable(head, cells)}\n`);
  console.log(`(${new Date().toISOString()}; ${dirname(srcDir)} removed next)`);
}

runBenchmark(main);
