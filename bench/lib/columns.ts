/**
 * One measured copy ("column") of a copy benchmark, the same steps for every tool:
 *   1. an empty destination (see {@link freshDestination}), 2. `sync` (so dirty pages of the previous step are not paid by this
 *   one), 3. the timed copy, 4. a timed trailing `sync` (what is still unwritten when the tool
 *   returns: cp and rsync return with data in the page cache, Barge fsyncs every file before it
 *   reports it done), 5. check the destination holds as many files and bytes as the source.
 * `seconds` is the tool's own time; `durableSeconds` adds the trailing sync, the fair figure when
 * the question is "how long until the data is on disk".
 */
import { checkCopy, syncDisks, treeStats, type Timed } from './tools.js';
import { rename, mkdir } from 'node:fs/promises';
import { emptyDir } from './trees.js';
import { fmt } from './session.js';

export interface Column {
  label: string;
  seconds: number;
  durableSeconds: number;
  maxRssKiB?: number;
  /** CPU seconds (user + system) the copy used: the tool's, or the Barge server's. */
  cpuSeconds?: number;
  /** Free-form detail printed under the table (walk time, …). */
  note?: string;
  /** CPU seconds by thread name, where the copy ran in a process we can look into (Barge). */
  threads?: Map<string, number>;
  /** CPU seconds of every round of this column (bestOfRounds), the kept one included. */
  cpuRounds?: number[];
}

export interface Source {
  dir: string;
  files: number;
  bytes: number;
}

export async function source(dir: string): Promise<Source> {
  return { dir, ...(await treeStats(dir)) };
}

let retired = 0;

/**
 * Empties `dst` for the next column. A tree of many files is moved aside (into a sibling directory
 * removed with the work directory at the end) instead of deleted. Why: ext4 without a journal (this
 * machine's root) will not reuse an inode deleted less than 60–300 s ago, and checks every candidate
 * while allocating — after deleting 100,000 files, each new file costs several times more kernel CPU
 * (`recently_deleted` in a perf profile), so whichever column ran right after a deletion paid for it.
 */
async function freshDestination(src: Source, dst: string): Promise<void> {
  if (src.files <= 1000) return emptyDir(dst);
  await rename(dst, `${dst}.retired-${++retired}`);
  await mkdir(dst);
}

/**
 * Runs one column: `copy` performs the copy into `dst` and returns its own timing (a tool's wall
 * time, or Barge's run → finished_at).
 */
export async function measureColumn(label: string, src: Source, dst: string, copy: () => Promise<Timed & { note?: string; threads?: Map<string, number> }>): Promise<Column> {
  await freshDestination(src, dst);
  await syncDisks();
  process.stdout.write(`  ${label}… `);
  const t = await copy();
  const trailing = await syncDisks();
  await checkCopy(label, src, dst);
  const extra = [t.cpuSeconds === undefined ? '' : `CPU ${fmt(t.cpuSeconds, 1)} s`, t.maxRssKiB ? `peak RSS ${fmt(t.maxRssKiB / 1024)} MiB` : ''].filter(Boolean);
  console.log(`${fmt(t.seconds, 2)} s (+ ${fmt(trailing, 2)} s sync)${extra.length ? `, ${extra.join(', ')}` : ''}`);
  return { label, seconds: t.seconds, durableSeconds: t.seconds + trailing, maxRssKiB: t.maxRssKiB, cpuSeconds: t.cpuSeconds, note: t.note, threads: t.threads };
}

/**
 * Measures every column `rounds` times, in turn (a, b, c, a, b, c…), and keeps each column's fastest
 * round. Why: on a shared VM the first heavy writer after the source was made is often throttled by
 * the kernel's dirty-page accounting, which made whichever column ran first look 3–7× slower; taking
 * the best of several interleaved rounds gives every tool the same chance.
 */
export async function bestOfRounds(rounds: number, columns: ReadonlyArray<{ label: string; run: () => Promise<Column> }>): Promise<Column[]> {
  const best = new Map<string, Column>();
  const cpus = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`  round ${round} of ${rounds}`);
    for (const c of columns) {
      const col = await c.run();
      if (col.cpuSeconds !== undefined) cpus.set(c.label, [...(cpus.get(c.label) ?? []), col.cpuSeconds]);
      const prev = best.get(c.label);
      if (!prev || col.seconds < prev.seconds) best.set(c.label, col);
    }
  }
  return columns.map((c) => ({ ...(best.get(c.label) as Column), cpuRounds: cpus.get(c.label) }));
}
