/**
 * The schema of a task callback (Nodeum's `task_callback`, with Barge's webhook fields). One schema
 * for every type, as Nodeum has: the service checks which attributes a type takes.
 */
import { CALLBACK_INPUT_TYPES, CALLBACK_LANGUAGES, CALLBACK_LIMITS, WEBHOOK_EVENTS } from '../../domain/callback.js';
import { ref } from './helpers.js';

const ro = (s: Record<string, unknown>) => ({ ...s, readOnly: true });

export const CALLBACK_SCHEMAS: Record<string, unknown> = {
  task_callback: {
    type: 'object',
    properties: {
      id: ro({ type: 'string' }),
      task_id: ro({ type: 'string' }),
      type: {
        type: 'string', enum: [...CALLBACK_INPUT_TYPES],
        description: '`before_request_dispatched`: a filter, run on every walked entry (folders included) before it is planned. `before_task_executed`: before the walk (a throw or `false` fails the execution). `after_result_received`: on each ledger row once its batch is done (a failure is logged). `after_task_executed`: once the execution ended, with its final view (a failure is logged). `webhook` (Barge): deliveries of execution events to `url`. `filter` is accepted for `before_request_dispatched` (and shown as it).',
      },
      language: { type: 'string', enum: [...CALLBACK_LANGUAGES], nullable: true, description: 'Scripts only; `javascript` (the default).' },
      script: {
        type: 'string', nullable: true, maxLength: CALLBACK_LIMITS.scriptChars,
        description: 'Scripts only. Defines `function filter(file)` (filters; `run` is accepted too) or `function run(input)`. A file is `{path, name, kind (file|folder|symlink|other), size, mtime, atime, ctime (ms since the epoch, null when unknown), mode, uid, gid}`; a result is the ledger row; `before_task_executed`/`after_task_executed` get `{task, execution}`. A filter must return true or false: anything else, a throw, or running out of time or memory fails the file with `error_class: "callback"`.',
      },
      url: { type: 'string', nullable: true, maxLength: 2048, description: 'Webhooks only: an http(s) URL the deployment allows (BARGE_WEBHOOK_ALLOW).' },
      secret: { type: 'string', nullable: true, writeOnly: true, maxLength: 1024, description: 'Webhooks only, write-only: signs each delivery (`X-Barge-Signature`). Stored encrypted, never returned.' },
      has_secret: ro({ type: 'boolean', description: 'Webhooks: whether a secret is set.' }),
      events: { type: 'array', nullable: true, items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, description: 'Webhooks only: the events delivered (one or more).' },
      created_at: ro({ type: 'string', format: 'date-time' }),
      updated_at: ro({ type: 'string', format: 'date-time' }),
    },
  },
  task_callback_collection: { type: 'object', properties: { count: { type: 'integer' }, task_callbacks: { type: 'array', items: ref('task_callback') } } },
};
