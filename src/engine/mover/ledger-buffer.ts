/**
 * What a mover writes about each file: ledger and catalog rows, buffered and written together, and
 * the "rowless" rule (issue #14) that lets plain successes go without a row.
 *
 * Why a module of its own: the ledger is the record crash recovery and the dispatcher trust (data-safety
 * rules 3 and 5), so which outcome gets a row, when rows reach the store, and what a batch handed back
 * keeps instead of rows must be readable in one place, apart from the scheduling of the transfers.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { CatalogEntryRow, FileLedgerRow } from '../../store/schema.js';
import type { BatchCounts } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch, FinishedItems, LedgerStatus, WorkItem } from '../queue/work-item.js';

/** Rows buffered past this are written at once (else the 250 ms flush timer writes them). */
const FLUSH_AT_ROWS = 500;

/** A batch being worked on here: its live counts and bytes in flight, reported by the heartbeat. */
export interface OpenBatch {
  batch: Batch;
  counts: BatchCounts;
  inflightBytes: number;
  /** Items finished with no ledger row (see {@link isRowless}) → size done; recorded on the batch if it is handed back. */
  finished: Map<WorkItem, number>;
  /** Plain successes of this batch get no ledger row (no `full_report`, no `after_result_received` callback). */
  rowless: boolean;
}

/**
 * A success that gets no ledger row, in a batch whose execution lets it ({@link OpenBatch.rowless}:
 * without `full_report` and without an `after_result_received` callback, which reads the rows): a
 * plain copy or a skip (issue #14: the row was the hottest write of a small-file copy, and without
 * `full_report` it was deleted at the end anyway). What still needs one: moves (rule 3: `copied`
 * before the source goes, and a redo must not copy from a removed source), erase, scan, verify,
 * speedtest (the dispatcher reads its results), and every failure. A re-claimed batch skips such
 * items through the batch's own record ({@link FinishedItems}, written when it is handed back);
 * after a crash they are copied again — the same planned paths, so at least once, never lost (as a
 * row still buffered was before).
 */
export function isRowless(item: WorkItem): boolean {
  return item.op === 'copy' || item.op === 'skip';
}

/** What a batch handed back finished without ledger rows, as its row keeps it (item index, size). */
export function finishedItems(batch: Batch, finished: Map<WorkItem, number>): FinishedItems {
  if (finished.size === 0) return [];
  const out: Array<readonly [number, number]> = [];
  batch.items.forEach((item, i) => {
    const size = finished.get(item);
    if (size !== undefined) out.push([i, size]);
  });
  return out;
}

/**
 * Ledger and catalog rows waiting to be written. Why buffered: one multi-row insert per flush instead
 * of one statement per file; a row only has to be in the store before the batch is completed or handed
 * back (the batch run flushes first), or before a move removes its source (that one is written at once).
 */
export class LedgerBuffer {
  private rows: FileLedgerRow[] = [];
  private catalog: CatalogEntryRow[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** Per execution opened here: whether its task has `after_result_received` callbacks (see {@link isRowless}). */
  private readonly watched = new WeakMap<ExecutionContext, Promise<boolean>>();

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The ledger row of one outcome of `item`. */
  row(ctx: ExecutionContext, item: WorkItem, status: LedgerStatus, size: number, checksum: string | null, errorClass: string | null, error: string | null, attempts: number): FileLedgerRow {
    return {
      execution_id: ctx.id, item_key: item.key, src_path: item.src.path, dst_path: item.dst?.path ?? null, size, checksum, status,
      error_class: errorClass, error, attempts, updated_at: this.clock.now().toISOString(),
    };
  }

  /** Writes a row now, bypassing the buffer (a move records `copied` before its source goes). */
  recordNow(row: FileLedgerRow): Promise<void> {
    return this.ledger.record([row]);
  }

  push(row: FileLedgerRow): void {
    this.rows.push(row);
    if (this.rows.length >= FLUSH_AT_ROWS) void this.flushLogged();
  }

  pushCatalog(row: CatalogEntryRow): void {
    this.catalog.push(row);
  }

  /** Writes buffered ledger and catalog rows (serialized: one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const rows = this.rows;
      const cat = this.catalog;
      this.rows = [];
      this.catalog = [];
      await this.ledger.record(rows);
      await this.ledger.recordCatalog(cat);
    });
    return this.flushing;
  }

  /** {@link flush}, with a failure logged rather than thrown (timers, the end of a batch). */
  flushLogged(): Promise<void> {
    return this.flush().catch((err) => this.log.error({ err }, 'ledger flush failed'));
  }

  /** Whether the execution's task has `after_result_received` callbacks, read once per context. */
  resultsWatched(ctx: ExecutionContext): Promise<boolean> {
    let w = this.watched.get(ctx);
    if (w === undefined) {
      // Unknown (the store failed): keep every row, as before issue #14.
      w = Promise.resolve().then(() => this.ledger.resultsWatched(ctx.taskId)).catch(() => true);
      this.watched.set(ctx, w);
    }
    return w;
  }
}
