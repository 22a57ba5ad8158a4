/**
 * The sandbox callback scripts run in: a worker thread holding a QuickJS runtime (sandbox-worker.ts,
 * script-runner.ts), driven from here one request at a time. Why a thread, not QuickJS in the
 * dispatcher's own: QuickJS interrupts a script only between bytecode instructions, so a loop around
 * one costly built-in (`while (true) JSON.stringify(big)`) never reaches the check. Here a watchdog
 * reads when the current call started (shared memory) and, past `hardStopMs`, ends the thread: that
 * call fails, a new thread compiles the scripts again, and the rest of the batch goes on. After
 * `hardStopsBeforeDisable` such stops every later call fails at once — a script cannot make an
 * execution take a second per file.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CALLBACK_LIMITS, type ScriptProblem } from '../../domain/callback.js';
import { LOADING, type FilterVerdict, type RunOutcome, type ScriptSpec } from './script-runner.js';
import type { SandboxReply, SandboxRequest, SandboxRequestBody, SandboxWorkerData } from './sandbox-protocol.js';

export type { FilterVerdict, RunOutcome, ScriptSpec } from './script-runner.js';

/** The limits a sandbox applies (CALLBACK_LIMITS; tests shorten them). */
export type SandboxLimits = { readonly [K in keyof typeof CALLBACK_LIMITS]: number };

let bundled: string | undefined;

/**
 * The thread's code. Compiled (`npm start`): the sibling `callback-worker.js`. From TypeScript
 * sources (tests, `barge serve`): bundled once per process with esbuild and evaluated (as the posix
 * copy workers are: Node 20 workers ignore `--import tsx`).
 */
function workerSource(): { code: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { code: new URL('./callback-worker.js', import.meta.url), eval: false };
  if (bundled === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const entry = new URL('./sandbox-worker.ts', import.meta.url);
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
      external: ['quickjs-emscripten'],
    });
    bundled = (out.outputFiles[0] as { text: string }).text;
  }
  return { code: bundled, eval: true };
}

/** A request's end: the thread's reply, or the thread was ended while a call (`index` in the batch; -1 outside one) ran. */
type Settled = { reply: SandboxReply } | { stopped: string; index: number };

