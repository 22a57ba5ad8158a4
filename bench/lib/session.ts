/**
 * Shared plumbing of the copy benchmarks (bench/copy-*.ts): settings from the environment, a work
 * directory under /tmp that always goes away, child processes that are always ended (normal exit,
 * errors, Ctrl-C, SIGTERM), and number formatting.
 *
 * Everything a benchmark creates lives in the one directory `workDir()` returns; cleanup removes it
 * and nothing else.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

/** A positive number from the environment, or `fallback`; anything else is an error. */
export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${raw} must be a number ≥ ${min}`);
  return n;
}

/** Something to stop on the way out (a Barge server): `stop` is graceful, `kill` is the last resort. */
export interface Stoppable {
  stop(): Promise<void>;
  kill(): void;
}

const stoppables = new Set<Stoppable>();
const tools = new Set<ChildProcess>();
let dir: string | undefined;
let cleaning: Promise<void> | undefined;

/** The benchmark's own directory (created once, under $TMPDIR, normally /tmp). */
export async function workDir(prefix: string): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), `${prefix}-`));
  return dir;
}

/** Registers a server to stop at the end; returns a function that unregisters it. */
export function track(s: Stoppable): () => void {
  stoppables.add(s);
  return () => void stoppables.delete(s);
}

/** Registers a tool process (cp, rsync, …) to kill if the benchmark is interrupted. */
export function trackTool(child: ChildProcess): void {
  tools.add(child);
  child.once('exit', () => tools.delete(child));
}

/** Stops servers, kills tools, removes the work directory. Idempotent. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const t of tools) t.kill('SIGKILL');
    await Promise.allSettled([...stoppables].map((s) => s.stop()));
    stoppables.clear();
    if (dir && process.env.BENCH_KEEP === '1') {
      // Back-to-back runs: a mass deletion slows file creation on ext4 for minutes (recently_deleted),
      // which would measure the deletion in the next run, not the tool.
      process.stdout.write(`- keeping ${dir} (BENCH_KEEP=1): remove it when no benchmark follows\n`);
      dir = undefined;
    } else if (dir) {
      process.stdout.write(`- removing ${dir}\n`);
      // `rm -rf`, not fs.rm: with millions of files (copy-rss leaves two trees of 1M) Node's recursive
      // removal held gigabytes and took minutes of CPU; fs.rm stays the fallback (no rm on PATH).
      const removed = await new Promise<boolean>((resolve) => {
        const child = spawn('rm', ['-rf', dir as string], { stdio: 'ignore' });
        child.once('error', () => resolve(false));
        child.once('exit', (code) => resolve(code === 0));
      });
      if (!removed) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      dir = undefined;
    }
  })();
  return cleaning;
}

let interrupted = false;
/** True once Ctrl-C/SIGTERM arrived: long loops (file creation) check it to stop early. */
export function isInterrupted(): boolean {
  return interrupted;
}

process.on('exit', () => {
  // Last resort (synchronous): whatever cleanup() did not get to.
  for (const t of tools) t.kill('SIGKILL');
  for (const s of stoppables) s.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return; // a second Ctrl-C while cleaning up: keep cleaning
    interrupted = true;
    console.error(`\n${signal}: stopping child processes and removing ${dir ?? 'nothing'}`);
    void cleanup().finally(() => process.exit(130));
  });
}

/**
 * Runs a benchmark's main: prints a failure (a benchmark still exits 0 once it measured; a set-up
 * failure exits 1), always cleans up.
 */
export function runBenchmark(main: () => Promise<void>): void {
  main()
    .catch((err) => {
      if (interrupted) return;
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exitCode = 1;
    })
    .finally(() => cleanup());
}

/** `some avg60` of a Linux pressure-stall file (share of time something waited for that resource). */
function pressure(resource: 'cpu' | 'io'): string | undefined {
  try {
    return /some avg10=\S+ avg60=(\S+)/.exec(readFileSync(`/proc/pressure/${resource}`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The machine line printed first: CPUs, load, pressure stalls, Node. */
export function machineLine(): string {
  const load1 = loadavg()[0] ?? 0;
  const cpu = pressure('cpu');
  const io = pressure('io');
  const psi = cpu !== undefined && io !== undefined ? `, stalled on CPU ${cpu}% / IO ${io}% of the last minute` : '';
  return `${availableParallelism()} CPUs, load average ${load1.toFixed(2)}${psi}${load1 > 0.5 ? ' (busy machine: expect noisy figures)' : ''}, Node ${process.version}`;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function rssMiB(kib: number | undefined): string {
  return kib === undefined ? '—' : fmt(kib / 1024);
}

export function cpu(seconds: number | undefined, digits = 1): string {
  return seconds === undefined ? '—' : fmt(seconds, digits);
}

export function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '—' : (a / b).toFixed(2);
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** `MET   ` / `MISSED` for verdict lines. */
export function met(ok: boolean): string {
  return ok ? 'MET   ' : 'MISSED';
}
