/** Schemas of webhook deliveries (issue #11): a delivery and its attempts, as the deliveries list shows them. */
import { ref } from './helpers.js';

type Json = Record<string, unknown>;

const ro = (s: Json): Json => ({ ...s, readOnly: true });
const date = ro({ type: 'string', format: 'date-time' });
const nullable = (s: Json): Json => ro({ ...s, nullable: true });

export const WEBHOOK_SCHEMAS: Record<string, unknown> = {
  task_callback_delivery_attempt: {
    type: 'object',
    properties: {
      attempt: ro({ type: 'integer', description: '1 for the first.' }),
      started_at: date,
      duration_ms: ro({ type: 'integer' }),
      status_code: nullable({ type: 'integer', description: 'The HTTP status the receiver answered; null when there was no answer.' }),
      error: nullable({ type: 'string', description: 'Why it did not deliver (`HTTP 500`, a network error, a timeout, a refused target).' }),
      outcome: ro({ type: 'string', enum: ['delivered', 'http_error', 'network_error', 'timeout', 'refused', 'gone', 'not_sent'] }),
    },
  },
  task_callback_delivery: {
    type: 'object',
    properties: {
      id: ro({ type: 'string', description: 'Also the body\'s `id` and the `X-Barge-Delivery` header: receivers use it to ignore a repeat.' }),
      task_callback_id: ro({ type: 'string' }),
      task_id: ro({ type: 'string' }),
      execution_id: ro({ type: 'string' }),
      event: ro({ type: 'string', enum: ['started', 'finished', 'failed_file'] }),
      state: ro({ type: 'string', enum: ['pending', 'delivered', 'failed', 'refused', 'gone'] }),
      attempt_count: ro({ type: 'integer' }),
      next_attempt_at: nullable({ type: 'string', format: 'date-time', description: 'While pending: when the next attempt is due.' }),
      last_status: nullable({ type: 'integer' }),
      last_error: nullable({ type: 'string' }),
      created_at: date,
      updated_at: date,
      finished_at: nullable({ type: 'string', format: 'date-time', description: 'When it was delivered, failed, refused or gone.' }),
      attempts: { type: 'array', items: ref('task_callback_delivery_attempt') },
    },
  },
  task_callback_delivery_collection: { type: 'object', properties: { count: { type: 'integer' }, deliveries: { type: 'array', items: ref('task_callback_delivery') } } },
};
