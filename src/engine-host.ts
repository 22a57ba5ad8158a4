/**
 * Runs the engine (dispatcher and mover) in a worker thread of the server's process: the API's event
 * loop then only serves requests (issue #10: copies made `GET /tasks` wait seconds). The thread opens
 * its own store connection (SQLite in WAL mode serves both; PostgreSQL has a pool each); signals
 * cross as messages.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { ControlAction } from './domain/execution.js';
import type { EngineSignals } from './engine/signals.js';

export type EngineThreadMessage = { type: 'queued'; id: string } | { type: 'changed'; id: string; action: ControlAction } | { type: 'stop' };
export type EngineThreadReply = { type: 'started' } | { type: 'stopped' } | { type: 'failed'; message: string } | { type: 'active'; active: boolean };

/**
 * The thread's code. Compiled (`npm start`): the sibling `engine-thread.js`. From TypeScript sources
 * (`barge serve`, tests): a small launcher registers tsx in the thread, then imports the source (Node
 * 20 workers ignore `--import tsx`).
 */
function entry(): { file: URL; workerData: Record<string, unknown> } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL('./engine-thread.js', import.meta.url), workerData: {} };
  return { file: new URL('./lib/ts-worker.mjs', import.meta.url), workerData: { entry: pathToFileURL(fileURLToPath(new URL('./engine-thread.ts', import.meta.url))).href } };
}

export class EngineThread implements EngineSignals {
  private worker: Worker | undefined;
  private active = false;
  private stopped: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** Starts the thread; resolves once its engine has started (or rejects with why it could not). */
  async start(): Promise<void> {
    const { file, workerData } = entry();
    const worker = new Worker(file, { workerData: { ...workerData, config: this.config } });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: EngineThreadReply) => {
        if (m.type === 'started') resolve();
        else if (m.type === 'failed') reject(new Error(`engine thread: ${m.message}`));
        else if (m.type === 'active') this.active = m.active;
      });
      worker.once('error', (err) => {
        this.log.error({ err }, 'engine thread failed');
        reject(err);
      });
      worker.once('exit', (code) => {
        this.active = false;
        if (!this.stopping) this.log.error({ code }, 'engine thread exited');
        reject(new Error(`engine thread exited with code ${code}`));
      });
    });
  }

  /** Stops the engine (in-flight work returns to the queue) and ends the thread. */
  stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.stopping = true;
    this.stopped ??= new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.on('message', (m: EngineThreadReply) => {
        if (m.type === 'stopped') void worker.terminate();
      });
      worker.postMessage({ type: 'stop' } satisfies EngineThreadMessage);
    });
    return this.stopped;
  }

  /** True while the thread's dispatcher holds the engine lease (as last reported, every second). */
  get isActive(): boolean {
    return this.active;
  }

  executionQueued(executionId: string): void {
    this.worker?.postMessage({ type: 'queued', id: executionId } satisfies EngineThreadMessage);
  }

  executionChanged(executionId: string, action: ControlAction): void {
    this.worker?.postMessage({ type: 'changed', id: executionId, action } satisfies EngineThreadMessage);
  }
}
