/**
 * `GET /tasks/{task_id}/task_callbacks/{callback_id}/deliveries`: what became of a webhook's events —
 * each delivery with its attempts (time, duration, status code or error). Visible to whoever may see
 * the task (its owner, an admin), with the list conventions. The deliveries themselves are written
 * and sent by the engine (engine/webhooks); this only reads them.
 */
import { notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { WebhookRepository } from '../store/webhook-repository.js';
import type { WebhookAttemptRow, WebhookDeliveryRow } from '../store/schema.js';
import type { Principal } from './principal.js';

export const DELIVERY_LIST: ListSpec = {
  filters: { id: 'string', execution_id: 'string', event: 'string', state: 'string', last_status: 'number', created_at: 'date', updated_at: 'date', next_attempt_at: 'date' },
  sortable: ['created_at', 'updated_at', 'event', 'state', 'next_attempt_at'],
};

export interface DeliveryAttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: string;
}

export interface DeliveryView {
  id: string;
  task_callback_id: string;
  task_id: string;
  execution_id: string;
  event: string;
  state: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  attempts: DeliveryAttemptView[];
}

export function deliveryView(r: WebhookDeliveryRow, attempts: WebhookAttemptRow[]): DeliveryView {
  return {
    id: r.id, task_callback_id: r.callback_id, task_id: r.task_id, execution_id: r.execution_id, event: r.event, state: r.state,
    attempt_count: Number(r.attempts), next_attempt_at: r.state === 'pending' ? r.next_attempt_at : null,
    last_status: r.last_status === null ? null : Number(r.last_status), last_error: r.last_error,
    created_at: r.created_at, updated_at: r.updated_at, finished_at: r.finished_at,
    attempts: attempts.map((a) => ({
      attempt: Number(a.attempt), started_at: a.started_at, duration_ms: Number(a.duration_ms),
      status_code: a.status_code === null ? null : Number(a.status_code), error: a.error, outcome: a.outcome,
    })),
  };
}

/** Finds a task the principal may see (TaskService.resolve: 404 otherwise). */
export interface TaskResolver {
  resolve(p: Principal, idOrName: string): Promise<{ id: string }>;
}

export class WebhookDeliveryService {
  constructor(
    private readonly tasks: TaskResolver,
    private readonly deliveries: WebhookRepository,
  ) {}

  async list(p: Principal, taskId: string, callbackId: string, query: Record<string, unknown>): Promise<{ count: number; deliveries: DeliveryView[] }> {
    const task = await this.tasks.resolve(p, taskId);
    const callback = await this.deliveries.callbackOf(task.id, callbackId);
    if (!callback) throw notFound('Task callback');
    const { count, rows } = await this.deliveries.list(callback.id, parseListQuery(query, DELIVERY_LIST));
    const attempts = await this.deliveries.attempts(rows.map((r) => r.id));
    return { count, deliveries: rows.map((r) => deliveryView(r, attempts.get(r.id) ?? [])) };
  }
}
