/**
 * Paths of webhook deliveries (issue #11, a Barge addition): what became of each event a `webhook`
 * callback listens to. The callbacks themselves are `/tasks/{task_id}/task_callbacks` (callback-paths.ts).
 * API-key scope: `task_callbacks / deliveries`.
 */
import { ERRORS, LIST_PARAMS, filterParams, jsonResponse, op, pathParam, ref } from './helpers.js';

type Json = Record<string, unknown>;

export const WEBHOOK_PATHS: Record<string, Json> = {
  '/tasks/{task_id}/task_callbacks/{task_callback_id}/deliveries': {
    get: op({
      operationId: 'index_task_callback_deliveries', summary: 'Lists the deliveries of a webhook callback, with their attempts.', tags: ['tasks'], scope: ['task_callbacks', 'deliveries'],
      description: 'One delivery per event (`started`, `finished`, `failed_file`) of each execution since the callback was created, newest first, with the list conventions (filters `state`, `event`, `execution_id`, `last_status`, dates; `sort_by` `created_at`, `updated_at`, `event`, `state`, `next_attempt_at`). `state`: `pending` (an attempt is due at `next_attempt_at`), `delivered` (a 2xx answer), `failed` (no 2xx within the retry window, 24 h by default, or not sendable), `refused` (the target is not allowed: BARGE_WEBHOOK_ALLOW), `gone` (the receiver answered 410). Each attempt says when it started, how long it took, and the status code or the error. Settled deliveries are kept 30 days. A callback of another type has no deliveries.',
      parameters: [pathParam('task_id'), pathParam('task_callback_id'), ...LIST_PARAMS, ...filterParams(['id', 'execution_id', 'event', 'state', 'last_status', 'created_at', 'updated_at', 'next_attempt_at'])],
      responses: { '200': jsonResponse('One page of deliveries.', ref('task_callback_delivery_collection')), ...ERRORS },
    }),
  },
};
