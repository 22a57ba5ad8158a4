/**
 * Executions with a tape endpoint (issue #12): an archive (copy/move to a tape pool) or a restore
 * (copy from a tape pool by paths to a NAS or S3 storage) — and the tape actions on cartridges
 * (`format`, `get_index`, `ejection`: tape-actions.ts). Why a path of its own beside the movers:
 * a drive is exclusive and a medium sequential, so the whole execution goes through one drive in
 * order — batches in the work queue, claimed by any slot of any mover, would fight for the drive and
 * seek back and forth. The dispatcher hands these executions here (Dispatcher `tape` part) and the
 * disk/S3 mover path stays untouched. State changes follow the dispatcher's: queued → calculating
 * (the walk, or the catalog lookup) → in_progress → a terminal state; pause, stop and force_stop
 * reach the run through the context the dispatcher refreshes.
 */
import type { Logger } from 'pino';
import { Progress, engineOwns, isActive, type ExecutionState } from '../../domain/execution.js';
import { endpointKind } from '../../domain/task.js';
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import type { ExecutionRow } from '../../store/schema.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import type { StorageResolver } from '../storage-resolver.js';
import { commonParent, destinationPath, joinPath, segments } from '../dispatcher/plan.js';
import { resolveNodePath } from '../dispatcher/planner.js';
import { DriveHold } from './drive-hold.js';
import { NoCartridgeError, TapeArchive } from './tape-archive.js';
import { archiveWalk, prepend } from './archive-walk.js';
import type { TapeLibraries } from './tape-libraries.js';
import { TapeRunState, type TapeStoreParts } from './tape-parts.js';
import { TapeRestore, type RestoreFile } from './tape-restore.js';
import { TapeActions, type TapeActionName } from './tape-actions.js';
import { TAPE_WORKFLOW_ACTIONS, isTapeCatalogAction } from '../../domain/tape.js';
import { TapeCatalogRun } from './tape-catalog-run.js';
import { selectedDriveOrAny } from '../../domain/tape-drives.js';
import { TapeDuplication } from './tape-duplication.js';

/** The drive `options.selected_drive` names (any when absent), for a DriveHold. */
const selectedDriveOpts = (s: TaskSnapshot): { drive?: number } => {
  const drive = selectedDriveOrAny(s.options, 'selected_drive');
  return drive === undefined ? {} : { drive };
};

export interface TapeRunConfig {
  /** This process's name in the execution's `dispatcher`. */
  name: string;
  batchFiles: number;
  batchBytes: number;
}

/** Whether an execution has a tape endpoint or is a tape action (it runs here, not through the movers). */
export function isTapeRun(row: ExecutionRow): boolean {
  const s = JSON.parse(row.task_snapshot) as TaskSnapshot;
  const kinds = [...s.sources, ...s.destinations].map((e) => endpointKind(e.type));
  return TAPE_WORKFLOW_ACTIONS.has(s.workflow_action) || isTapeCatalogAction(s.workflow_action, kinds, s.options ?? {}) || kinds.includes('tape');
}

/** What the dispatcher asks of the tape path. */
export interface TapeWork {
  handles(row: ExecutionRow): boolean;
  run(row: ExecutionRow, register: (ctx: ExecutionContext) => void): Promise<void>;
}

export class TapeRunner implements TapeWork {
  /** Tape runs, but never a dry run: that one goes the dispatcher's way, which plans without writing (and refuses tape storages). */
  handles(row: ExecutionRow): boolean {
    return Number(row.dry_run ?? 0) !== 1 && isTapeRun(row);
  }

  constructor(
    private readonly cfg: TapeRunConfig,
    private readonly store: TapeStoreParts,
    private readonly libraries: TapeLibraries,
    private readonly resolver: StorageResolver,
  ) {}

  private get log(): Logger {
    return this.store.log;
  }

