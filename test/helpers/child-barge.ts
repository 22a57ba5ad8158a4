/**
 * Runs Barge as a real child process — the compiled server, as `npm start` does (scripts/compiled-server.ts) —
 * so crash tests can kill it with SIGKILL and start it again on the same data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, Client } from './barge.js';
import { compiledServer } from '../../scripts/compiled-server.js';
import { clockEnv } from './role-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildBarge {
  readonly pid: number;
  /** Basic-authenticated admin client on this child's port. */
  readonly admin: Client;
  /** Base URL (`http://127.0.0.1:port`). */
  readonly url: string;
  /** Everything the child wrote to stdout so far (its start-up banner first). */
  stdout(): string;
  /** Everything the child wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** kill -9, then wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (clean shutdown), then wait until the process is gone. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts Barge on an ephemeral port with `dataDir` as its data dir (store, keys), and resolves once it
 * prints its API address. Extra `env` is added to the child's environment.
 */
export async function startChild(dataDir: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<ChildBarge> {
  const child = spawn(process.execPath, [compiledServer('test')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...clockEnv(),
      BARGE_DATA_DIR: dataDir,
      BARGE_PORT: '0',
      BARGE_HOST: '127.0.0.1',
      BARGE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BARGE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`barge did not start within ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /API:\s+(http:\/\/\S+?)\/api\/v2/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`barge exited before listening (code ${code}, signal ${signal})\n${out}\n${err}`));
    });
  });
  const admin = new Client(`${url}/api/v2`).withBasic('admin', ADMIN_PASSWORD);
  return {
    pid: child.pid as number,
    admin,
    url,
    stdout: () => out,
    stderr: () => err,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
