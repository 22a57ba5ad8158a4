/**
 * A task's callback scripts during one of its executions, in the dispatcher (docs/architecture.md,
 * "Callbacks"). Compiled once per execution in one sandbox (sandbox.ts), closed when the execution
 * ends in this process. Where each kind runs:
 * - `before_request_dispatched` (filters): in the walk, on every entry of a folder in one call
 *   (walker.ts `select`), before planning; a failure fails that file (or folder, then not walked)
 *   with error class `callback`. Several filters: a file is kept when every one keeps it.
 * - `before_task_executed`: before the walk starts (again if a crash came before anything was
 *   planned); a throw, a time-out or `return false` fails the execution, with the callback named.
 * - `after_result_received`: on the ledger rows of each batch the movers finished, read from the
 *   store about once a second and before finalization — never on the movers' path. A failure is a line
 *   in the execution's log. At least once: a dispatcher that restarts delivers done batches again.
 * - `after_task_executed`: once the execution has ended, with its final API view; a failure is
 *   appended to its log.
 * A script that does not compile any more (stored before a change of rules) fails the execution at start.
 */
import type { Logger } from 'pino';
import type { ExecutionContext, TaskSnapshot } from '../execution-context.js';
import type { EntrySelector, EntryVerdict } from '../dispatcher/walker.js';
import type { ExecutionRow, FileLedgerRow, TaskCallbackRow } from '../../store/schema.js';
import type { DoneBatch } from '../../store/callback-repository.js';
import { Progress } from '../../domain/execution.js';
import { SCRIPT_TYPES, entryPoints, isScriptType, type ScriptType } from '../../domain/callback.js';
import { Sandbox, type ScriptSpec } from './sandbox.js';
import { fileInput, resultInput } from './inputs.js';

/** What the callbacks read from the store. */
export interface CallbackStore {
  forTask(taskId: string, types: readonly string[]): Promise<TaskCallbackRow[]>;
  doneBatches(executionId: string, afterSeq: number, limit: number): Promise<DoneBatch[]>;
  forKeys(executionId: string, keys: string[]): Promise<Map<string, FileLedgerRow>>;
  findExecution(id: string): Promise<ExecutionRow | undefined>;
  /** Appends lines to an ended execution's log. */
  appendLog(id: string, lines: string[]): Promise<void>;
}

/** The dispatcher's view of callbacks (NO_CALLBACKS when a process runs none). */
export interface CallbackHooks {
  /** Compiles the task's scripts and runs `before_task_executed` when nothing is planned yet: the sentence that fails the execution, if any. */
  start(ctx: ExecutionContext, row: ExecutionRow): Promise<string | undefined>;
  /** The filter of the walk, when the task has one (throws when a script does not compile). */
  filter(ctx: ExecutionContext): Promise<EntrySelector | undefined>;
  /** Before finalization: `after_result_received` on every result not yet seen. */
  beforeFinish(ctx: ExecutionContext): Promise<void>;
  /** The execution's run in this process is over: `after_task_executed` if it ended, then the sandbox closes. */
  release(executionId: string): Promise<void>;
}

export const NO_CALLBACKS: CallbackHooks = {
  start: async () => undefined,
  filter: async () => undefined,
  beforeFinish: async () => {},
  release: async () => {},
};

/** The hook scripts need the execution's API view (services/views.ts, given by the composition root). */
export type ExecutionViewer = (row: ExecutionRow) => unknown;

/**
 * Entries per sandbox request. Measured (bench/callback-filter.ts): calls/s grow with the batch up to
 * a few hundred entries, then fall (larger strings cost more to copy into the interpreter than the
 * round trips they save).
 */
const FILTER_CHUNK = 256;
/** How often done batches are read for `after_result_received`. */
const RESULTS_EVERY_MS = 1000;
/** Lines a run's `after_result_received` failures may add to its log (then one line counts the rest). */
const LOGGED_FAILURES = 20;

type Open = (scripts: ScriptSpec[]) => Promise<{ sandbox: Pick<Sandbox, 'filter' | 'run' | 'close'>; problems: Map<string, { message: string; line?: number }> }>;

