/**
 * Server children for the benchmarks. Each server runs in its own Node process so the load generator
 * does not share (and skew) its event loop. The protocol is two IPC messages: the child says
 * `{ type: 'ready', url }` once it listens; the parent says `{ type: 'stop' }` and the child closes
 * and exits normally (so a `--cpu-prof` profile gets written). A child whose parent disappears
 * (IPC disconnect) exits on its own, so an interrupted run leaves no server behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ParentMessage = { type: 'stop' };
export type ChildMessage = { type: 'ready'; url: string } | { type: 'error'; message: string };

export interface ServerChild {
  url: string;
  process: ChildProcess;
  /** Asks for a clean exit; kills after `graceMs` if it does not come. */
  stop(graceMs?: number): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Starts `bench/lib/<script>` under tsx and waits for its URL. `nodeArgs` go before the script
 * (e.g. `--cpu-prof`); stdout/stderr are inherited so a crashing server is visible.
 */
export async function startServer(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerChild> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = fork(file, [], { execArgv: ['--import', 'tsx', ...nodeArgs], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.on('message', (m: ChildMessage) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve(m.url);
      else reject(new Error(`${script}: ${m.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  return {
    url,
    process: child,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child side: reports `url` (or prints it when run by hand, without IPC) and runs `close`
 * then exits when told to stop or when the parent goes away.
 */
export function serveAsChild(url: string, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await close().catch((err) => console.error(err));
    process.exit(0);
  };
  if (process.send) {
    process.send({ type: 'ready', url } satisfies ChildMessage);
    process.on('message', (m: ParentMessage) => void (m.type === 'stop' && shutdown()));
    process.on('disconnect', () => void shutdown());
  } else {
    console.log(url);
  }
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

/** Reports a boot failure to the parent (or stderr) and exits non-zero. */
export function failAsChild(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(message);
  if (process.send) process.send({ type: 'error', message } satisfies ChildMessage, () => process.exit(1));
  else process.exit(1);
}
