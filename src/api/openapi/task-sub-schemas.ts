/**
 * Schemas of issue #11's dry run and task sub-resources: a task option `{id, type, value}` and a
 * metadatum `{id, key, value}` (Nodeum's `task_option` / `task_metadatum`; Barge's ids are the option
 * key and the metadata key, since both live in the task's JSON), the dry-run plan, and the fields a
 * dry run adds to executions and ledger rows.
 */
import { PLAN_OPERATIONS } from '../../domain/dry-run.js';
import { ref } from './helpers.js';

const ro = (s: Record<string, unknown>) => ({ ...s, readOnly: true });
const totals = { type: 'object', properties: { files: { type: 'integer', format: 'int64' }, bytes: { type: 'integer', format: 'int64' } } };

export const TASK_SUB_SCHEMAS: Record<string, unknown> = {
  task_option: {
    type: 'object',
    description: 'One key of the task\'s `options`, as Nodeum\'s task_option. Changes show in the task\'s `options` and the other way round.',
    properties: {
      id: ro({ type: 'string', description: 'The option key (the same as `type`).' }),
      type: { type: 'string', minLength: 1, maxLength: 255, description: 'The option key: one of the task options (`parallel`, `file_checksum`…) or any other key (stored as given).' },
      value: { description: 'The value, typed and checked as in the task\'s `options` (a number for `parallel`…). A string a Nodeum SDK sends for a number or boolean option (`"4"`, `"true"`) is read as that number or boolean.' },
    },
  },
  task_metadatum: {
    type: 'object',
    description: 'One key of the task\'s `metadata.task`, as Nodeum\'s task_metadatum. Changes show in the task\'s `metadata` and the other way round.',
    properties: {
      id: ro({ type: 'string', description: 'The metadata key.' }),
      key: { type: 'string', minLength: 1, maxLength: 255 },
      value: { description: 'Any JSON value.' },
    },
  },
  dry_run_plan: {
    type: 'object',
    description: 'What a dry run found: files and bytes it would write (or erase), per operation, and an ETA.',
    properties: {
      files: ro({ type: 'integer', format: 'int64', description: 'Files it would write or erase (skips and failures excluded).' }),
      bytes: ro({ type: 'integer', format: 'int64' }),
      skipped: ro({ type: 'integer', format: 'int64' }),
      failed: ro({ type: 'integer', format: 'int64' }),
      operations: ro({ type: 'object', properties: Object.fromEntries(PLAN_OPERATIONS.map((o) => [o, totals])) }),
      eta_seconds: ro({ type: 'integer', nullable: true, description: 'At the rate of recent runs on the same storages; null when there is none.' }),
      bandwidth: ro({ type: 'integer', nullable: true, description: 'Bytes per second of those runs (their bytes over their durations).' }),
      files_per_second: ro({ type: 'number', nullable: true, description: 'Files per second of those runs (an erase is timed by files).' }),
      eta_runs: ro({ type: 'integer', description: 'How many recent runs were measured (at most 5).' }),
      eta_note: ro({ type: 'string', description: 'Where the ETA comes from, or why there is none.' }),
    },
  },
};

/** Added to `task_execution` (schemas.ts SEED_EXTENSIONS). */
export const DRY_RUN_EXECUTION_FIELDS: Record<string, unknown> = {
  dry_run: ro({ type: 'boolean', description: 'Barge: a dry run (PUT /tasks/{id}/action/dry_run), which planned and wrote nothing.' }),
  plan: ro({ allOf: [ref('dry_run_plan')], description: 'Barge: a dry run\'s totals, once it ended.' }),
};

/** Added to `task_execution_file` (schemas.ts). */
export const DRY_RUN_FILE_FIELDS: Record<string, unknown> = {
  operation: ro({ type: 'string', nullable: true, enum: [...PLAN_OPERATIONS, null], description: 'A dry run\'s planned operation (its rows have status `planned`, or `failed` for `fail`); null in real runs.' }),
};
