/**
 * Runs callback scripts in QuickJS (quickjs-emscripten, WebAssembly): one runtime for an execution's
 * scripts (the memory limit is the runtime's), one context per script (each defines its own `filter`
 * or `run`), compiled once. Scripts see the language and nothing of the host: no `require`,
 * `process`, `fetch`, timers, file system or network exist in a QuickJS context unless the host adds
 * them, and this one adds none. Data crosses as JSON text (a batch of files is parsed once inside,
 * then each call passes an index), so a call costs a few microseconds.
 *
 * Synchronous: it runs in the sandbox's own thread (sandbox-worker.ts), where a call stuck in one
 * built-in operation — which QuickJS's interrupt check cannot reach — is ended from outside
 * (sandbox.ts). `watch` marks when each call starts and ends for that watchdog.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import type { ScriptProblem } from '../../domain/callback.js';

export interface RunnerLimits {
  memoryBytes: number;
  stackBytes: number;
  callMs: number;
  loadMs: number;
  timeoutsBeforeDisable: number;
}

/** A script to compile: `key` names it in later calls; `entries` are the function names it may define (first found wins). */
export interface ScriptSpec {
  key: string;
  code: string;
  entries: readonly string[];
}

/** One filter verdict: 1 keep, 0 leave out, a string: the call failed (why). */
export type FilterVerdict = 0 | 1 | string;

/** A hook's outcome: it returned (and whether it returned `false`), or failed. */
export type RunOutcome = { ok: true; returnedFalse: boolean } | { ok: false; error: string };

/** Tells the watchdog a call started (its index in the batch; LOADING: a script's top level) or ended. */
export interface CallWatch {
  start(index: number): void;
  end(): void;
}

/** The watchdog index of a script's top level (it has `loadMs`, not `callMs`). */
export const LOADING = -2;

/** The file name scripts are compiled under: errors and stacks say `script.js:LINE`. */
const FILE = 'script.js';

/** In each context, after the script: a batch holder and two callers around the entry function. */
const GLUE = `(function (fn) {
  var batch = [];
  return {
    load: function (s) { batch = JSON.parse(s); },
    at: function (i) { return fn(batch[i]); },
    one: function (s) { return fn(JSON.parse(s)); }
  };
})`;

interface Loaded {
  ctx: QuickJSContext;
  load: QuickJSHandle;
  at: QuickJSHandle;
  one: QuickJSHandle;
  glue: QuickJSHandle;
  /** Calls in a row that ran out of time. */
  timeouts: number;
  disabled?: string;
}

export class ScriptRunner {
  private readonly rt: QuickJSRuntime;
  private readonly scripts = new Map<string, Loaded>();
  private deadline = 0;

  constructor(
    module: QuickJSWASMModule,
    private readonly limits: RunnerLimits,
    private readonly watch: CallWatch = { start: () => {}, end: () => {} },
  ) {
    this.rt = module.newRuntime();
    this.rt.setMemoryLimit(limits.memoryBytes);
    this.rt.setMaxStackSize(limits.stackBytes);
    // The deadline is set before every entry into the interpreter (a stale one would interrupt at once).
    this.rt.setInterruptHandler(() => Date.now() > this.deadline);
  }

  /** Compiles and runs each script's top level (under the call budget); the problems, by key. */
  load(specs: readonly ScriptSpec[]): Map<string, ScriptProblem> {
    const problems = new Map<string, ScriptProblem>();
    for (const spec of specs) {
      const problem = this.loadOne(spec);
      if (problem) problems.set(spec.key, problem);
    }
    return problems;
  }

  private loadOne(spec: ScriptSpec): ScriptProblem | undefined {
    const ctx = this.rt.newContext();
    this.arm(LOADING, this.limits.loadMs);
    const result = ctx.evalCode(spec.code, FILE, { type: 'global', strict: false });
    this.watch.end();
    if (result.error) {
      const problem = describe(ctx, result.error, this.limits, true);
      result.error.dispose();
      ctx.dispose();
      return problem;
    }
    result.value.dispose();
    let fn: QuickJSHandle | undefined;
    for (const name of spec.entries) {
      const h = ctx.getProp(ctx.global, name);
      if (ctx.typeof(h) === 'function') {
        fn = h;
        break;
      }
      h.dispose();
    }
    if (!fn) {
      ctx.dispose();
      return { message: `does not define ${spec.entries.map((n) => `function ${n}(${n === 'filter' ? 'file' : 'input'})`).join(' or ')}` };
    }
    this.arm(-1);
    const glue = ctx.unwrapResult(ctx.evalCode(GLUE, 'barge-glue.js', { type: 'global' }));
    const api = ctx.unwrapResult(ctx.callFunction(glue, ctx.undefined, fn));
    this.watch.end();
    fn.dispose();
    const loaded: Loaded = { ctx, glue, load: ctx.getProp(api, 'load'), at: ctx.getProp(api, 'at'), one: ctx.getProp(api, 'one'), timeouts: 0 };
    api.dispose();
    this.scripts.get(spec.key)?.ctx.dispose();
    this.scripts.set(spec.key, loaded);
    return undefined;
  }