export class Sandbox {
  private worker: Worker | undefined;
  private readonly cell = new Int32Array(new SharedArrayBuffer(8));
  private epoch = Date.now();
  private nextId = 1;
  private pending: { id: number; settle: (s: Settled) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private scripts: ScriptSpec[] = [];
  private hardStops = 0;
  private disabled: string | undefined;
  private closed = false;

  private constructor(private readonly limits: SandboxLimits) {}

  /**
   * Starts a sandbox and compiles `scripts` (each runs its top level once, under the call budget).
   * The problems found, by key: a syntax error (with its line), a throw, or no entry function; the
   * other scripts are ready to call.
   */
  static async open(scripts: ScriptSpec[], limits: SandboxLimits = CALLBACK_LIMITS): Promise<{ sandbox: Sandbox; problems: Map<string, ScriptProblem> }> {
    const sandbox = new Sandbox(limits);
    try {
      const problems = await sandbox.load(scripts);
      return { sandbox, problems };
    } catch (err) {
      await sandbox.close();
      throw err;
    }
  }

  /** Compiles scripts (more may be added to an open sandbox); the problems, by key. */
  load(scripts: ScriptSpec[]): Promise<Map<string, ScriptProblem>> {
    return this.serial(async () => {
      const s = await this.request({ op: 'load', scripts });
      if ('stopped' in s) return new Map(scripts.map((x) => [x.key, { message: s.stopped }]));
      if (s.reply.op !== 'load') throw new Error(s.reply.op === 'error' ? s.reply.message : 'unexpected sandbox reply');
      const problems = new Map(s.reply.problems);
      this.scripts.push(...scripts.filter((x) => !problems.has(x.key)));
      return problems;
    });
  }

  /** The filter script `key` on each file: a verdict per file, in order (see ScriptRunner.filter). */
  filter(key: string, files: readonly unknown[]): Promise<FilterVerdict[]> {
    return this.serial(async () => {
      const verdicts: FilterVerdict[] = new Array<FilterVerdict>(files.length);
      let todo = files.map((_, i) => i);
      while (todo.length > 0) {
        if (this.disabled) {
          for (const i of todo) verdicts[i] = this.disabled;
          break;
        }
        const s = await this.request({ op: 'filter', key, files: JSON.stringify(todo.map((i) => files[i])), count: todo.length });
        if ('stopped' in s) {
          // The call at `index` is the one that would not end; the others run again in a new thread.
          const at = s.index >= 0 && s.index < todo.length ? s.index : -1;
          if (at < 0) {
            for (const i of todo) verdicts[i] = s.stopped;
            break;
          }
          verdicts[todo[at] as number] = s.stopped;
          todo = todo.filter((_, k) => k !== at);
          continue;
        }
        if (s.reply.op === 'filter') s.reply.verdicts.forEach((v, k) => (verdicts[todo[k] as number] = v));
        else for (const i of todo) verdicts[i] = s.reply.op === 'error' ? s.reply.message : 'unexpected sandbox reply';
        break;
      }
      return verdicts;
    });
  }

  /** The hook script `key`: `run(input)`. */
  run(key: string, input: unknown): Promise<RunOutcome> {
    return this.serial(async () => {
      if (this.disabled) return { ok: false, error: this.disabled };
      const s = await this.request({ op: 'run', key, input: JSON.stringify(input ?? null) });
      if ('stopped' in s) return { ok: false, error: s.stopped };
      if (s.reply.op === 'run') return s.reply.outcome;
      return { ok: false, error: s.reply.op === 'error' ? s.reply.message : 'unexpected sandbox reply' };
    });
  }

  /** Ends the thread (and with it every compiled script). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.pending?.settle({ stopped: 'the sandbox was closed', index: -1 });
    if (w) await w.terminate();
  }

  /** Requests run one after the other (one thread, one call at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async request(body: SandboxRequestBody): Promise<Settled> {
    if (this.closed) return { stopped: 'the sandbox was closed', index: -1 };
    return this.send(await this.thread(), body);
  }

  /** Sends one request and waits for its reply, ending the thread if a call overruns `hardStopMs`. */
  private send(worker: Worker, body: SandboxRequestBody): Promise<Settled> {
    const id = this.nextId++;
    return new Promise<Settled>((resolve) => {
      const timer = setInterval(() => {
        const started = Atomics.load(this.cell, 0);
        const index = Atomics.load(this.cell, 1);
        const allowed = index === LOADING ? this.limits.loadMs + this.limits.hardStopMs : this.limits.hardStopMs;
        if (started === 0 || Date.now() - this.epoch - started <= allowed) return;
        this.hardStops += 1;
        if (this.hardStops >= this.limits.hardStopsBeforeDisable) this.disabled = `scripts disabled for the rest of the execution: stopped ${this.hardStops} times for taking over ${this.limits.hardStopMs} ms`;
        this.drop(worker);
        this.pending?.settle({ stopped: `ran out of time (stopped after ${allowed} ms inside one operation)`, index });
      }, Math.min(100, Math.max(10, Math.floor(this.limits.hardStopMs / 4))));
      this.pending = {
        id,
        settle: (s) => {
          clearInterval(timer);
          this.pending = undefined;
          resolve(s);
        },
      };
      worker.postMessage({ ...body, id } as SandboxRequest);
    });
  }

  /** The thread, started (and the scripts compiled again) when there is none. */
  private async thread(): Promise<Worker> {
    if (this.worker) return this.worker;
    const source = workerSource();
    Atomics.store(this.cell, 0, 0);
    this.epoch = Date.now();
    const data: SandboxWorkerData = { limits: this.limits, cell: this.cell.buffer as SharedArrayBuffer, epoch: this.epoch, resolveFrom: import.meta.url };
    const worker = new Worker(source.code, { eval: source.eval, workerData: data, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    this.worker = worker;
    worker.unref();
    await new Promise<void>((resolve, reject) => {
      const first = (m: SandboxReply) => {
        worker.off('error', failed);
        if (m.op === 'error') reject(new Error(`the script sandbox did not start: ${m.message}`));
        else resolve();
      };
      const failed = (err: Error) => reject(new Error(`the script sandbox did not start: ${err.message}`));
      worker.once('message', first);
      worker.once('error', failed);
    });
    worker.on('message', (m: SandboxReply) => {
      if (this.pending && m.id === this.pending.id) this.pending.settle({ reply: m });
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.pending?.settle({ stopped: `the script sandbox stopped: ${why}`, index: Atomics.load(this.cell, 1) });
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    if (this.scripts.length > 0) {
      // A new thread after a stop: the scripts compiled before are compiled again (they did compile then).
      const s = await this.send(worker, { op: 'load', scripts: this.scripts });
      if ('stopped' in s || s.reply.op !== 'load' || s.reply.problems.length > 0) {
        this.disabled = 'scripts disabled for the rest of the execution: they could not be compiled again after a stop';
      }
    }
    return worker;
  }

  private drop(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }
}
