/**
 * Benchmark: copying a few large files, Barge side by side with `cp -r` and `rsync -a` in one run.
 *
 *   npm run bench:copy-large        (= node --import tsx bench/copy-large.ts)
 *
 * Environment (all optional):
 *   BENCH_LARGE_MB     size of each file in MiB (default 1024)
 *   BENCH_LARGE_FILES  number of files (default 4)
 *   BENCH_ROUNDS       interleaved rounds of all columns; each column keeps its fastest (default 2)
 *   BENCH_CPU_PROF     a directory: the Barge server writes a --cpu-prof profile there
 *   BARGE_MOVER_SLOTS  passed to the Barge server
 *
 * The source is random data in a temp dir under /tmp (removed at the end, also on Ctrl-C). Columns:
 * Barge with `file_checksum: xxhash64` (read, hash, write, fsync, re-read to verify, rename), `cp -r`,
 * `rsync -a`, `rsync -a --fsync` (Barge's durability), and Barge without checksum for reference. Each column starts on an empty destination
 * after a `sync`. The source stays in the page cache for every column (same for all). Target: Barge
 * (xxhash64) ≥ 0.9 × cp's MiB/s. It exits 0 once it has measured: it is a benchmark, not a test.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { table, markdownTable } from './lib/load.js';
import { cpu, envNumber, fmt, machineLine, met, MiB, ratio, rssMiB, runBenchmark, workDir } from './lib/session.js';
import { requireTool, runTimed } from './lib/tools.js';
import { makeLargeFiles } from './lib/trees.js';
import { bestOfRounds, measureColumn, source, type Column } from './lib/columns.js';
import { bootBarge } from './lib/barge-column.js';

const TARGET_VS_CP = 0.9;

const settings = {
  mb: Math.round(envNumber('BENCH_LARGE_MB', 1024, 1)),
  rounds: Math.round(envNumber('BENCH_ROUNDS', 2, 1)),
  files: Math.round(envNumber('BENCH_LARGE_FILES', 4, 1)),
};

async function main(): Promise<void> {
  const total = settings.mb * settings.files * MiB;
  console.log(`copy-large: ${settings.files} × ${fmt(settings.mb)} MiB random files (${fmt(total / MiB)} MiB); ${machineLine()}`);
  const work = await workDir('barge-bench-large');
  const src = join(work, 'src');
  const dst = join(work, 'dst');
  await mkdir(dst, { recursive: true });

  process.stdout.write(`- writing the source in ${src}… `);
  const t0 = performance.now();
  await makeLargeFiles(src, settings.files, settings.mb * MiB);
  console.log(`${fmt((performance.now() - t0) / 1000, 1)} s`);
  const from = await source(src);

  const barge = await bootBarge(work, src, dst);
  const withSum = await barge.task('bench xxhash64', { file_checksum: 'xxhash64' });
  const without = await barge.task('bench no checksum', {});
  const haveRsync = await requireTool('rsync', 'apt-get install -y rsync');

  console.log('- measuring (each column: empty destination, sync, copy, sync)');
  const plan = [
    { label: 'Barge, xxhash64', run: () => measureColumn('Barge, xxhash64', from, dst, () => barge.run(withSum)) },
    { label: 'cp -r', run: () => measureColumn('cp -r', from, dst, () => runTimed('cp', ['-r', `${src}/.`, `${dst}/`], { measureRss: true })) },
    ...(haveRsync ? [{ label: 'rsync -a', run: () => measureColumn('rsync -a', from, dst, () => runTimed('rsync', ['-a', `${src}/`, `${dst}/`], { measureRss: true })) }] : []),
    // Like for like on durability: Barge fsyncs every file (and its directory) before it counts it done.
    ...(haveRsync ? [{ label: 'rsync -a --fsync', run: () => measureColumn('rsync -a --fsync', from, dst, () => runTimed('rsync', ['-a', '--fsync', `${src}/`, `${dst}/`], { measureRss: true })) }] : []),
    { label: 'Barge, no checksum', run: () => measureColumn('Barge, no checksum', from, dst, () => barge.run(without)) },
  ];
  const cols: Column[] = await bestOfRounds(settings.rounds, plan);
  await barge.server.stop();

  report(cols, total);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
  if (barge.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir} (summary: node --import tsx bench/lib/cpu-profile-summary.ts <file>)`);
}

function report(cols: Column[], bytes: number): void {
  const byLabel = (l: string) => cols.find((c) => c.label === l);
  const cp = byLabel('cp -r');
  const rsync = byLabel('rsync -a');
  const head = ['', 'seconds', 'MiB/s', 'MiB/s incl. sync', 'Barge xxh64 / this', 'same, incl. sync', 'CPU s', 'peak RSS MiB'];
  const barge = byLabel('Barge, xxhash64') as Column;
  const rows = cols.map((c) => [
    c.label, fmt(c.seconds, 2), fmt(bytes / MiB / c.seconds), fmt(bytes / MiB / c.durableSeconds),
    ratio(c.seconds, barge.seconds), ratio(c.durableSeconds, barge.durableSeconds), cpu(c.cpuSeconds), rssMiB(c.maxRssKiB),
  ]);
  console.log(`\n${table(head, rows)}`);
  console.log('  ratios are throughput ratios (this column\'s time / Barge\'s time): > 1 means Barge is faster');
  console.log('  CPU s (user + system) and peak RSS: the Barge server\'s over the run (/proc: CPU time, largest sampled VmRSS);');
  console.log('  the tools\' from GNU time. On a shared machine CPU s moves less than wall time with the neighbours\' load.');
  for (const c of cols) if (c.note) console.log(`  ${c.label}: ${c.note}`);
  console.log(`\nMarkdown:\n\n${markdownTable(head.map((h, i) => (i === 0 ? 'copy' : h)), rows)}\n`);
  if (cp) {
    const r = cp.seconds / barge.seconds;
    console.log('Targets:');
    console.log(`  ${met(r >= TARGET_VS_CP)} Barge (xxhash64) / cp MiB/s = ${r.toFixed(2)} (target ≥ ${TARGET_VS_CP}); incl. sync: ${ratio(cp.durableSeconds, barge.durableSeconds)}`);
  }
  if (rsync) console.log(`  (info) Barge (xxhash64) / rsync MiB/s = ${ratio(rsync.seconds, barge.seconds)}; incl. sync: ${ratio(rsync.durableSeconds, barge.durableSeconds)}`);
  const durable = cols.find((c) => c.label === 'rsync -a --fsync');
  if (durable) console.log(`  (info) with the same durability: Barge (xxhash64) / rsync -a --fsync MiB/s = ${ratio(durable.seconds, barge.seconds)}`);
}

runBenchmark(main);
