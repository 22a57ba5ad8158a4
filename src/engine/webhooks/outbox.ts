/**
 * The webhook outbox: turns what happened to executions into delivery rows. Why it reads the store
 * rather than being told each event: the execution rows and the ledger are the record. An event the
 * dispatcher reports is recorded at once (`reconcile(executionId)`); a sweep finds the rest — a run
 * stopped through the API before any dispatcher took it, a dispatcher killed between a transition and
 * its recording, runs that ended while no dispatcher held the lease. Recording is idempotent (one
 * delivery per callback, execution, event and file), so finding an event twice never sends it twice.
 *
 * Events: `started` (the run left the queue: `started_at` set), `finished` (the run ended, whatever
 * the state: `execution.status` says which) and `failed_file` (one per failed ledger row, at most
 * FAILED_FILE_CAP per execution and callback — a run that fails a million files must not send a million
 * requests; `finished` carries the totals). A callback hears of executions that started (ended, failed
 * a file) after it was created.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/tokens.js';
import type { ExecutionRow, FileLedgerRow } from '../../store/schema.js';
import type { NewDelivery, WebhookEvent, WebhookStore } from './webhook-store.js';

/** At most this many failed_file deliveries per execution and callback. */
export const FAILED_FILE_CAP = 100;

/** Builds an execution's API view (services/views.ts executionView, injected by the composition root). */
export type ExecutionViewBuilder = (row: ExecutionRow) => unknown;

/** A failed ledger row as the body shows it (the shape of `GET /task_executions/{id}/files`). */
function fileView(r: FileLedgerRow): Record<string, unknown> {
  return {
    item_key: r.item_key, src_path: r.src_path, dst_path: r.dst_path, size: Number(r.size), checksum: r.checksum, status: r.status,
    error_class: r.error_class, error: r.error, attempts: Number(r.attempts), updated_at: r.updated_at,
  };
}

/** The JSON a receiver gets: the event, this delivery's id, the execution's API view (and the file). */
export function deliveryBody(id: string, event: WebhookEvent, callbackId: string, createdAt: string, execution: unknown, file?: FileLedgerRow): string {
  return JSON.stringify({ id, event, created_at: createdAt, task_callback_id: callbackId, execution, ...(file ? { file: fileView(file) } : {}) });
}

export function fileSubject(itemKey: string): string {
  return createHash('sha256').update(itemKey, 'utf8').digest('hex');
}

export class WebhookOutbox {
  constructor(
    private readonly store: WebhookStore,
    private readonly view: ExecutionViewBuilder,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly failedFileCap = FAILED_FILE_CAP,
  ) {}

  /**
   * Records every event not recorded yet since `since` (of one execution, when given). Returns how
   * many deliveries are new, so the caller can wake the sender.
   */
  async reconcile(since: Date, executionId?: string): Promise<number> {
    const from = since.toISOString();
    let added = 0;
    // Failures first: a receiver then usually hears of a run's failed files before it hears it ended.
    for (const pair of await this.store.failurePairs(from, executionId)) {
      if (pair.sent >= this.failedFileCap) continue;
      const execution = await this.store.execution(pair.executionId);
      if (!execution) continue;
      const sent = await this.store.sentSubjects(pair.callbackId, pair.executionId);
      const rows = await this.store.failedFiles(pair.executionId, pair.callbackCreatedAt, this.failedFileCap);
      const fresh = rows.map((r) => ({ r, subject: fileSubject(r.item_key) })).filter((x) => !sent.has(x.subject)).slice(0, this.failedFileCap - sent.size);
      added += await this.store.record(fresh.map(({ r, subject }) => this.delivery(pair.callbackId, 'failed_file', execution, subject, r)));
    }
    const missing = await this.store.missingEvents(from, executionId);
    // started before finished when one pass finds both (a short run).
    missing.sort((a, b) => (a.event === b.event ? 0 : a.event === 'started' ? -1 : 1));
    for (const m of missing) added += await this.store.record([this.delivery(m.callbackId, m.event, m.execution, '')]);
    if (added > 0) this.log.debug({ added, execution: executionId }, 'webhook deliveries recorded');
    return added;
  }

  private delivery(callbackId: string, event: WebhookEvent, execution: ExecutionRow, subject: string, file?: FileLedgerRow): NewDelivery {
    const id = newId();
    const now = this.clock.now().toISOString();
    return {
      id, callback_id: callbackId, task_id: execution.task_id, execution_id: execution.id, event, subject, created_at: now,
      payload: deliveryBody(id, event, callbackId, now, this.view(execution), file),
    };
  }
}
