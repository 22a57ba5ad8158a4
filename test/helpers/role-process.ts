/**
 * Runs `barge dispatcher` or `barge mover` as a real child process (the launcher users run, through
 * tsx), on a store given by its environment, so scale-out tests can kill -9 one, stop one with
 * SIGTERM, and start others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The clock this test process runs on, for its children: under the moved-clock pass (faketime, via
 * LD_PRELOAD) every process of one Barge must share it, as hosts share NTP time.
 */
export function clockEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && (e[0] === 'LD_PRELOAD' || e[0].startsWith('FAKETIME') || e[0] === 'DONT_FAKE_MONOTONIC')));
}

export interface RoleProcess {
  readonly name: string;
  readonly pid: number;
  output(): string;
  /** kill -9, then wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a mover drains), then wait until it is gone; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts a role; resolves once it printed its start line. */
export async function startRole(role: 'dispatcher' | 'mover', name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<RoleProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'barge.js'), role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...clockEnv(), BARGE_LOG_LEVEL: 'warn', BARGE_MOVER_NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} ${name} did not start within ${timeoutMs} ms\n${out}`));
    }, timeoutMs);
    const check = () => {
      if (out.includes(`Barge ${role} ${name} `)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${role} ${name} exited before starting (code ${code}, signal ${signal})\n${out}`));
    });
  });
  return {
    name,
    pid: child.pid as number,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      return exited(child);
    },
  };
}
