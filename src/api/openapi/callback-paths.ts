/**
 * Paths of task callbacks (issue #11, Nodeum's `task_callback`): `/tasks/{task_id}/task_callbacks[/{task_callback_id}]`,
 * scripts and Barge's webhooks. API-key scopes `task_callbacks / index|create|show|update|destroy`,
 * as `task_sources`. What each type does and the limits scripts run under: docs/api-coverage.md.
 */
import { crud, pathParam } from './helpers.js';
import { CALLBACK_LIMITS } from '../../domain/callback.js';

type Json = Record<string, unknown>;

const DESCRIPTION = `Scripts (\`language: javascript\`) run sandboxed (QuickJS: no file system, network, process or host objects; ${CALLBACK_LIMITS.memoryBytes / 1048576} MiB per execution, ${CALLBACK_LIMITS.callMs} ms per call) and are compiled when created or updated: a syntax error, a throw at the top level or a missing entry function is a 422 on \`script\` naming the line. \`before_request_dispatched\` (legacy \`filter\`) defines \`function filter(file)\` (or \`run\`) returning true to keep a file or folder (a folder left out is not walked); the others define \`function run(input)\`. A \`webhook\` takes \`url\`, \`secret\` (write-only; \`has_secret\` tells whether one is set) and \`events\`. Changes apply from the next execution.`;

const all = crud({
  collection: '/tasks/{task_id}/task_callbacks', item: '/tasks/{task_id}/task_callbacks/{task_callback_id}', itemParam: 'task_callback_id',
  controller: 'task_callbacks', tag: 'tasks', schema: 'task_callback', plural: 'task_callbacks', label: 'task callback',
  filters: ['id', 'type', 'language', 'url', 'created_at', 'updated_at'], collectionParams: [pathParam('task_id')],
});

/** Every operation gets the description above after its scope line. */
for (const item of Object.values(all)) {
  for (const op of Object.values(item) as Json[]) op.description = `${String(op.description)}\n\n${DESCRIPTION}`;
}

export const CALLBACK_PATHS: Record<string, Json> = all;
