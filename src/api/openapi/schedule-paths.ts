/**
 * Paths of task schedules (issue #11): Nodeum's singular `/tasks/{task_id}/task_schedule` (one per
 * task) and the list `/task_schedules`, with Nodeum's operation ids and API-key scopes
 * (`task_schedules / show|create|update|destroy|index`).
 */
import { ERRORS, LIST_PARAMS, filterParams, jsonBody, jsonResponse, op, pathParam, ref } from './helpers.js';

type Json = Record<string, unknown>;

const taskId = pathParam('task_id');
const tags = ['task_schedules'];

const RULE_422 = 'A rule that cannot be read, a frequency finer than one second, or a rule without any occurrence from now on is a 422 on `rrule` (`reason`: `invalid_rule`, `finer_than_one_second`, `no_future_occurrence`) whose message says why.';

const withNext: Json = {
  name: 'with_next', in: 'query', schema: { type: 'boolean' },
  description: 'Show the next occurrence and the missed ones (default true); false leaves out `next`, `missed_*` and `upcoming`.',
};

export const SCHEDULE_PATHS: Record<string, Json> = {
  '/tasks/{task_id}/task_schedule': {
    get: op({
      operationId: 'show_task_schedule', summary: 'Displays the task schedule.', tags, scope: ['task_schedules', 'show'],
      parameters: [taskId], responses: { '200': jsonResponse('The task\'s schedule.', ref('task_schedule')), ...ERRORS },
    }),
    post: op({
      operationId: 'create_task_schedule', summary: 'Creates the task schedule (one per task: a new one replaces the old).', tags, scope: ['task_schedules', 'create'],
      description: `Body \`{rrule, catch_up?}\`. The schedule counts from its first occurrence from now (earlier ones are not missed); replacing gives a new id and counters from zero. ${RULE_422}`,
      parameters: [taskId], requestBody: jsonBody(ref('task_schedule')),
      responses: { '201': jsonResponse('The schedule.', ref('task_schedule')), ...ERRORS },
    }),
    put: op({
      operationId: 'update_task_schedule', summary: 'Updates the task schedule (partial).', tags, scope: ['task_schedules', 'update'],
      description: `A new \`rrule\` starts the bookkeeping again (next occurrence from now, counters from zero); \`catch_up\` alone keeps it. ${RULE_422}`,
      parameters: [taskId], requestBody: jsonBody(ref('task_schedule')),
      responses: { '200': jsonResponse('The schedule.', ref('task_schedule')), ...ERRORS },
    }),
    delete: op({
      operationId: 'destroy_task_schedule', summary: 'Destroys the task schedule.', tags, scope: ['task_schedules', 'destroy'],
      parameters: [taskId], responses: { '204': { description: 'Task schedule destroyed.' }, ...ERRORS },
    }),
  },
  '/task_schedules': {
    get: op({
      operationId: 'index_task_schedules', summary: 'Lists task schedules.', tags, scope: ['task_schedules', 'index'],
      description: 'The schedules of the caller\'s tasks (every user\'s with `all=true`, admins only), with the list conventions; `sort_by` on id, task_id, done, next, missed_count, skipped_count, created_at, updated_at (default newest first).',
      parameters: [...LIST_PARAMS, withNext, ...filterParams(['id', 'task_id', 'rrule', 'done', 'next', 'created_at', 'updated_at'])],
      responses: { '200': jsonResponse('List of task schedules.', ref('task_schedule_collection')), ...ERRORS },
    }),
  },
};
