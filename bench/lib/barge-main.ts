/**
 * A real Barge server for the copy benchmarks, started as `npm start` does — the compiled server
 * (scripts/compiled-server.ts: built once per benchmark run into dist/bench-<pid>, removed at exit) —
 * in a child process with its own data dir and an ephemeral port. The URL is read from the
 * "API:      http://127.0.0.1:PORT/api/v2" line main prints. The child's pid IS the server, so
 * /proc/<pid>/status is the server's memory.
 *
 * Extra Node flags (e.g. `--cpu-prof --cpu-prof-dir=…`, which NODE_OPTIONS refuses) go on the command
 * line before the script; main exits through process.exit on SIGTERM, which still writes a CPU
 * profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledServer } from '../../scripts/compiled-server.js';
import { track } from './session.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export interface BargeChild {
  readonly pid: number;
  /** `http://127.0.0.1:PORT/api/v2` */
  readonly api: string;
  /** Authorization header of the admin: `Basic …` at first; see signIn() in barge-copy.ts. */
  auth: string;
  readonly process: ChildProcess;
  /** SIGTERM (clean shutdown: profile written, store closed), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface BargeOptions {
  dataDir: string;
  password: string;
  /** Added to the child's environment (BARGE_MOVER_SLOTS, …). */
  env?: Record<string, string>;
  /** Node flags for the command line (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The Node flags of `npm start` (package.json), so that a benchmark measures the server as users run
 * it — the memory target is for `npm start`. Flags given to a benchmark come after them and win.
 */
export function npmStartFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`npm start is not "node …": ${pkg.scripts.start}`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/** Starts Barge and resolves once it listens. Its stderr (warnings, errors) is passed through. */
export async function startBarge(o: BargeOptions): Promise<BargeChild> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    BARGE_DATA_DIR: o.dataDir,
    BARGE_HOST: '127.0.0.1',
    BARGE_PORT: '0',
    BARGE_ADMIN_PASSWORD: o.password,
    BARGE_LOG_LEVEL: 'warn',
    BARGE_JWT_TTL_SECONDS: '86400', // a sign-in token outlives the longest run
    ...o.env,
  };
  const child = spawn(process.execPath, [...npmStartFlags(), ...(o.nodeArgs ?? []), compiledServer('bench')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const untrack = track({ stop: () => stop(), kill: () => void child.kill('SIGKILL') });

  async function stop(graceMs = 30_000): Promise<void> {
    untrack();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(timer);
  }

  let out = '';
  const api = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`barge did not start within ${READY_TIMEOUT_MS} ms\n${out}`));
    }, READY_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < 65_536) out += d; // the banner; later output is dropped
      const m = /API:\s+(http:\/\/\S+?\/api\/v2)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`barge exited before listening (code ${code}, signal ${signal})\n${out}`));
    });
  });
  return { pid: child.pid as number, api, auth: `Basic ${Buffer.from(`admin:${o.password}`).toString('base64')}`, process: child, stop };
}
