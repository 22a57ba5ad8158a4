/**
 * Everything this process holds about one running execution: its frozen task snapshot, parsed
 * options, open drivers, abort controller (force_stop), and live accounting. The dispatcher and
 * each mover open their own (context-loader.ts), in one process or several.
 */
import { endpointKind, type TaskEndpoint } from '../domain/task.js';
import type { ExecutionState } from '../domain/execution.js';
import { TAPE_WORKFLOW_ACTIONS } from '../domain/tape.js';
import type { ResolvedStorage } from './storage-resolver.js';
import { setMaxListeners } from 'node:events';
import { Accounting } from './accounting.js';
import { parseEngineOptions, type EngineOptions } from './execution-options.js';

export interface TaskSnapshot {
  id: string;
  name: string;
  workflow_type: string;
  workflow_action: string;
  options: Record<string, unknown>;
  metadata: Record<string, unknown>;
  sources: TaskEndpoint[];
  destinations: TaskEndpoint[];
}

/**
 * Why a tape option does not apply to this execution, or undefined when it does: `selected_drive`
 * to every tape run that loads cartridges, `selected_drive_2` to a duplication (its second drive),
 * `barcodes` to the tape actions (engine/tape).
 */
function tapeOptionIgnored(s: TaskSnapshot, key: string): string | undefined {
  const action = s.workflow_action;
  const tapeRun = TAPE_WORKFLOW_ACTIONS.has(action) || [...s.sources, ...s.destinations].some((e) => endpointKind(e.type) === 'tape');
  if (!tapeRun) return "not supported for this execution's storages yet";
  if (key === 'selected_drive') return action === 'ejection' ? 'ejection uses no drive' : undefined;
  if (key === 'selected_drive_2') return action === 'duplication' ? undefined : 'only a duplication uses a second drive';
  return TAPE_WORKFLOW_ACTIONS.has(action) ? undefined : 'an archive writes to the cartridges its tape pool chooses, a restore reads where the catalog places each file';
}

export class ExecutionContext {
  readonly opts: EngineOptions;
  readonly abort = new AbortController();
  readonly accounting = new Accounting();
  /** Files in flight in this process for this execution. */
  inflight = 0;
  /** Batches claimed so far in this process (fair share). */
  claimed = 0;
  /** Cached state, refreshed by the engine; movers claim only while runnable. */
  state: ExecutionState;
  /** Notes for the execution log (ignored options, skipped kinds). */
  readonly notes: string[] = [];
  private wakeWatcher: (() => void) | undefined;

  /**
   * Wait up to `ms` or until {@link changed} is called. Why: the engine's watch loop would otherwise only
   * notice the last batch finishing on its next poll, adding up to a poll interval to every run.
   */
  waitForChange(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeWatcher = done;
    }).finally(() => (this.wakeWatcher = undefined));
  }

  /** Something the watch loop waits for happened (a batch of this execution settled). */
  changed(): void {
    this.wakeWatcher?.();
  }

  constructor(
    readonly id: string,
    readonly taskId: string,
    readonly snapshot: TaskSnapshot,
    readonly sources: ResolvedStorage[],
    readonly destinations: ResolvedStorage[],
    state: ExecutionState,
  ) {
    const opts = parseEngineOptions(snapshot.options ?? {});
    // A speedtest's iterations run one after the other: run side by side, each would measure a share
    // of the bandwidth and the reported average would be the total divided by the iterations.
    this.opts = snapshot.workflow_action === 'speedtest' ? { ...opts, parallel: 1 } : opts;
    // Every in-flight transfer (up to the mover's slots, and each of their streams) listens to this
    // one signal: lift Node's default listener cap so normal parallelism does not warn.
    setMaxListeners(0, this.abort.signal);
    this.state = state;
    this.noteIgnoredOptions();
  }

  get runnable(): boolean {
    return (this.state === 'calculating' || this.state === 'in_progress') && !this.abort.signal.aborted;
  }

  private noteIgnoredOptions(): void {
    const o = this.opts;
    const dsts = this.destinations.map((d) => d.driver.features);
    if (o.keepOwnership && dsts.some((f) => !f.setOwnership)) this.notes.push('keep_file_ownership ignored: the destination cannot set owners (Barge is not running as root, the task runs as a context user, or the storage has no owners)');
    if ((o.resetFileDate || o.resetFolderDate) && dsts.some((f) => f.mtimePrecisionMs === null)) this.notes.push('reset_file_date/reset_folder_date ignored: the destination cannot set dates');
    if (o.storageClass && dsts.some((f) => !f.storageClasses.includes(o.storageClass as string))) {
      this.notes.push(`storage_class ${o.storageClass} ignored on destinations that do not offer it`);
    }
    if ((o.lock.retentionDays !== null || o.lock.legalHold) && dsts.some((f) => !f.objectLock)) {
      this.notes.push('object_lock_* ignored on destinations without Object Lock');
    }
    const srcs = this.sources.map((d) => d.driver.features);
    if (o.inheritLock && (dsts.some((f) => !f.objectLock) || srcs.every((f) => !f.objectLock))) {
      this.notes.push('inherit_object_lock_from_source ignored where the source or the destination has no Object Lock');
    }
    const opt = this.snapshot.options ?? {};
    if ((opt.restoration_expiry_days !== undefined || opt.retrieval_options_glacier !== undefined) && srcs.every((f) => !f.restoreFromCold)) {
      this.notes.push('restoration_expiry_days / retrieval_options_glacier ignored: no source storage archives to a cold tier');
    } else if (opt.restoration_expiry_days !== undefined && srcs.some((f) => f.restoreFromCold && !f.restoreExpires)) {
      this.notes.push('restoration_expiry_days ignored on sources whose restores do not expire (Azure rehydrates an archived blob to an online tier for good)');
    }
    // The tape actions (format, get_index, ejection, duplication, …) act on the cartridges `barcodes` names; tape runs honour the drive options.
    for (const key of ['barcodes', 'selected_drive', 'selected_drive_2']) {
      const v = this.snapshot.options?.[key];
      if (v === undefined || v === false || v === null || v === '') continue;
      const why = tapeOptionIgnored(this.snapshot, key);
      if (why) this.notes.push(`${key} ignored: ${why}`);
    }
    // A context user (context-loader.ts) exists only for POSIX storages; object stores have no users.
    const hasContext = [opt.context_uid, opt.context_gid].some((v) => v !== undefined && v !== null && v !== '');
    const userless = [...this.sources, ...this.destinations].filter((s) => s.driver.kind !== 'posix').map((s) => s.driver.kind);
    if (hasContext && userless.length > 0) {
      this.notes.push(`context_uid/context_gid ignored on ${[...new Set(userless)].join(', ')} storages (they have no file owners); POSIX storages run as the context user`);
    }
  }
}