  /**
   * The filter on a batch of files (`filesJson`: a JSON array of `count` files): a verdict per file.
   * A call must return `true` or `false`; anything else, a throw, running out of time or memory fails
   * that file (never a silent keep or drop).
   */
  filter(key: string, filesJson: string, count: number): FilterVerdict[] {
    const s = this.get(key);
    const out: FilterVerdict[] = [];
    if (s.disabled) return new Array<FilterVerdict>(count).fill(s.disabled);
    const text = s.ctx.newString(filesJson);
    this.arm(-1, this.limits.loadMs); // the batch's JSON.parse: Barge's own work, not the script's call
    const loaded = s.ctx.callFunction(s.load, s.ctx.undefined, text);
    this.watch.end();
    text.dispose();
    if (loaded.error) {
      const why = describe(s.ctx, loaded.error, this.limits).message;
      loaded.error.dispose();
      return new Array<FilterVerdict>(count).fill(`the files could not be passed to the script: ${why}`);
    }
    loaded.value.dispose();
    for (let i = 0; i < count; i++) {
      if (s.disabled) {
        out.push(s.disabled);
        continue;
      }
      const index = s.ctx.newNumber(i);
      this.arm(i);
      const r = s.ctx.callFunction(s.at, s.ctx.undefined, index);
      this.watch.end();
      index.dispose();
      if (r.error) {
        out.push(this.failure(s, r.error));
        continue;
      }
      s.timeouts = 0;
      const kind = s.ctx.typeof(r.value);
      if (kind === 'boolean') out.push(s.ctx.dump(r.value) === true ? 1 : 0);
      else out.push(`returned ${kind === 'undefined' ? 'undefined' : `a ${kind}`}, not true or false`);
      r.value.dispose();
    }
    return out;
  }

  /** A hook: `run(input)` with `inputJson` parsed inside. */
  run(key: string, inputJson: string): RunOutcome {
    const s = this.get(key);
    if (s.disabled) return { ok: false, error: s.disabled };
    const text = s.ctx.newString(inputJson);
    this.arm(0);
    const r = s.ctx.callFunction(s.one, s.ctx.undefined, text);
    this.watch.end();
    text.dispose();
    if (r.error) return { ok: false, error: this.failure(s, r.error) };
    s.timeouts = 0;
    const returnedFalse = s.ctx.typeof(r.value) === 'boolean' && s.ctx.dump(r.value) === false;
    r.value.dispose();
    return { ok: true, returnedFalse };
  }

  /** Releases every script and the runtime. */
  dispose(): void {
    for (const s of this.scripts.values()) {
      for (const h of [s.load, s.at, s.one, s.glue]) h.dispose();
      s.ctx.dispose();
    }
    this.scripts.clear();
    this.rt.dispose();
  }

  private get(key: string): Loaded {
    const s = this.scripts.get(key);
    if (!s) throw new Error(`no script loaded as ${key}`);
    return s;
  }

  private arm(index: number, ms = this.limits.callMs): void {
    this.deadline = Date.now() + ms;
    this.watch.start(index);
  }

  /** The sentence for a failed call; counts time-outs in a row and disables the script after too many. */
  private failure(s: Loaded, error: QuickJSHandle): string {
    const p = describe(s.ctx, error, this.limits);
    error.dispose();
    if (p.timeout) {
      s.timeouts += 1;
      if (s.timeouts >= this.limits.timeoutsBeforeDisable) s.disabled = `disabled for the rest of the execution: ${s.timeouts} calls in a row ran out of time`;
    } else s.timeouts = 0;
    return p.line !== undefined ? `${p.message} (line ${p.line})` : p.message;
  }
}

/** An exception from the VM as a sentence (with the script's line where the stack gives one). */
function describe(ctx: QuickJSContext, error: QuickJSHandle, limits: RunnerLimits, loading = false): ScriptProblem & { timeout?: boolean } {
  let e: unknown;
  try {
    e = ctx.dump(error);
  } catch {
    e = 'an exception that could not be read';
  }
  if (e && typeof e === 'object' && 'message' in e) {
    const o = e as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
    const message = String(o.message);
    const name = typeof o.name === 'string' ? o.name : 'Error';
    const line = typeof o.lineNumber === 'number' ? o.lineNumber : lineOf(o.stack);
    if (name === 'InternalError' && message === 'interrupted') return { message: loading ? `ran out of time (${limits.loadMs} ms for the top level)` : `ran out of time (${limits.callMs} ms per call)`, timeout: true };
    if (name === 'InternalError' && message === 'out of memory') return { message: `ran out of memory (${Math.round(limits.memoryBytes / 1048576)} MiB)` };
    return { message: `${name}: ${message}`, ...(line !== undefined ? { line } : {}) };
  }
  let shown: string;
  try {
    shown = JSON.stringify(e) ?? String(e);
  } catch {
    shown = String(e);
  }
  return { message: `threw ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}` };
}

/** The first line of the script in a QuickJS stack (`at filter (script.js:3:12)`). */
function lineOf(stack: unknown): number | undefined {
  if (typeof stack !== 'string') return undefined;
  const m = /script\.js:(\d+)/.exec(stack);
  return m ? Number(m[1]) : undefined;
}
