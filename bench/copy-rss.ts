/**
 * Benchmark: peak memory of the Barge server while it copies a very large number of small files,
 * next to rclone's on the same tree.
 *
 *   npm run bench:copy-rss          (= node --import tsx bench/copy-rss.ts)
 *
 * Environment (all optional):
 *   BENCH_RSS_FILES     number of files (default 1000000)
 *   BENCH_RSS_FOLDERS   folders they are spread over (default 1000)
 *   BENCH_RSS_BYTES     size of each file (default 4096)
 *   BENCH_RSS_CHECKSUM  a file_checksum for the Barge task (default none)
 *   BENCH_CPU_PROF      a directory: the Barge server writes a --cpu-prof profile there
 *   BARGE_MOVER_SLOTS, BARGE_COPY_WORKERS   passed to the Barge server
 *   BENCH_RSS_RCLONE=0  skip the rclone column (half the files on disk: a memory check of Barge alone)
 *
 * Barge's figure is VmHWM from /proc/<pid>/status of the server child (src/main.ts): the kernel's own
 * peak RSS since the process started, read before it stops; the largest VmRSS seen by sampling
 * (every 200 ms) says when the peak happened. rclone's is GNU time's maximum RSS (`/usr/bin/time`).
 * Target: Barge ≤ 300 MiB. It exits 0 once it has measured: a benchmark, not a test.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { table, markdownTable } from './lib/load.js';
import { cpu, envNumber, fmt, isInterrupted, machineLine, met, runBenchmark, workDir } from './lib/session.js';
import { requireTool, runTimed } from './lib/tools.js';
import { makeSmallTree } from './lib/trees.js';
import { measureColumn, source, type Column } from './lib/columns.js';
import { bootBarge } from './lib/barge-column.js';
import { memoryOf, type RssSampler } from './lib/rss.js';

const TARGET_MIB = 300;

const settings = {
  files: Math.round(envNumber('BENCH_RSS_FILES', 1_000_000, 1)),
  folders: Math.round(envNumber('BENCH_RSS_FOLDERS', 1000, 1)),
  bytes: Math.round(envNumber('BENCH_RSS_BYTES', 4096, 1)),
  checksum: process.env.BENCH_RSS_CHECKSUM || undefined,
};

async function main(): Promise<void> {
  console.log(`copy-rss: ${fmt(settings.files)} × ${fmt(settings.bytes)} B files in ${fmt(settings.folders)} folders; ${machineLine()}`);
  const work = await workDir('barge-bench-rss');
  const src = join(work, 'src');
  const dst = join(work, 'dst');
  await mkdir(dst, { recursive: true });

  const t0 = performance.now();
  let shown = 0;
  console.log(`- writing the source in ${src}`);
  await makeSmallTree(src, settings.files, settings.folders, settings.bytes, (made) => {
    if (made - shown >= 100_000) {
      shown = made;
      console.log(`  ${fmt(made)} files, ${fmt((performance.now() - t0) / 1000)} s`);
    }
  });
  if (isInterrupted()) return;
  console.log(`  ${fmt(settings.files)} files in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  const from = await source(src);

  const haveRclone = process.env.BENCH_RSS_RCLONE !== '0' && await requireTool('rclone', 'apt-get update && apt-get install -y rclone');
  const barge = await bootBarge(work, src, dst);
  const task = await barge.task('bench rss', settings.checksum ? { file_checksum: settings.checksum } : {});
  const idleKiB = memoryOf(barge.server.pid)?.rssKiB ?? 0;
  console.log(`- Barge idle after boot: VmRSS ${fmt(idleKiB / 1024)} MiB`);

  console.log('- measuring (each column: empty destination, sync, copy, sync)');
  const cols: Column[] = [];
  const bargeCol = await measureColumn(`Barge${settings.checksum ? `, ${settings.checksum}` : ''}`, from, dst, () => barge.run(task));
  const s = barge.lastSampler as RssSampler;
  bargeCol.maxRssKiB = s.hwmKiB;
  bargeCol.note = `${bargeCol.note}; idle after boot ${fmt(idleKiB / 1024)} MiB, so the copy added ${fmt((s.hwmKiB - idleKiB) / 1024)} MiB; largest sampled VmRSS ${fmt(s.maxRssKiB / 1024)} MiB at ${fmt(s.maxAtSeconds, 1)} s (${s.samples} samples)`;
  cols.push(bargeCol);
  await barge.server.stop();
  if (haveRclone) {
    const conf = join(work, 'rclone.conf'); // never the user's rclone config
    cols.push(await measureColumn('rclone copy --transfers 8', from, dst, () => runTimed('rclone', ['copy', '--config', conf, '--transfers', '8', src, dst], { measureRss: true })));
  }

  report(cols, from.files);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
  if (barge.cpuProfDir) console.log(`CPU profile of the Barge server in ${barge.cpuProfDir} (summary: node --import tsx bench/lib/cpu-profile-summary.ts <file>)`);
}

function report(cols: Column[], files: number): void {
  const head = ['', 'peak RSS MiB', 'seconds', 'files/s', 'CPU s'];
  const rows = cols.map((c) => [c.label, c.maxRssKiB === undefined ? '—' : fmt(c.maxRssKiB / 1024), fmt(c.seconds, 1), fmt(files / c.seconds), cpu(c.cpuSeconds)]);
  console.log(`\n${table(head, rows)}`);
  for (const c of cols) if (c.note) console.log(`  ${c.label}: ${c.note}`);
  console.log(`\nMarkdown:\n\n${markdownTable(head.map((h, i) => (i === 0 ? 'copy' : h)), rows)}\n`);
  const b = cols[0] as Column;
  const mib = (b.maxRssKiB ?? 0) / 1024;
  console.log('Targets:');
  console.log(`  ${met(mib <= TARGET_MIB)} Barge peak RSS (VmHWM) = ${fmt(mib)} MiB (target ≤ ${TARGET_MIB} MiB)`);
  const rclone = cols[1];
  if (rclone?.maxRssKiB) console.log(`  (info) Barge / rclone peak RSS = ${((b.maxRssKiB ?? 0) / rclone.maxRssKiB).toFixed(2)}`);
}

runBenchmark(main);
