/**
 * Paths of issue #11's dry run and of the task sub-resources Nodeum clients use: `PUT
 * /tasks/{task_id}/action/dry_run` (Barge: an execution that plans and writes nothing, with the same
 * API-key scope as `run`: `tasks / action`), and `/tasks/{task_id}/task_options[/{option_id}]`,
 * `/tasks/{task_id}/task_metadata[/{metadatum_id}]` — views over `task.options` and
 * `task.metadata.task` (scopes `task_options / …`, `task_metadata / …`, as `task_sources`).
 */
import { crud, op, pathParam } from './helpers.js';
import { DRY_RUN_ACTIONS } from '../../domain/dry-run.js';

type Json = Record<string, unknown>;

const taskId = pathParam('task_id');

const DRY_RUN_DESCRIPTION = `Barge: starts an execution with \`dry_run: true\` that walks the sources, filters and plans against the destination exactly as \`run\` would, but writes nothing — no file, folder or temporary file at the destination, no source removed (move), nothing erased. Its ledger (\`GET /task_executions/{id}/files\`, status \`planned\`) lists each planned file with its \`operation\`: \`copy\`, \`move\`, \`rename\` (its name is taken: written as \`name (n).ext\`), \`overwrite\`, \`skip\` (the reason in \`error\`), \`erase\`, or \`fail\` (planning failed: a failed row). When it ends, \`plan\` on the execution gives files, bytes, per-operation totals and an ETA measured on recent runs of the same storages (none: \`eta_seconds\` null and \`eta_note\` says why). Actions previewed: ${DRY_RUN_ACTIONS.join(', ')} (others: 422). Same checks as \`run\`: 404 unknown task, 409 while the task has an active execution, 422 when it cannot run, 403 without the storage rights.`;

export const TASK_SUB_PATHS: Record<string, Json> = {
  '/tasks/{task_id}/action/dry_run': {
    put: op({
      operationId: 'dry_run_task', summary: 'Previews a run of a task: plans it, writes nothing.', tags: ['tasks'], scope: ['tasks', 'action'],
      description: DRY_RUN_DESCRIPTION, parameters: [taskId],
      requestBody: { $ref: '#/components/requestBodies/task_trigger_metadata' },
      responses: { '200': { $ref: '#/components/responses/tasks_run' }, default: { $ref: '#/components/responses/data_management_error' } },
    }),
  },
  ...crud({
    collection: '/tasks/{task_id}/task_options', item: '/tasks/{task_id}/task_options/{option_id}', itemParam: 'option_id',
    controller: 'task_options', tag: 'tasks', schema: 'task_option', plural: 'task_options', label: 'task option', filters: [], collectionParams: [taskId],
  }),
  ...crud({
    collection: '/tasks/{task_id}/task_metadata', item: '/tasks/{task_id}/task_metadata/{metadatum_id}', itemParam: 'metadatum_id',
    controller: 'task_metadata', tag: 'tasks', schema: 'task_metadatum', plural: 'task_metadata', label: 'task metadatum', filters: [], collectionParams: [taskId],
  }),
};
