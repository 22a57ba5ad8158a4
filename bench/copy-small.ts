/**
 * Benchmark: copying many small files, Barge side by side with `rsync -a` and
 * `rclone copy --transfers 8` in one run.
 *
 *   npm run bench:copy-small        (= node --import tsx bench/copy-small.ts)
 *
 * Environment (all optional):
 *   BENCH_SMALL_FILES    number of files (default 100000)
 *   BENCH_SMALL_FOLDERS  folders they are spread over (default 1000)
 *   BENCH_SMALL_BYTES    size of each file (default 4096)
 *   BENCH_ROUNDS         interleaved rounds of all columns; each column keeps its fastest (default 2)
 *   BENCH_CPU_PROF       a directory: the Barge server writes a --cpu-prof profile there
 *   BARGE_MOVER_SLOTS    passed to the Barge server
 *
 * Columns: Barge with `file_checksum: xxhash64` (rsync and rclone also verify every local copy with
 * a whole-file hash, so this is the like-for-like row), `rsync -a`, `rsync -a --fsync` (the same
 * durability as Barge, which fsyncs every file and directory before counting it done), `rclone copy
 * --transfers 8`, and Barge without checksum for reference. A missing tool is reported and its column skipped (rclone:
 * `apt-get install -y rclone`). Each column starts on an empty destination after a `sync`. Targets:
 * Barge files/s ≥ 2 × rsync and ≥ rclone. It exits 0 once it has measured: a benchmark, not a test.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { table, markdownTable } from './lib/load.js';
import { cpu, envNumber, fmt, machineLine, met, MiB, ratio, rssMiB, runBenchmark, workDir } from './lib/session.js';
import { requireTool, runTimed } from './lib/tools.js';
import { makeSmallTree } from './lib/trees.js';
import { bestOfRounds, measureColumn, source, type Column } from './lib/columns.js';
import { bootBarge } from './lib/barge-column.js';

const TARGET_VS_RSYNC = 2;
const TARGET_VS_RCLONE = 1;

const settings = {
  files: Math.round(envNumber('BENCH_SMALL_FILES', 100_000, 1)),
  rounds: Math.round(envNumber('BENCH_ROUNDS', 2, 1)),
  folders: Math.round(envNumber('BENCH_SMALL_FOLDERS', 1000, 1)),
  bytes: Math.round(envNumber('BENCH_SMALL_BYTES', 4096, 1)),
};

async function main(): Promise<void> {
  console.log(`copy-small: ${fmt(settings.files)} × ${fmt(settings.bytes)} B files in ${fmt(settings.folders)} folders; ${machineLine()}`);
  const work = await workDir('barge-bench-small');
  const src = join(work, 'src');
  const dst = join(work, 'dst');
  await mkdir(dst, { recursive: true });

  process.stdout.write(`- writing the source in ${src}… `);
  const t0 = performance.now();
  await makeSmallTree(src, settings.files, settings.folders, settings.bytes);
  console.log(`${fmt((performance.now() - t0) / 1000, 1)} s`);
  const from = await source(src);

  const haveRsync = await requireTool('rsync', 'apt-get install -y rsync');
  const haveRclone = await requireTool('rclone', 'apt-get update && apt-get install -y rclone');
  const barge = await bootBarge(work, src, dst);
  const withSum = await barge.task('bench xxhash64', { file_checksum: 'xxhash64' });
  const without = await barge.task('bench no checksum', {});

  console.log('- measuring (each column: empty destination, sync, copy, sync)');
  const conf = join(work, 'rclone.conf'); // never the user's rclone config
  const plan = [
    { label: 'Barge, xxhash64', run: () => measureColumn('Barge, xxhash64', from, dst, () => barge.run(withSum)) },
    ...(haveRsync ? [{ label: 'rsync -a', run: () => measureColumn('rsync -a', from, dst, () => runTimed('rsync', ['-a', `${src}/`, `${dst}/`], { measureRss: true })) }] : []),
    // Like for like on durability: Barge fsyncs every file (and its directory) before it counts it done.
    ...(haveRsync ? [{ label: 'rsync -a --fsync', run: () => measureColumn('rsync -a --fsync', from, dst, () => runTimed('rsync', ['-a', '--fsync', `${src}/`, `${dst}/`], { measureRss: true })) }] : []),
    ...(haveRclone ? [{ label: 'rclone copy --transfers 8', run: () => measureColumn('rclone copy --transfers 8', from, dst, () => runTimed('rclone', ['copy', '--config', conf, '--transfers', '8', src, dst], { measureRss: true })) }] : []),
    { label: 'Barge, no checksum', run: () => measureColumn('Barge, no checksum', from, dst, () => barge.run(without)) },
  ];
  const cols: Column[] = await bestOfRounds(settings.rounds, plan);
  await barge.server.stop();

  report(cols, from.files, from.bytes);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
  if (barge.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir} (summary: node --import tsx bench/lib/cpu-profile-summary.ts <file>)`);
}

function report(cols: Column[], files: number, bytes: number): void {
  const byLabel = (l: string) => cols.find((c) => c.label === l);
  const rsync = byLabel('rsync -a');
  const rclone = byLabel('rclone copy --transfers 8');
  const head = ['', 'seconds', 'files/s', 'MiB/s', 'files/s incl. sync', 'Barge xxh64 / this', 'Barge no-sum / this', 'CPU s', 'CPU µs/file', 'peak RSS MiB'];
  const sum = byLabel('Barge, xxhash64') as Column;
  const nosum = byLabel('Barge, no checksum') as Column;
  const rows = cols.map((c) => [
    c.label, fmt(c.seconds, 1), fmt(files / c.seconds), fmt(bytes / MiB / c.seconds, 1), fmt(files / c.durableSeconds),
    ratio(c.seconds, sum.seconds), ratio(c.seconds, nosum.seconds), cpu(c.cpuSeconds), c.cpuSeconds === undefined ? '—' : fmt((c.cpuSeconds * 1e6) / files), rssMiB(c.maxRssKiB),
  ]);
  console.log(`\n${table(head, rows)}`);
  console.log('  ratios are files/s ratios (this column\'s time / Barge\'s time): > 1 means Barge is faster');
  console.log('  CPU s (user + system) and peak RSS: the Barge server\'s over the run (/proc: CPU time, largest sampled VmRSS);');
  console.log('  the tools\' from GNU time. On a shared machine CPU s moves less than wall time with the neighbours\' load.');
  for (const c of cols) if (c.note) console.log(`  ${c.label}: ${c.note}`);
  console.log(`\nMarkdown:\n\n${markdownTable(head.map((h, i) => (i === 0 ? 'copy' : h)), rows)}\n`);
  console.log('Targets:');
  for (const b of [sum, nosum]) {
    if (rsync) console.log(`  ${met(rsync.seconds / b.seconds >= TARGET_VS_RSYNC)} ${b.label} / rsync files/s = ${ratio(rsync.seconds, b.seconds)} (target ≥ ${TARGET_VS_RSYNC})`);
    if (rclone) console.log(`  ${met(rclone.seconds / b.seconds >= TARGET_VS_RCLONE)} ${b.label} / rclone files/s = ${ratio(rclone.seconds, b.seconds)} (target ≥ ${TARGET_VS_RCLONE})`);
  }
  const durable = byLabel('rsync -a --fsync');
  if (durable) console.log(`  (info) with the same durability: Barge, xxhash64 / rsync -a --fsync files/s = ${ratio(durable.seconds, sum.seconds)}`);
}

runBenchmark(main);