  /** Runs (or resumes) `initial` to its end; `register` gives the dispatcher its context (state refreshes, force_stop). */
  async run(initial: ExecutionRow, register: (ctx: ExecutionContext) => void): Promise<void> {
    const snapshot = JSON.parse(initial.task_snapshot) as TaskSnapshot;
    const action = snapshot.workflow_action;
    if (action === 'duplication') return this.runDuplication(initial, snapshot, register);
    if (isTapeCatalogAction(action, [...snapshot.sources, ...snapshot.destinations].map((e) => endpointKind(e.type)), snapshot.options ?? {})) {
      return new TapeCatalogRun(this, this.store, this.libraries, this.resolver, this.log).run(initial, snapshot, register); // tape-catalog-run.ts
    }
    if (TAPE_WORKFLOW_ACTIONS.has(action)) return this.runAction(initial, snapshot, register);
    const src = snapshot.sources[0];
    const dst = snapshot.destinations[0];
    const archive = dst !== undefined && endpointKind(dst.type) === 'tape' && snapshot.sources.every((e) => endpointKind(e.type) !== 'tape') && (action === 'copy' || action === 'move');
    const restore = src !== undefined && endpointKind(src.type) === 'tape' && snapshot.destinations.every((e) => endpointKind(e.type) !== 'tape') && action === 'copy';
    if ((!archive && !restore) || !src || !dst || snapshot.sources.length !== 1 || snapshot.destinations.length !== 1) {
      return this.fail(initial.id, `${action} with these tape endpoints is not supported yet (archive: copy/move from one storage to one tape pool; restore: copy from one tape pool to one storage)`);
    }
    let ctx: ExecutionContext;
    try {
      const other = await this.resolver.resolve(archive ? src : dst);
      ctx = new ExecutionContext(initial.id, initial.task_id, snapshot, archive ? [other] : [], archive ? [] : [other], initial.state);
    } catch (err) {
      return this.fail(initial.id, `cannot open the task's storages: ${(err as Error).message}`);
    }
    register(ctx);
    const run = new TapeRunState(ctx, this.store);
    let row = initial;
    if (!(await this.begin(row, ctx))) return;
    const poolId = (archive ? dst : src).pool_id;
    if (!poolId) return this.fail(row.id, 'a tape endpoint needs a pool_id (a pool of content tape)');
    let hold: DriveHold | undefined;
    try {
      // Paused before it got a drive (or after a restart while paused): wait here, holding none.
      if ((await run.gate()) === 'stop') return await this.finish(run, false);
      let complete = true;
      if (archive) {
        // The walk feeds the writer as it goes; the drive is taken when the first file to write comes.
        const files = archiveWalk(ctx, run, this.store, this.cfg.batchFiles, (todo) => this.walked(ctx, todo))[Symbol.asyncIterator]();
        const first = await files.next();
        if (!first.done) {
          const library = await this.libraryOf(poolId, []);
          if (typeof library === 'string') {
            await files.return?.(undefined); // the walk ends here (its open directory handles close)
            return await this.fail(row.id, library);
          }
          hold = DriveHold.idle(await this.libraries.library(library), library, { executionId: ctx.id, taskId: ctx.taskId }, this.holdDeps(run), selectedDriveOpts(snapshot));
          const algorithm: ChecksumAlgorithm = ctx.opts.checksum ?? 'xxhash64';
          const archiver = new TapeArchive(run, hold, ctx.sources[0]!.driver, { id: poolId, libraryId: library.id }, { algorithm, move: action === 'move', batchFiles: this.cfg.batchFiles, batchBytes: this.cfg.batchBytes });
          complete = await archiver.archive(prepend(first.value, files));
        }
      } else {
        const work = await this.restoreList(ctx, run, poolId);
        await this.walked(ctx, work.todo);
        await run.flush();
        if (work.restore.length > 0) {
          const library = await this.libraryOf(poolId, work.barcodes);
          if (typeof library === 'string') return await this.fail(row.id, library);
          hold = DriveHold.idle(await this.libraries.library(library), library, { executionId: ctx.id, taskId: ctx.taskId }, this.holdDeps(run), selectedDriveOpts(snapshot));
          complete = await new TapeRestore(run, hold, ctx.destinations[0]!.driver).restore(work.restore);
        }
      }
      // The drive is free (cartridge back in its slot, row cleared) before the execution says it ended.
      await hold?.release();
      await this.finish(run, complete);
    } catch (err) {
      if (ctx.abort.signal.aborted) {
        // force_stop (the API set the state) or this engine stops (resumed later): what was committed counts.
        await run.flush().catch(() => undefined);
        return;
      }
      if (err instanceof NoCartridgeError) {
        await run.flush().catch(() => undefined);
        return this.fail(row.id, err.message);
      }
      this.log.error({ err, execution: row.id }, 'tape run failed');
      return this.fail(row.id, `tape run failed: ${(err as Error).message}`);
    } finally {
      await hold?.release();
    }
  }

  /** `duplication` (tape-duplication.ts): the source cartridges' files copied to the destination pool's cartridges through two drives. */
  private async runDuplication(initial: ExecutionRow, snapshot: TaskSnapshot, register: (ctx: ExecutionContext) => void): Promise<void> {
    const ctx = new ExecutionContext(initial.id, initial.task_id, snapshot, [], [], initial.state);
    register(ctx);
    if (!(await this.begin(initial, ctx))) return;
    const run = new TapeRunState(ctx, this.store);
    try {
      const dup = new TapeDuplication(run, this.libraries, snapshot, { batchFiles: this.cfg.batchFiles, batchBytes: this.cfg.batchBytes });
      const plan = await dup.plan();
      await this.store.executions.addProgress(initial.id, Progress.INIT_DONE | Progress.PROCESS_STARTED, { nodes_todo: plan.todo.files, size_todo: plan.todo.bytes, updated_at: this.store.clock.now().toISOString() });
      await this.store.executions.transition(initial.id, 'calculating', { state: 'in_progress', updated_at: this.store.clock.now().toISOString() });
      if (ctx.state === 'calculating') ctx.state = 'in_progress';
      await run.flush();
      const complete = await dup.perform(plan.sources);
      await run.flush();
      await this.finish(run, complete);
    } catch (err) {
      if (ctx.abort.signal.aborted) return;
      await run.flush().catch(() => undefined);
      if (!(err instanceof NoCartridgeError)) this.log.error({ err, execution: initial.id }, 'duplication failed');
      return this.fail(initial.id, `duplication failed: ${(err as Error).message}`);
    }
  }

