/**
 * The standard tools Barge is compared with (cp, rsync, rclone) and the shell helpers around them:
 * is a tool installed, run it timed (optionally under GNU time for its peak RSS), `sync`, and the
 * file count/bytes of a tree (so a broken copy is never reported as a fast one).
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { trackTool } from './session.js';

/** Full path of `tool` on PATH, or undefined. */
export async function which(tool: string): Promise<string | undefined> {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, tool);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** Prints why a column is missing; returns whether the tool is there. */
export async function requireTool(tool: string, install: string): Promise<boolean> {
  if (await which(tool)) return true;
  console.log(`  ! ${tool} is not installed: its column is skipped (install: ${install})`);
  return false;
}

export interface Timed {
  seconds: number;
  /** Peak RSS in KiB (GNU time's %M: the largest of the process and its waited-for children). */
  maxRssKiB?: number;
  /** User + system CPU seconds (GNU time's %U + %S, children included). */
  cpuSeconds?: number;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs `cmd args…` to completion and times it (wall clock). With `measureRss` and GNU time present,
 * runs it under `/usr/bin/time` to get its peak RSS and CPU time. Throws on a non-zero exit.
 */
export async function runTimed(cmd: string, args: string[], opts: { measureRss?: boolean; cwd?: string } = {}): Promise<Timed> {
  const useTime = opts.measureRss === true && (await access(GNU_TIME, constants.X_OK).then(() => true, () => false));
  const marker = 'BENCH_GNU_TIME=';
  const [file, argv] = useTime ? [GNU_TIME, ['-f', `${marker}%M %U %S`, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = spawn(file, argv, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  trackTool(child);
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (err.length < 1 << 20) err += d;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err.slice(-2000)}`);
  const m = new RegExp(`${marker}(\\d+) ([\\d.]+) ([\\d.]+)`).exec(err);
  return m ? { seconds, maxRssKiB: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]) } : { seconds };
}

/** `sync`: writes back dirty pages so the next timing does not pay for the previous step's writes. */
export async function syncDisks(): Promise<number> {
  return (await runTimed('sync', [])).seconds;
}

/** Regular files under `dir` and their total size (via `find -printf`, fast on a million files). */
export async function treeStats(dir: string): Promise<{ files: number; bytes: number }> {
  const child = spawn('find', [dir, '-type', 'f', '-printf', '%s\\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
  trackTool(child);
  let files = 0;
  let bytes = 0;
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      files++;
      bytes += Number(l);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`find ${dir} exited ${code}`);
  return { files, bytes };
}

/** Throws unless `dst` holds the same number of files and bytes as `src`. */
export async function checkCopy(label: string, src: { files: number; bytes: number }, dstDir: string): Promise<void> {
  const d = await treeStats(dstDir);
  if (d.files !== src.files || d.bytes !== src.bytes) {
    throw new Error(`${label}: destination has ${d.files} files / ${d.bytes} bytes, source ${src.files} / ${src.bytes}`);
  }
}
