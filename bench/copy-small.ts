/**
 * Benchmark: copying many small files NAS → NAS (issue #14). Barge side by side with `rsync -a`,
 * `rclone copy --transfers 8`, `cp -r` and the **durable floor** — bench/durable-floor.c, the least
 * work that gives Barge's guarantees (2 threads, each file to a temporary name, one syncfs per 1,000
 * files, then the renames), compiled with gcc when the bench runs — in one run.
 *
 *   npm run bench:copy-small                              (= node --import tsx bench/copy-small.ts)
 *   BENCH_SMALL_FILES=2000 npm run bench:copy-small       (a quick run, ~1 minute)
 *
 * Environment (all optional):
 *   BENCH_SMALL_FILES    number of files (default 100000)
 *   BENCH_SMALL_FOLDERS  folders they are spread over (default 1000)
 *   BENCH_SMALL_BYTES    size of each file (default 4096)
 *   BENCH_ROUNDS         interleaved rounds of all columns; each column keeps its fastest (default 2)
 *   BENCH_SMALL_ONLY     comma-separated column keys to run: floor,floor-xxh64,barge,barge-xxh64,rsync,rclone,cp
 *   BENCH_CPU_PROF, BENCH_NODE_ARGS, BARGE_MOVER_SLOTS, BARGE_COPY_WORKERS, BARGE_POSIX_SYNCFS  see lib/barge-column.ts
 *   BENCH_KEEP=1         keep the work directory (no deletion between back-to-back runs; remove it yourself)
 *
 * Columns, interleaved (a, b, c, a, b, c…), each into a fresh empty destination after a `sync`; no
 * tree is deleted before the end (lib/columns.ts: on this ext4, creating files right after a mass
 * deletion is several times slower). The floor with `-DHASH` also hashes what it reads with xxhash64
 * and re-reads the stored file to compare (libxxhash: `apt-get install -y libxxhash-dev`): it is the
 * floor of Barge with `file_checksum: xxhash64`. A missing tool, gcc or header is reported and its
 * column skipped.
 *
 * Reported per column: files/s, ratio to the floor (files/s ÷ the floor's files/s), and CPU µs per
 * file — user + system of every process and thread: for the tools and the floor their rusage (GNU
 * time), for Barge the server process from /proc (all its threads: API, engine, copy workers, libuv,
 * V8; plus waited-for children), split by thread name below the table. On a shared machine CPU per
 * file moves far less than wall time. Targets (issue #14): Barge ≥ 0.7 of the floor and ≥ 1.0 ×
 * rclone (files/s), without checksum against the floor, with xxhash64 against the hashing floor.
 * It exits 0 once it has measured: a benchmark, not a test.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { table, markdownTable } from './lib/load.js';
import { cpu, envNumber, fmt, machineLine, met, MiB, ratio, rssMiB, runBenchmark, workDir } from './lib/session.js';
import { requireTool, runTimed, which } from './lib/tools.js';
import { makeSmallTree } from './lib/trees.js';
import { bestOfRounds, measureColumn, source, type Column } from './lib/columns.js';
import { bootBarge } from './lib/barge-column.js';

const TARGET_VS_FLOOR = 0.7;
const TARGET_VS_RCLONE = 1;
const FLOOR_SOURCE = fileURLToPath(new URL('./durable-floor.c', import.meta.url));

const settings = {
  files: Math.round(envNumber('BENCH_SMALL_FILES', 100_000, 1)),
  rounds: Math.round(envNumber('BENCH_ROUNDS', 2, 1)),
  folders: Math.round(envNumber('BENCH_SMALL_FOLDERS', 1000, 1)),
  bytes: Math.round(envNumber('BENCH_SMALL_BYTES', 4096, 1)),
  only: process.env.BENCH_SMALL_ONLY ? new Set(process.env.BENCH_SMALL_ONLY.split(',').map((s) => s.trim())) : undefined,
};
const wanted = (key: string) => settings.only === undefined || settings.only.has(key);

const L = {
  floor: 'durable floor (C)',
  floorHash: 'durable floor + xxh64 (C)',
  barge: 'Barge, no checksum',
  bargeHash: 'Barge, xxhash64',
  rsync: 'rsync -a',
  rclone: 'rclone copy --transfers 8',
  cp: 'cp -r',
} as const;

/** Compiles the floor into `work`; undefined (with the reason printed) when it cannot. */
async function compileFloor(work: string, hash: boolean): Promise<string | undefined> {
  const label = hash ? L.floorHash : L.floor;
  if (!(await which('gcc'))) {
    console.log(`  ! gcc is not installed: "${label}" is skipped (apt-get install -y gcc)`);
    return undefined;
  }
  const out = join(work, hash ? 'durable-floor-xxh64' : 'durable-floor');
  const args = ['-O2', '-o', out, FLOOR_SOURCE, '-lpthread', ...(hash ? ['-DHASH', '-lxxhash'] : [])];
  try {
    await runTimed('gcc', args);
    return out;
  } catch (err) {
    const missingHeader = hash && /xxhash\.h/.test(String(err));
    console.log(`  ! "${label}" is skipped: ${missingHeader ? 'xxhash.h is missing (apt-get install -y libxxhash-dev)' : `gcc failed: ${String(err).slice(0, 300)}`}`);
    return undefined;
  }
}

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

  const floor = wanted('floor') ? await compileFloor(work, false) : undefined;
  const floorHash = wanted('floor-xxh64') ? await compileFloor(work, true) : undefined;
  const haveRsync = wanted('rsync') && (await requireTool('rsync', 'apt-get install -y rsync'));
  const haveRclone = wanted('rclone') && (await requireTool('rclone', 'apt-get update && apt-get install -y rclone'));
  const barge = wanted('barge') || wanted('barge-xxh64') ? await bootBarge(work, src, dst) : undefined;
  const withSum = barge && wanted('barge-xxh64') ? await barge.task('bench xxhash64', { file_checksum: 'xxhash64' }) : undefined;
  const without = barge && wanted('barge') ? await barge.task('bench no checksum', {}) : undefined;

  console.log('- measuring (each column: empty destination, sync, copy, sync)');
  const conf = join(work, 'rclone.conf'); // never the user's rclone config
  const tool = (label: string, cmd: string, args: string[]) => ({ label, run: () => measureColumn(label, from, dst, () => runTimed(cmd, args, { measureRss: true })) });
  const plan = [
    ...(floor ? [tool(L.floor, floor, [src, dst])] : []),
    ...(without && barge ? [{ label: L.barge, run: () => measureColumn(L.barge, from, dst, () => barge.run(without)) }] : []),
    ...(floorHash ? [tool(L.floorHash, floorHash, [src, dst])] : []),
    ...(withSum && barge ? [{ label: L.bargeHash, run: () => measureColumn(L.bargeHash, from, dst, () => barge.run(withSum)) }] : []),
    ...(haveRsync ? [tool(L.rsync, 'rsync', ['-a', `${src}/`, `${dst}/`])] : []),
    ...(haveRclone ? [tool(L.rclone, 'rclone', ['copy', '--config', conf, '--transfers', '8', src, dst])] : []),
    ...(wanted('cp') ? [tool(L.cp, 'cp', ['-r', `${src}/.`, `${dst}/`])] : []),
  ];
  const cols: Column[] = await bestOfRounds(settings.rounds, plan);
  await barge?.server.stop();

  report(cols, from.files, from.bytes);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
  if (barge?.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir} (summary: node --import tsx bench/lib/cpu-profile-summary.ts <file>)`);
}

function perFile(seconds: number | undefined, files: number): string {
  return seconds === undefined ? '—' : fmt((seconds * 1e6) / files);
}

function report(cols: Column[], files: number, bytes: number): void {
  const byLabel = (l: string) => cols.find((c) => c.label === l);
  const floor = byLabel(L.floor);
  const floorHash = byLabel(L.floorHash);
  const rclone = byLabel(L.rclone);
  const head = ['', 'seconds', 'files/s', 'MiB/s', 'files/s incl. sync', '/ floor', '/ hashing floor', 'CPU s', 'CPU µs/file', 'CPU µs/file, all rounds', 'peak RSS MiB'];
  const rows = cols.map((c) => [
    c.label, fmt(c.seconds, 2), fmt(files / c.seconds), fmt(bytes / MiB / c.seconds, 1), fmt(files / c.durableSeconds),
    ratio(floor?.seconds, c.seconds), ratio(floorHash?.seconds, c.seconds), cpu(c.cpuSeconds), perFile(c.cpuSeconds, files),
    (c.cpuRounds ?? []).map((s) => perFile(s, files)).join(' / ') || '—', rssMiB(c.maxRssKiB),
  ]);
  console.log(`\n${table(head, rows)}`);
  console.log('  "/ floor": this column\'s files/s ÷ the floor\'s (> 1: faster than the floor); best round of each column.');
  console.log('  CPU: user + system of every thread and child — the tools\' and the floor\'s from GNU time, the Barge server\'s from /proc.');
  for (const c of cols) if (c.note) console.log(`  ${c.label}: ${c.note}`);
  for (const c of cols) {
    if (!c.threads || c.threads.size === 0) continue;
    const parts = [...c.threads].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]).map(([name, s]) => `${name} ${perFile(s, files)}`);
    console.log(`  ${c.label}, CPU µs per file by thread (kept round): ${parts.join(', ')}`);
  }
  console.log(`\nMarkdown:\n\n${markdownTable(head.map((h, i) => (i === 0 ? 'copy' : h)), rows)}\n`);
  console.log('Targets (files/s ratios):');
  for (const [b, base] of [[byLabel(L.barge), floor], [byLabel(L.bargeHash), floorHash]] as const) {
    if (!b) continue;
    if (base) console.log(`  ${met(base.seconds / b.seconds >= TARGET_VS_FLOOR)} ${b.label} / ${base.label} = ${ratio(base.seconds, b.seconds)} (target ≥ ${TARGET_VS_FLOOR})`);
    if (rclone) console.log(`  ${met(rclone.seconds / b.seconds >= TARGET_VS_RCLONE)} ${b.label} / rclone = ${ratio(rclone.seconds, b.seconds)} (target ≥ ${TARGET_VS_RCLONE})`);
    const cpuBase = base?.cpuSeconds;
    if (cpuBase !== undefined && b.cpuSeconds !== undefined) console.log(`  (info) CPU per file: ${b.label} ${perFile(b.cpuSeconds, files)} µs, ${base?.label} ${perFile(cpuBase, files)} µs`);
  }
}

runBenchmark(main);
