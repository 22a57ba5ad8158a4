/**
 * Dry runs (issue #11, a Barge addition): an execution that walks, filters and plans against the
 * destination exactly as a run would, but writes nothing. This file holds the rules that do not
 * depend on any storage: the vocabulary of planned operations, the plan's totals, and the ETA taken
 * from the bandwidth recent runs reached on the same storages.
 *
 * Why the vocabulary describes what happens *at the destination*: that is what a person previews
 * ("will anything be replaced?"). A move is a copy whose source is removed afterwards, so a move to a
 * free name is `move`, while a move onto a taken name shows as `rename` or `overwrite` like a copy
 * (the source goes in every case — the task's action says so).
 */

/**
 * - `copy`: written under its own name, nothing there yet (copy, backups, restore).
 * - `move`: the same for a move (copied, verified, then the source removed).
 * - `rename`: its name is taken at the destination (conflict_resolution rename): written as `name (n).ext`.
 * - `overwrite`: replaces the file at the destination (conflict_resolution overwrite).
 * - `skip`: not written (the reason is in the row's `error`: unchanged, exists with ignore, a symlink…).
 * - `erase`: the source file is removed (erase; soft_erase moves it to the trash).
 * - `fail`: planning itself failed for it (a folder that cannot be listed): a failed row, as in a run.
 */
export const PLAN_OPERATIONS = ['copy', 'move', 'rename', 'overwrite', 'skip', 'erase', 'fail'] as const;
export type PlanOperation = (typeof PLAN_OPERATIONS)[number];

/** The ledger status of a dry run's rows (a `fail` row is `failed`, as in a run). */
export const PLANNED_STATUS = 'planned';

/** Operations that change something (counted in the plan's `files`/`bytes`). */
const ACTING: ReadonlySet<string> = new Set<PlanOperation>(['copy', 'move', 'rename', 'overwrite', 'erase']);

/** Actions a dry run can preview: those that write to a destination or delete. */
export const DRY_RUN_ACTIONS: readonly string[] = ['copy', 'move', 'erase', 'full_backup', 'incremental_backup', 'restore'];

/** Actions whose runs measure a transfer rate (bytes per second between two storages). */
const TRANSFERS: ReadonlySet<string> = new Set(['copy', 'move', 'full_backup', 'incremental_backup', 'restore', 'duplication']);

export interface OperationTotals {
  files: number;
  bytes: number;
}

/** A dry run's totals, as the execution view shows them (`plan`). */
export interface DryRunPlan {
  /** Files the run would write or erase, and their bytes (skips and failures excluded). */
  files: number;
  bytes: number;
  skipped: number;
  failed: number;
  /** Files and bytes per planned operation (only operations that occur). */
  operations: Partial<Record<PlanOperation, OperationTotals>>;
  /** Seconds the run would take at the measured rate; null when nothing was measured. */
  eta_seconds: number | null;
  /** Bytes per second of the recent runs the ETA comes from (null: none). */
  bandwidth: number | null;
  /** Files per second of those runs (an erase's ETA counts files, not bytes). */
  files_per_second: number | null;
  /** How many recent runs were measured (0: no ETA). */
  eta_runs: number;
  /** The ETA's basis, in words. */
  eta_note: string;
}

/** One group of a dry run's ledger: rows with one operation. */
export interface PlanGroup {
  operation: string | null;
  files: number;
  bytes: number;
}

/** The plan's counts from its ledger groups (the ETA is added by `withEta`). */
export function summarizePlan(groups: readonly PlanGroup[]): Omit<DryRunPlan, 'eta_seconds' | 'bandwidth' | 'files_per_second' | 'eta_runs' | 'eta_note'> {
  const operations: Partial<Record<PlanOperation, OperationTotals>> = {};
  let files = 0;
  let bytes = 0;
  let skipped = 0;
  let failed = 0;
  for (const g of groups) {
    const op = (g.operation ?? 'fail') as PlanOperation;
    const t = (operations[op] ??= { files: 0, bytes: 0 });
    t.files += g.files;
    t.bytes += g.bytes;
    if (ACTING.has(op)) {
      files += g.files;
      bytes += g.bytes;
    } else if (op === 'skip') skipped += g.files;
    else failed += g.files;
  }
  return { files, bytes, skipped, failed, operations };
}

/** A finished run, as the ETA looks at it: its action, storages (ids), what it did, and how long it took. */
export interface MeasuredRun {
  action: string;
  sources: readonly string[];
  destinations: readonly string[];
  bytes: number;
  files: number;
  seconds: number;
}

/** What a dry run does and where: the same shape, without the measures. */
export interface PlannedRun {
  action: string;
  sources: readonly string[];
  destinations: readonly string[];
}

/** Recent runs an ETA is taken from, at most (the newest first). */
export const ETA_RUNS = 5;

/**
 * Which recent runs say how fast this one would go: an erase is measured on erases of one of its
 * source storages; a transfer on transfers that read one of its sources (when it names any: a restore
 * reads a backup's storages) and wrote to one of its destinations. Why "one of": a task's storages
 * rarely match another's exactly, and a shared storage is usually the bottleneck.
 */
export function comparable(run: MeasuredRun, target: PlannedRun): boolean {
  const shares = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));
  if (target.action === 'erase') return run.action === 'erase' && shares(run.sources, target.sources);
  if (!TRANSFERS.has(run.action) || !shares(run.destinations, target.destinations)) return false;
  return target.sources.length === 0 || shares(run.sources, target.sources);
}

/**
 * Adds the ETA to a plan from `recent` runs (newest first): the rate of the newest ETA_RUNS
 * comparable ones, as total bytes (files, for an erase) over total seconds — a long run weighs more
 * than a short one, as it should. Nothing comparable: no ETA, and the note says why.
 */
export function withEta(plan: ReturnType<typeof summarizePlan>, target: PlannedRun, recent: readonly MeasuredRun[]): DryRunPlan {
  const runs = recent.filter((r) => r.seconds > 0 && comparable(r, target)).slice(0, ETA_RUNS);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const bytes = runs.reduce((a, r) => a + r.bytes, 0);
  const files = runs.reduce((a, r) => a + r.files, 0);
  const bandwidth = runs.length > 0 ? Math.round(bytes / seconds) : null;
  const filesPerSecond = runs.length > 0 ? files / seconds : null;
  const erase = target.action === 'erase';
  const rate = erase ? filesPerSecond : bandwidth;
  const amount = erase ? plan.files : plan.bytes;
  let eta: number | null = null;
  let note: string;
  if (amount === 0) {
    eta = 0;
    note = 'nothing to transfer';
  } else if (rate === null || rate <= 0) {
    note = runs.length === 0
      ? `no ETA: no finished ${erase ? 'erase' : 'transfer'} on these storages to measure a rate from`
      : `no ETA: the recent runs on these storages moved no ${erase ? 'files' : 'bytes'}`;
  } else {
    eta = Math.ceil(amount / rate);
    note = `from ${runs.length} recent run${runs.length === 1 ? '' : 's'} on these storages (${erase ? `${(filesPerSecond as number).toFixed(1)} files/s` : `${bandwidth} bytes/s`})`;
  }
  return { ...plan, eta_seconds: eta, bandwidth, files_per_second: filesPerSecond === null ? null : Math.round(filesPerSecond * 100) / 100, eta_runs: runs.length, eta_note: note };
}