  private holdDeps(run: TapeRunState) {
    return { tapes: this.store.tapes, clock: this.store.clock, note: (l: string) => run.note(l) };
  }

  /** The walk (or the catalog lookup) is complete: the totals are final, calculating → in_progress. */
  private async walked(ctx: ExecutionContext, todo: { files: number; bytes: number }): Promise<void> {
    await this.store.executions.addProgress(ctx.id, Progress.INIT_DONE | Progress.PROCESS_STARTED, {
      nodes_todo: todo.files, size_todo: todo.bytes, updated_at: this.store.clock.now().toISOString(),
    });
    await this.store.executions.transition(ctx.id, 'calculating', { state: 'in_progress', updated_at: this.store.clock.now().toISOString() });
    if (ctx.state === 'calculating') ctx.state = 'in_progress';
  }

  /** Takes the execution: queued → calculating (or names this dispatcher on a resumed one); false when it is not ours to run now. */
  /** @internal also tape-catalog-run.ts's */
  async begin(row: ExecutionRow, ctx: ExecutionContext): Promise<boolean> {
    if (row.state === 'paused' && !engineOwns(Number(row.progress))) return false;
    if (row.state === 'in_queue' && !engineOwns(Number(row.progress))) {
      const now = this.store.clock.now().toISOString();
      const log = JSON.stringify([...JSON.parse(row.log ?? '[]'), ...ctx.notes]);
      if (!(await this.store.executions.transition(row.id, 'in_queue', { state: 'calculating', progress: Number(row.progress) | Progress.INIT_STARTED, started_at: now, updated_at: now, dispatcher: this.cfg.name, log }))) return false;
      ctx.state = 'calculating';
    } else if (row.dispatcher !== this.cfg.name) {
      await this.store.executions.update(row.id, { dispatcher: this.cfg.name, updated_at: this.store.clock.now().toISOString() });
    }
    return true;
  }

  /** `format`, `get_index`, `ejection` on the cartridges of `options.barcodes` (or of the task's tape pool): tape-actions.ts. */
  private async runAction(initial: ExecutionRow, snapshot: TaskSnapshot, register: (ctx: ExecutionContext) => void): Promise<void> {
    const ctx = new ExecutionContext(initial.id, initial.task_id, snapshot, [], [], initial.state);
    register(ctx);
    if (!(await this.begin(initial, ctx))) return;
    const run = new TapeRunState(ctx, this.store);
    const opts = snapshot.options ?? {};
    const raw = opts.barcodes;
    const barcodes = Array.isArray(raw) && raw.length > 0 ? [...new Set(raw.filter((b): b is string => typeof b === 'string' && b !== ''))] : undefined;
    const poolId = snapshot.sources[0]?.pool_id ?? undefined;
    if (!barcodes && !poolId) return this.fail(initial.id, `${snapshot.workflow_action} needs options.barcodes`);
    try {
      const actions = new TapeActions(run, this.libraries, snapshot.workflow_action as TapeActionName);
      const targets = await actions.targets(barcodes, poolId);
      await this.store.executions.addProgress(initial.id, Progress.INIT_DONE | Progress.PROCESS_STARTED, { nodes_todo: targets.length, size_todo: 0, updated_at: this.store.clock.now().toISOString() });
      await this.store.executions.transition(initial.id, 'calculating', { state: 'in_progress', updated_at: this.store.clock.now().toISOString() });
      if (ctx.state === 'calculating') ctx.state = 'in_progress';
      if (targets.length === 0) await run.note('the tape pool has no cartridge in the library');
      const complete = await actions.perform(targets, opts.overwrite === true);
      await run.flush();
      await this.finish(run, complete);
    } catch (err) {
      if (ctx.abort.signal.aborted) return;
      this.log.error({ err, execution: initial.id }, 'tape action failed');
      return this.fail(initial.id, `${snapshot.workflow_action} failed: ${(err as Error).message}`);
    }
  }

