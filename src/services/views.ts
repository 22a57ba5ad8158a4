/**
 * Rows → the API's JSON. One place, so that a task looks the same in a list, in `show`, embedded in
 * an execution, and in the events stream.
 *
 * Where the seed types a field and does not make it nullable (a task's `comment` and
 * `last_execution`, an execution's `finished_at` and `dispatcher`), a missing value is left out
 * rather than sent as `null`: clients generated from the seed reject a `null` there
 * (test/seed-schemas.test.ts holds every seed answer to the seed's schemas). Barge's own additions
 * (`started_at`, `eta_seconds`, `error`) are nullable in Barge's document and stay `null`.
 */
import type { ExecutionRow, TaskEndpointRow, TaskRow } from '../store/schema.js';
import type { TaskEndpoint } from '../domain/task.js';
import type { ExecutionState } from '../domain/execution.js';
import type { DryRunPlan } from '../domain/dry-run.js';

export interface ExecutionView {
  id: string;
  task_id: string;
  status: ExecutionState;
  progress: number;
  size_todo: number;
  size_done: number;
  nodes_todo: number;
  nodes_done: number;
  files_failed: number;
  bandwidth: number;
  eta_seconds: number | null;
  dispatcher?: string;
  movers: string[];
  error: string | null;
  trigger: Record<string, unknown>;
  /** Barge: the engine's notes on this run, oldest first (ignored options, why batches wait, callback failures). */
  log: string[];
  created_at: string;
  started_at: string | null;
  finished_at?: string;
  updated_at: string;
  task?: { id: string; name: string; workflow_type: string; workflow_action: string };
  /** Barge: a dry run, which planned and wrote nothing (its ledger lists the plan). */
  dry_run: boolean;
  /** Barge: a dry run's totals and ETA, once it ended. */
  plan?: DryRunPlan;
}

export interface TaskView {
  id: string;
  name: string;
  comment?: string;
  workflow_type: string;
  workflow_action: string;
  options: Record<string, unknown>;
  metadata: Record<string, unknown>;
  user: string;
  created_by: string;
  updated_by: string;
  created_at: string;
  updated_at: string;
  sources: TaskEndpoint[];
  destinations: TaskEndpoint[];
  last_execution?: ExecutionView;
}

export function endpointView(e: TaskEndpointRow): TaskEndpoint {
  return {
    id: e.id,
    type: e.type,
    storage_id: e.storage_id,
    pool_id: e.pool_id,
    node_paths: JSON.parse(e.node_paths) as string[],
    range: e.range_first === null || e.range_last === null ? null : [Number(e.range_first), Number(e.range_last)],
  };
}

export function executionView(e: ExecutionRow, task?: Pick<TaskRow, 'id' | 'name' | 'workflow_type' | 'workflow_action'>): ExecutionView {
  const v: ExecutionView = {
    id: e.id,
    task_id: e.task_id,
    status: e.state as ExecutionState,
    progress: Number(e.progress),
    size_todo: Number(e.size_todo),
    size_done: Number(e.size_done),
    nodes_todo: Number(e.nodes_todo),
    nodes_done: Number(e.nodes_done),
    files_failed: Number(e.files_failed),
    bandwidth: Number(e.bandwidth),
    eta_seconds: e.eta_seconds === null ? null : Number(e.eta_seconds),
    movers: JSON.parse(e.movers) as string[],
    error: e.error,
    trigger: JSON.parse(e.trigger) as Record<string, unknown>,
    log: JSON.parse(e.log || '[]') as string[],
    created_at: e.created_at,
    started_at: e.started_at,
    updated_at: e.updated_at,
    dry_run: Number(e.dry_run ?? 0) === 1,
  };
  if (e.plan) v.plan = JSON.parse(e.plan) as DryRunPlan;
  if (e.dispatcher !== null) v.dispatcher = e.dispatcher;
  if (e.finished_at !== null) v.finished_at = e.finished_at;
  if (task) v.task = { id: task.id, name: task.name, workflow_type: task.workflow_type, workflow_action: task.workflow_action };
  return v;
}

export function taskView(t: TaskRow, owner: string, endpoints: TaskEndpointRow[], last: ExecutionRow | undefined): TaskView {
  const v: TaskView = {
    id: t.id,
    name: t.name,
    workflow_type: t.workflow_type,
    workflow_action: t.workflow_action,
    options: JSON.parse(t.options) as Record<string, unknown>,
    metadata: JSON.parse(t.metadata) as Record<string, unknown>,
    user: owner,
    created_by: t.created_by,
    updated_by: t.updated_by,
    created_at: t.created_at,
    updated_at: t.updated_at,
    sources: endpoints.filter((e) => e.role === 'source').map(endpointView),
    destinations: endpoints.filter((e) => e.role === 'destination').map(endpointView),
  };
  if (t.comment !== null) v.comment = t.comment;
  if (last) v.last_execution = executionView(last);
  return v;
}
