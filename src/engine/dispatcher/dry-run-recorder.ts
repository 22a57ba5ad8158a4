/**
 * Where a dry run's plan goes instead of the work queue. The walk (walk.ts) and the planner
 * (planner.ts) run exactly as for a real run — same filters, same conflict decisions, same listings
 * of the destination — and hand their batches to this recorder, which writes one ledger row per
 * planned file, named by the operation it would be (domain/dry-run.ts), and enqueues nothing: no
 * batch exists, so no mover ever sees a dry run. Why here rather than "record only" batches for the
 * movers: the mover path stays untouched, and nothing that writes is ever handed a dry run.
 *
 * The only thing the planner does not decide is whether an `overwrite` replaces a file (with
 * conflict_resolution overwrite it writes without looking): the recorder looks, listing each
 * destination folder once (a bounded cache, folders arrive depth first).
 */
import type { Entry } from '../../storage/driver.js';
import type { FileLedgerRow } from '../../store/schema.js';
import type { Clock } from '../../lib/clock.js';
import { PLANNED_STATUS, type PlanOperation } from '../../domain/dry-run.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkItem } from '../queue/work-item.js';
import type { NewBatch, WalkCheckpoint, WorkQueue } from '../queue/work-queue.js';
import { baseName, parentOf } from './plan.js';

/** Destination folders whose names are kept for overwrite checks. */
const LISTINGS = 64;

/** What the recorder writes to (the ledger's dry-run rows). */
export interface PlanLedger {
  recordPlan(rows: FileLedgerRow[]): Promise<void>;
}

/** The recorder's report after each flush: files and bytes the run would write or erase so far. */
export type PlanProgress = (files: number, bytes: number) => Promise<void>;

/** What a planned item would do, and why (the row's `error` column, as a run's skip notes). */
export interface Classified {
  operation: PlanOperation;
  note: string | null;
}

export class DryRunRecorder implements Pick<WorkQueue, 'enqueue' | 'plannedItems'> {
  private readonly listings = new Map<string, Set<string>>();
  private files = 0;
  private bytes = 0;

  constructor(
    private readonly ctx: ExecutionContext,
    private readonly ledger: PlanLedger,
    private readonly progress: PlanProgress,
    /** Resolves when the execution is not paused (a paused dry run holds its walk here). */
    private readonly whilePaused: () => Promise<void>,
    private readonly clock: Clock,
  ) {}

  /** Records the batches' items as planned rows; returns no batch ids (nothing is queued). */
  async enqueue(executionId: string, batches: NewBatch[], _checkpoint: WalkCheckpoint, now: Date): Promise<string[]> {
    await this.whilePaused();
    const rows: FileLedgerRow[] = [];
    for (const batch of batches) {
      for (const item of batch.items) {
        const c = await this.classify(item);
        if (!c) continue;
        if (c.operation !== 'skip' && c.operation !== 'fail') {
          this.files += 1;
          this.bytes += item.size;
        }
        rows.push({
          execution_id: executionId, item_key: item.key, src_path: item.src.path, dst_path: item.dst?.path ?? null, size: item.size, checksum: null,
          status: c.operation === 'fail' ? 'failed' : PLANNED_STATUS, error_class: c.operation === 'fail' ? (item.error?.code ?? 'io') : null,
          error: c.note, attempts: 0, updated_at: (now ?? this.clock.now()).toISOString(), operation: c.operation,
        });
      }
    }
    await this.ledger.recordPlan(rows);
    await this.progress(this.files, this.bytes);
    return [];
  }

  /** A dry run never resumes a walk from a checkpoint (it plans again from the start): nothing was planned before. */
  async *plannedItems(): AsyncIterable<WorkItem[]> {
    // Nothing: see above.
  }

  /** The operation a planned item would be; null for folders (created as their files need them). */
  async classify(item: WorkItem): Promise<Classified | null> {
    switch (item.op) {
      case 'mkdir':
        return null;
      case 'skip':
        return { operation: 'skip', note: item.note ?? null };
      case 'fail':
        return { operation: 'fail', note: item.error?.message ?? 'planning failed' };
      case 'erase':
        return { operation: 'erase', note: this.ctx.opts.softErase ? 'moved to the trash (soft_erase)' : null };
      case 'copy':
      case 'move': {
        const dst = item.dst;
        const name = baseName(item.src.path);
        if (dst && baseName(dst.path) !== name) {
          // A file keeps its name unless the planner renamed it: the name is taken at the destination.
          const unless = item.unlessSame !== undefined ? `; skipped instead if its checksum equals ${item.unlessSame}'s` : '';
          return { operation: 'rename', note: `${name} exists at the destination${unless}` };
        }
        if (dst && this.ctx.opts.conflict === 'overwrite' && (await this.exists(dst.ep, dst.path))) {
          return { operation: 'overwrite', note: 'replaces the file at the destination (conflict_resolution: overwrite)' };
        }
        return { operation: item.op, note: null };
      }
      default:
        return { operation: 'skip', note: `${item.op} is not previewed by a dry run` };
    }
  }

  /** Whether something is at `path` on destination `ep` (its folder listed once). */
  private async exists(ep: number, path: string): Promise<boolean> {
    const driver = this.ctx.destinations[ep]?.driver;
    if (!driver) return false;
    const dir = parentOf(path);
    const key = `${ep}:${dir}`;
    let names = this.listings.get(key);
    if (!names) {
      names = new Set<string>();
      try {
        for await (const e of driver.list(dir, { signal: this.ctx.abort.signal }) as AsyncIterable<Entry>) names.add(e.name);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'not_found' && code !== 'not_a_directory') throw err;
      }
      this.listings.set(key, names);
      if (this.listings.size > LISTINGS) this.listings.delete(this.listings.keys().next().value as string);
    }
    return names.has(baseName(path));
  }
}