/** One execution's compiled callbacks. */
class Session {
  private readonly byType = new Map<ScriptType, TaskCallbackRow[]>();
  private resultsTimer: NodeJS.Timeout | undefined;
  private results: Promise<void> = Promise.resolve();
  /** Batches delivered: every seq up to `low`, and these above it. */
  private low = -1;
  private readonly delivered = new Set<number>();
  private failures = 0;

  constructor(
    readonly ctx: ExecutionContext,
    rows: TaskCallbackRow[],
    private readonly sandbox: Pick<Sandbox, 'filter' | 'run' | 'close'> | undefined,
    /** Why the scripts cannot run (a compile problem), if so. */
    readonly problem: string | undefined,
    private readonly store: CallbackStore,
    private readonly view: ExecutionViewer,
    private readonly log: Logger,
  ) {
    for (const r of rows) if (isScriptType(r.type)) this.byType.set(r.type, [...(this.byType.get(r.type) ?? []), r]);
  }

  has(type: ScriptType): boolean {
    return (this.byType.get(type)?.length ?? 0) > 0;
  }

  /** The hooks' input: the task as this execution runs it, and the execution's API view. */
  private input(row: ExecutionRow): { task: TaskSnapshot; execution: unknown } {
    return { task: this.ctx.snapshot, execution: this.view(row) };
  }

  async beforeTask(row: ExecutionRow): Promise<string | undefined> {
    for (const cb of this.byType.get('before_task_executed') ?? []) {
      const out = await (this.sandbox as Sandbox).run(cb.id, this.input(row));
      if (!out.ok) return `callback ${cb.id} (before_task_executed) failed: ${out.error}`;
      if (out.returnedFalse) return `callback ${cb.id} (before_task_executed) returned false: the execution does not start`;
    }
    return undefined;
  }

  /** Starts delivering results as batches finish. */
  follow(): void {
    if (this.has('after_result_received') && !this.resultsTimer) this.resultsTimer = setInterval(() => void this.deliver(), RESULTS_EVERY_MS).unref();
  }

  readonly select: EntrySelector = async (entries) => {
    let verdicts: EntryVerdict[] = entries.map(() => 'keep');
    for (const cb of this.byType.get('before_request_dispatched') ?? []) {
      const open = verdicts.map((v, i) => (v === 'keep' ? i : -1)).filter((i) => i >= 0);
      for (let k = 0; k < open.length; k += FILTER_CHUNK) {
        const chunk = open.slice(k, k + FILTER_CHUNK);
        const got = await (this.sandbox as Sandbox).filter(cb.id, chunk.map((i) => {
          const e = entries[i] as { path: string; entry: Parameters<typeof fileInput>[1] };
          return fileInput(e.path, e.entry);
        }));
        chunk.forEach((i, j) => {
          const v = got[j];
          const folder = (entries[i] as { entry: { kind: string } }).entry.kind === 'dir';
          if (v === 1) return;
          verdicts[i] = v === 0 ? 'drop' : { failed: `callback ${cb.id} (before_request_dispatched) failed${folder ? ' on this folder, which was not walked' : ''}: ${v ?? 'no verdict'}` };
        });
      }
    }
    return verdicts;
  };

  /** `after_result_received` on the rows of batches done since the last delivery. */
  deliver(): Promise<void> {
    this.results = this.results.then(async () => {
      const hooks = this.byType.get('after_result_received') ?? [];
      if (hooks.length === 0 || !this.sandbox) return;
      try {
        for (;;) {
          const batches = (await this.store.doneBatches(this.ctx.id, this.low, 200)).filter((b) => !this.delivered.has(b.seq));
          if (batches.length === 0) return;
          for (const b of batches) {
            const keys = b.items.filter((i) => i.op !== 'mkdir').map((i) => i.key);
            const rows = await this.store.forKeys(this.ctx.id, keys);
            for (const key of keys) {
              const r = rows.get(key);
              if (!r) continue;
              for (const cb of hooks) {
                const out = await this.sandbox.run(cb.id, resultInput(r));
                if (!out.ok) this.note(`callback ${cb.id} (after_result_received) failed on ${r.src_path ?? r.item_key}: ${out.error}`);
              }
            }
            this.delivered.add(b.seq);
            while (this.delivered.has(this.low + 1)) this.delivered.delete(++this.low);
          }
        }
      } catch (err) {
        this.log.warn({ err, execution: this.ctx.id }, 'after_result_received delivery failed');
      }
    });
    return this.results;
  }

