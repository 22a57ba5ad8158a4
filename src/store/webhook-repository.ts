/**
 * Webhook deliveries and their attempts (migration 0014) over the `task_callbacks` rows of type
 * `webhook` (migration 0013, the callbacks feature's table). The engine's outbox and sender use it
 * through engine/webhooks/webhook-store.ts; the API lists a callback's deliveries with it.
 */
import { sql, type Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, ExecutionRow, FileLedgerRow, WebhookAttemptRow, WebhookDeliveryRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';
import type {
  AttemptRecord, DeliveryOutcome, DueDelivery, FailurePair, MissingEvent, NewDelivery, WebhookEvent, WebhookStore,
} from '../engine/webhooks/webhook-store.js';

export const DELIVERY_COLUMNS: ColumnSpec = {
  filters: { id: 'id', execution_id: 'execution_id', event: 'event', state: 'state', last_status: 'last_status', created_at: 'created_at', updated_at: 'updated_at', next_attempt_at: 'next_attempt_at' },
  sorts: { created_at: 'created_at', updated_at: 'updated_at', event: 'event', state: 'state', next_attempt_at: 'next_attempt_at' },
  nonText: ['last_status'],
};

/** Foreign key gone (a callback or execution deleted meanwhile): that delivery is not written. */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export class WebhookRepository implements WebhookStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async missingEvents(since: string, executionId?: string): Promise<MissingEvent[]> {
    const out: MissingEvent[] = [];
    for (const event of ['started', 'finished'] as const) {
      const at = event === 'started' ? 'e.started_at' : 'e.finished_at';
      let q = this.db.selectFrom('task_callbacks as c').innerJoin('task_executions as e', 'e.task_id', 'c.task_id')
        .selectAll('e').select('c.id as callback_id')
        .where('c.type', '=', 'webhook').where('c.events', 'like', `%"${event}"%`)
        .where('e.dry_run', '=', 0) // a preview has no side effects outside Barge
        .where(at, 'is not', null).where(at, '>=', since).whereRef(at, '>=', 'c.created_at')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id')
          .whereRef('d.callback_id', '=', 'c.id').whereRef('d.execution_id', '=', 'e.id').where('d.event', '=', event))));
      if (executionId !== undefined) q = q.where('e.id', '=', executionId);
      for (const row of await q.orderBy(at).limit(1000).execute()) {
        const { callback_id, ...execution } = row as ExecutionRow & { callback_id: string };
        out.push({ callbackId: callback_id, event, execution });
      }
    }
    return out;
  }

  async failurePairs(since: string, executionId?: string): Promise<FailurePair[]> {
    let q = this.db.selectFrom('task_callbacks as c').innerJoin('task_executions as e', 'e.task_id', 'c.task_id')
      .select(['c.id as callbackId', 'c.created_at as callbackCreatedAt', 'e.id as executionId'])
      .select((eb) => eb.selectFrom('webhook_deliveries as d').select((x) => x.fn.countAll<number>().as('n'))
        .whereRef('d.callback_id', '=', 'c.id').whereRef('d.execution_id', '=', 'e.id').where('d.event', '=', 'failed_file').as('sent'))
      .where('c.type', '=', 'webhook').where('c.events', 'like', '%"failed_file"%').where('e.dry_run', '=', 0)
      .where((eb) => eb.or([eb('e.finished_at', 'is', null), eb.and([eb('e.finished_at', '>=', since), eb('e.finished_at', '>=', eb.ref('c.created_at'))])]))
      .where((eb) => eb.exists(eb.selectFrom('file_ledger as l').select('l.item_key')
        .whereRef('l.execution_id', '=', 'e.id').where('l.status', '=', 'failed').whereRef('l.updated_at', '>=', 'c.created_at')));
    if (executionId !== undefined) q = q.where('e.id', '=', executionId);
    const rows = await q.limit(1000).execute();
    return rows.map((r) => ({ callbackId: r.callbackId, callbackCreatedAt: r.callbackCreatedAt, executionId: r.executionId, sent: Number(r.sent ?? 0) }));
  }

  async failedFiles(executionId: string, since: string, limit: number): Promise<FileLedgerRow[]> {
    return this.db.selectFrom('file_ledger').selectAll().where('execution_id', '=', executionId).where('status', '=', 'failed')
      .where('updated_at', '>=', since).orderBy('item_key').limit(limit).execute();
  }

  async sentSubjects(callbackId: string, executionId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('webhook_deliveries').select('subject')
      .where('callback_id', '=', callbackId).where('execution_id', '=', executionId).where('event', '=', 'failed_file').execute();
    return new Set(rows.map((r) => r.subject));
  }

  async execution(id: string): Promise<ExecutionRow | undefined> {
    return this.db.selectFrom('task_executions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async record(rows: NewDelivery[]): Promise<number> {
    let added = 0;
    for (const r of rows) {
      try {
        const res = await this.db.insertInto('webhook_deliveries')
          .values({ ...r, state: 'pending', attempts: 0, next_attempt_at: r.created_at, last_status: null, last_error: null, updated_at: r.created_at, finished_at: null })
          .onConflict((oc) => oc.columns(['callback_id', 'execution_id', 'event', 'subject']).doNothing())
          .executeTakeFirst();
        added += Number(res.numInsertedOrUpdatedRows ?? 0);
      } catch (err) {
        if (!isForeignKeyViolation(err)) throw err;
      }
    }
    return added;
  }

  async due(now: string, limit: number, exclude: string[]): Promise<DueDelivery[]> {
    let q = this.db.selectFrom('webhook_deliveries as d').innerJoin('task_callbacks as c', 'c.id', 'd.callback_id')
      .select(['d.id', 'd.callback_id', 'd.event', 'd.payload', 'd.attempts', 'd.created_at', 'c.url', 'c.secret_sealed'])
      .where('d.state', '=', 'pending').where('d.next_attempt_at', '<=', now);
    if (exclude.length > 0) q = q.where('d.callback_id', 'not in', exclude);
    const rows = await q.orderBy('d.next_attempt_at').orderBy('d.created_at')
      .orderBy(sql`CASE d.event WHEN 'started' THEN 0 WHEN 'failed_file' THEN 1 ELSE 2 END`).orderBy('d.id').limit(limit).execute();
    return rows.map((r) => ({ ...r, event: r.event as WebhookEvent, attempts: Number(r.attempts) }));
  }

  async nextDue(after: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('state', '=', 'pending').where('next_attempt_at', '>', after).executeTakeFirst();
    return (r?.at as string | null | undefined) ?? undefined;
  }

  async settle(id: string, expectedAttempts: number, attempt: AttemptRecord, outcome: DeliveryOutcome): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('webhook_deliveries').set({ ...outcome, attempts: expectedAttempts + 1 })
        .where('id', '=', id).where('state', '=', 'pending').where('attempts', '=', expectedAttempts).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await trx.insertInto('webhook_attempts').values({ delivery_id: id, ...attempt }).execute();
      return true;
    });
  }

  async prune(before: string): Promise<number> {
    const r = await this.db.deleteFrom('webhook_deliveries').where('state', '<>', 'pending').where('updated_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** The task and type of a callback of `taskId` (the API's 404 when it is not that task's). */
  async callbackOf(taskId: string, callbackId: string): Promise<{ id: string; type: string } | undefined> {
    return this.db.selectFrom('task_callbacks').select(['id', 'type']).where('id', '=', callbackId).where('task_id', '=', taskId).executeTakeFirst();
  }

  /** One page of a callback's deliveries (newest first by default). */
  async list(callbackId: string, query: ListQuery): Promise<{ count: number; rows: WebhookDeliveryRow[] }> {
    const base = applyFilters(this.db.selectFrom('webhook_deliveries').where('callback_id', '=', callbackId), query.filters, DELIVERY_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, DELIVERY_COLUMNS, [['created_at', 'desc'], ['id', 'asc']], this.dialect)
      .limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  /** The attempts of some deliveries, in order. */
  async attempts(deliveryIds: string[]): Promise<Map<string, WebhookAttemptRow[]>> {
    const out = new Map<string, WebhookAttemptRow[]>();
    if (deliveryIds.length === 0) return out;
    const rows = await this.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
    for (const r of rows) out.set(r.delivery_id, [...(out.get(r.delivery_id) ?? []), r]);
    return out;
  }

  /** Every delivery of an execution (tests and diagnostics). */
  async ofExecution(executionId: string): Promise<WebhookDeliveryRow[]> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('execution_id', '=', executionId).orderBy('created_at').orderBy('id').execute();
  }
}