  /** The catalog's latest copy of each file at the source's node paths, in tape order, with where it lands. */
  private async restoreList(ctx: ExecutionContext, run: TapeRunState, poolId: string) {
    const ep = ctx.snapshot.sources[0]!;
    const roots = (ep.node_paths.length ? ep.node_paths : ['/']).map((p) => resolveNodePath(ctx, p));
    const strip = ctx.opts.ignoreCommonPath ? commonParent(roots) : '/';
    const base = resolveNodePath(ctx, ctx.snapshot.destinations[0]!.node_paths[0] ?? '/');
    const rows = await this.store.files.inPool(poolId, roots.map((r) => segments(r).join('/')));
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const prev = latest.get(r.path);
      if (!prev || r.recorded_at > prev.recorded_at || (r.recorded_at === prev.recorded_at && r.session_no > prev.session_no)) latest.set(r.path, r);
    }
    for (const root of roots) {
      const rel = segments(root).join('/');
      if (![...latest.keys()].some((p) => p === rel || p.startsWith(`${rel}/`) || rel === '')) await run.failed(`t:${root}`, root, null, 0, 'not_found', `${root} is not on any cartridge of the tape pool`);
    }
    const all: RestoreFile[] = [...latest.values()].map((r) => ({
      key: `t:${r.path}`, barcode: r.barcode, member: r.path, dst: destinationPath(joinPath(r.path), base, strip), offset: Number(r.data_offset), size: Number(r.size),
      checksum: r.checksum, algorithm: r.algorithm, mtimeMs: Number(r.mtime_ms), mode: r.mode === null ? null : Number(r.mode),
    }));
    const ledger = await this.store.ledger.forKeys(ctx.id, all.map((f) => f.key));
    run.resumeFrom(ledger.values());
    const left = all.filter((f) => !['done', 'failed'].includes(ledger.get(f.key)?.status ?? ''));
    const todo = { files: all.length, bytes: all.reduce((a, f) => a + f.size, 0) };
    return { restore: left, todo, barcodes: [...new Set(left.map((f) => f.barcode))] };
  }

  /** The library the run uses: the one holding the cartridges it reads, or the pool's writable cartridges. Otherwise why not. */
  private async libraryOf(poolId: string, barcodes: string[]) {
    const tapes = await this.store.tapes.poolTapes(poolId);
    const wanted = barcodes.length ? tapes.filter((t) => barcodes.includes(t.barcode)) : tapes.filter((t) => Number(t.locked) === 0 && Number(t.write_protect) === 0 && Number(t.ejected) === 0);
    const ids = [...new Set(wanted.map((t) => t.tape_library_id))];
    if (ids.length === 0) return tapes.length === 0 ? 'the tape pool has no cartridges' : 'no cartridge of the tape pool can be written (locked, write-protected or ejected)';
    if (ids.length > 1) return 'the files are on cartridges of several tape libraries, which a run cannot use together yet';
    return (await this.store.tapes.findLibrary(ids[0] as string)) ?? 'the tape library of the pool no longer exists';
  }

  /** Ends the run: stopped when a stop cut it short, else done / with warnings / error by its counters. */
  /** @internal also tape-catalog-run.ts's */
  async finish(run: TapeRunState, complete: boolean): Promise<void> {
    const { ctx } = run;
    const current = await this.store.executions.findById(ctx.id);
    if (!current || !isActive(current.state)) return;
    const c = run.counters;
    let state: ExecutionState;
    if (!complete || current.state === 'stopping') state = (Number(current.progress) & Progress.STOPPED_BY_USER) !== 0 ? 'stopped_by_user' : 'stopped_by_system';
    else state = c.failed === 0 ? 'done' : c.done > 0 ? 'finished_with_warnings' : 'error';
    if (!ctx.opts.fullReport) await this.store.ledger.pruneSuccesses(ctx.id);
    const now = this.store.clock.now().toISOString();
    const flags = Progress.FINAL_STARTED | Progress.FINAL_DONE | (complete ? Progress.PROCESS_DONE : 0) | (c.failed > 0 ? Progress.HAS_ERROR : 0);
    await this.store.executions.transition(ctx.id, current.state, {
      state, progress: Number(current.progress) | flags, finished_at: now, updated_at: now, nodes_done: c.done, size_done: c.doneBytes, files_failed: c.failed, eta_seconds: 0,
      error: state === 'error' ? 'every file failed; see the execution files' : state === 'stopped_by_system' ? current.error : null,
    });
  }

  /** @internal also tape-catalog-run.ts's */
  async fail(id: string, message: string): Promise<void> {
    const now = this.store.clock.now().toISOString();
    const current = await this.store.executions.findById(id);
    if (!current || !isActive(current.state)) return;
    await this.store.executions.transition(id, current.state, { state: 'error', error: message, finished_at: now, updated_at: now, progress: Number(current.progress) | Progress.HAS_ERROR });
    this.log.warn({ execution: id, message }, 'tape execution failed');
  }
}
