/**
 * The executions that work from the tape catalog (issue #12): `check_consistency` on tape
 * (tape-verify.ts), `cache_cleaning` (cache-cleaning.ts) and `rehydratation` (rehydration.ts). The
 * TapeRunner hands them here; this module gives them the run's shape every tape run has — take the
 * execution, prepare (what to do: the execution's todo), in_progress, perform, finish by its counters
 * (done, finished_with_warnings, error, stopped) — with the runner's own begin/finish/fail, so they
 * end exactly as archives and restores do.
 */
import type { Logger } from 'pino';
import { Progress } from '../../domain/execution.js';
import type { ExecutionRow } from '../../store/schema.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import type { StorageResolver } from '../storage-resolver.js';
import { segments } from '../dispatcher/plan.js';
import { resolveNodePath } from '../dispatcher/planner.js';
import { CacheCleaning } from './cache-cleaning.js';
import { Rehydration } from './rehydration.js';
import type { TapeLibraries } from './tape-libraries.js';
import { TapeRunState, type TapeStoreParts } from './tape-parts.js';
import { TapeVerify } from './tape-verify.js';

/** What the TapeRunner lends: how a tape run starts and ends. */
export interface CatalogRunHost {
  begin(row: ExecutionRow, ctx: ExecutionContext): Promise<boolean>;
  finish(run: TapeRunState, complete: boolean): Promise<void>;
  fail(id: string, message: string): Promise<void>;
}

/** The work of one of these actions: prepare (returns the todo), then perform (false: a stop cut it short). */
interface CatalogWork {
  prepare(): Promise<{ files: number; bytes: number }>;
  perform(): Promise<boolean>;
}

export class TapeCatalogRun {
  constructor(
    private readonly host: CatalogRunHost,
    private readonly store: TapeStoreParts,
    private readonly libraries: TapeLibraries,
    private readonly resolver: StorageResolver,
    private readonly log: Logger,
  ) {}

  async run(initial: ExecutionRow, snapshot: TaskSnapshot, register: (ctx: ExecutionContext) => void): Promise<void> {
    const action = snapshot.workflow_action;
    const shareEp = action === 'check_consistency' ? undefined : snapshot.sources[0];
    let ctx: ExecutionContext;
    try {
      const share = shareEp ? [await this.resolver.resolve(shareEp)] : [];
      ctx = new ExecutionContext(initial.id, initial.task_id, snapshot, share, [], initial.state);
    } catch (err) {
      return this.host.fail(initial.id, `cannot open the task's storages: ${(err as Error).message}`);
    }
    register(ctx);
    if (!(await this.host.begin(initial, ctx))) return;
    const run = new TapeRunState(ctx, this.store);
    try {
      const work = this.work(run, snapshot);
      if (typeof work === 'string') return this.host.fail(initial.id, work);
      const todo = await work.prepare();
      await this.store.executions.addProgress(initial.id, Progress.INIT_DONE | Progress.PROCESS_STARTED, { nodes_todo: todo.files, size_todo: todo.bytes, updated_at: this.store.clock.now().toISOString() });
      await this.store.executions.transition(initial.id, 'calculating', { state: 'in_progress', updated_at: this.store.clock.now().toISOString() });
      if (ctx.state === 'calculating') ctx.state = 'in_progress';
      await run.flush();
      const complete = await work.perform();
      await run.flush();
      await this.host.finish(run, complete);
    } catch (err) {
      if (ctx.abort.signal.aborted) return;
      this.log.error({ err, execution: initial.id }, `${action} failed`);
      return this.host.fail(initial.id, `${action} failed: ${(err as Error).message}`);
    }
  }

  /** The action's work, or why it cannot run. */
  private work(run: TapeRunState, s: TaskSnapshot): CatalogWork | string {
    const ctx = run.ctx;
    const opts = s.options ?? {};
    const ep = s.sources[0];
    const roots = (ep?.node_paths.length ? ep.node_paths : ['/']).map((p) => resolveNodePath(ctx, p));
    if (s.workflow_action === 'check_consistency') {
      const raw = opts.barcodes;
      const barcodes = Array.isArray(raw) && raw.length > 0 ? [...new Set(raw.filter((b): b is string => typeof b === 'string' && b !== ''))] : undefined;
      const poolId = ep?.pool_id ?? undefined;
      if (!barcodes && !poolId) return 'check_consistency on tape needs a tape pool source or options.barcodes';
      return new TapeVerify(run, this.libraries, { poolId, barcodes, paths: roots.map((r) => segments(r).join('/')) });
    }
    if (!this.store.cache) return `${s.workflow_action} cannot run in this process (no tape cache store)`;
    if (!ep?.storage_id) return `${s.workflow_action} needs a primary share as its source`;
    const share = ctx.sources[0]!.driver;
    if (s.workflow_action === 'cache_cleaning') {
      const t = opts.rehydration_usage_threshold;
      if (typeof t !== 'number' || !(t >= 0 && t <= 100)) return 'options.rehydration_usage_threshold must be a number from 0 to 100';
      return new CacheCleaning(run, this.store.cache, share, { shareId: ep.storage_id, roots, threshold: t });
    }
    return new Rehydration(run, this.store.cache, this.libraries, share, ep.storage_id, roots);
  }
}