  private note(line: string): void {
    this.failures += 1;
    if (this.failures <= LOGGED_FAILURES) this.ctx.notes.push(line);
    else if (this.failures === LOGGED_FAILURES + 1) this.ctx.notes.push(`further after_result_received failures are not logged (more than ${LOGGED_FAILURES})`);
  }

  /** `after_task_executed` once the execution ended; failures are appended to its log. */
  async afterTask(): Promise<void> {
    const hooks = this.byType.get('after_task_executed') ?? [];
    if (hooks.length === 0 || !this.sandbox) return;
    const row = await this.store.findExecution(this.ctx.id);
    if (!row || row.finished_at === null) return; // still active: another process (or a later run here) carries on
    const lines: string[] = [];
    for (const cb of hooks) {
      const out = await this.sandbox.run(cb.id, this.input(row));
      if (!out.ok) lines.push(`callback ${cb.id} (after_task_executed) failed: ${out.error}`);
    }
    if (lines.length > 0) await this.store.appendLog(this.ctx.id, lines);
  }

  async close(): Promise<void> {
    clearInterval(this.resultsTimer);
    await this.results;
    await this.sandbox?.close();
  }
}

/** The callbacks of the executions this dispatcher runs. */
export class ExecutionCallbacks implements CallbackHooks {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(
    private readonly store: CallbackStore,
    private readonly view: ExecutionViewer,
    private readonly log: Logger,
    private readonly open: Open = (scripts) => Sandbox.open(scripts),
  ) {}

  async start(ctx: ExecutionContext, row: ExecutionRow): Promise<string | undefined> {
    const s = await this.session(ctx);
    if (s.problem) return s.problem;
    // Nothing planned yet: a first start (or a crash before the walk planned anything) — the hook runs.
    const planned = row.walk_cursor !== null || Number(row.batches_planned) > 0 || (Number(row.progress) & Progress.INIT_DONE) !== 0;
    const refused = planned ? undefined : await s.beforeTask(row);
    if (!refused) s.follow();
    return refused;
  }

  async filter(ctx: ExecutionContext): Promise<EntrySelector | undefined> {
    const s = await this.session(ctx);
    if (s.problem) throw new Error(s.problem);
    return s.has('before_request_dispatched') ? s.select : undefined;
  }

  async beforeFinish(ctx: ExecutionContext): Promise<void> {
    const s = this.sessions.get(ctx.id);
    if (s) await (await s).deliver();
  }

  async release(executionId: string): Promise<void> {
    const pending = this.sessions.get(executionId);
    if (!pending) return;
    this.sessions.delete(executionId);
    const s = await pending.catch(() => undefined);
    if (!s) return;
    try {
      if (!s.problem) await s.afterTask();
    } catch (err) {
      this.log.warn({ err, execution: executionId }, 'after_task_executed failed');
    } finally {
      await s.close();
    }
  }

  private session(ctx: ExecutionContext): Promise<Session> {
    let s = this.sessions.get(ctx.id);
    if (!s) {
      s = this.compile(ctx);
      this.sessions.set(ctx.id, s);
    }
    return s;
  }

  private async compile(ctx: ExecutionContext): Promise<Session> {
    const rows = await this.store.forTask(ctx.taskId, SCRIPT_TYPES);
    if (rows.length === 0) return new Session(ctx, [], undefined, undefined, this.store, this.view, this.log);
    const specs = rows.map((r) => ({ key: r.id, code: r.script ?? '', entries: entryPoints(r.type as ScriptType) }));
    const { sandbox, problems } = await this.open(specs);
    const first = rows.find((r) => problems.has(r.id));
    const p = first ? problems.get(first.id) : undefined;
    const problem = first && p ? `callback ${first.id} (${first.type}) cannot run: ${p.line !== undefined ? `line ${p.line}: ` : ''}${p.message}` : undefined;
    return new Session(ctx, rows, sandbox, problem, this.store, this.view, this.log);
  }
}
