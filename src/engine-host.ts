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

/** After an unexpected end, the thread is started again after this long, doubling up to MAX. */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 30_000;

/**
 * The engine thread's young generation (V8's default maximum is 48 MiB on 64-bit). Why lower: the
 * dispatcher and the mover make short-lived objects per file, and V8 grows the young generation to
 * its maximum under that churn, resident memory held for garbage (issue #14: ≤ 300 MiB at 1,000,000
 * files). 24 MiB keeps most of the saving at a small cost in scavenges (bench:copy-rss, session 8).
 */
export const ENGINE_LIMITS = { maxYoungGenerationSizeMb: 24 } as const;

export class EngineThread implements EngineSignals {
  private worker: Worker | undefined;
  private active = false;
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = RESTART_MS;
  /** Times the thread was started again after it ended on its own (a crash): operators and tests read it. */
  restarts = 0;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /**
   * Starts the thread; resolves once its engine has started (or rejects with why it could not). A
   * thread that ends later on its own (an uncaught error, out of memory) is started again with a
   * growing delay, so a running server never stays without its engine: the work it had leased
   * returns through the store's leases, as after a crash of the whole process.
   */
  async start(): Promise<void> {
    const { file, workerData } = entry();
    const worker = new Worker(file, { workerData: { ...workerData, config: this.config }, resourceLimits: ENGINE_LIMITS });
    this.worker = worker;
    let started = false;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: EngineThreadReply) => {
        if (m.type === 'started') {
          started = true;
          resolve();
        } else if (m.type === 'failed') reject(new Error(`engine thread: ${m.message}`));
        else if (m.type === 'active') {
          this.active = m.active;
          if (m.active) this.backoffMs = RESTART_MS; // healthy again: the next crash restarts quickly
        }
      });
      worker.once('error', (err) => {
        this.log.error({ err }, 'engine thread failed');
        reject(err);
      });
      worker.once('exit', (code) => {
        this.active = false;
        if (this.worker === worker) this.worker = undefined;
        if (this.stopping) return;
        this.log.error({ code }, 'engine thread exited');
        reject(new Error(`engine thread exited with code ${code}`));
        if (started) this.restartLater();
      });
    });
  }

  private restartLater(): void {
    const wait = this.backoffMs;
    this.backoffMs = Math.min(RESTART_MAX_MS, this.backoffMs * 2);
    this.log.warn({ inMs: wait }, 'engine thread ended on its own: starting it again');
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.start().then(
        () => this.log.info({ restarts: this.restarts }, 'engine thread started again'),
        (err: unknown) => {
          this.log.error({ err }, 'engine thread did not start again');
          if (!this.stopping) this.restartLater();
        },
      );
    }, wait);
    this.restartTimer.unref();
  }

  /** Ends the thread at once, as a crash would (it is started again): tests, and a last resort for a wedged engine. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Stops the engine (in-flight work returns to the queue) and ends the thread. */
  stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return Promise.resolve();
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
