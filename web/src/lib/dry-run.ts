/**
 * Dry runs as the console reads them (issue #11): the execution with its `plan`, and its planned
 * files, typed from the types generated from openapi/barge.json (type-only, as catalog-types.ts), so
 * a field renamed in the contract breaks the build rather than the Preview. Plus the one thing the
 * Preview does: start a dry run and follow it to its end.
 */
import type { components } from '../../../src/api/openapi/types';
import { get, put } from './api';

type Schemas = components['schemas'];

export type DryRunPlan = Schemas['dry_run_plan'];
export type PlanExecution = Schemas['task_execution'] & { id: string; status: string; finished_at?: string; nodes_todo: number; size_todo: number };
export type PlannedFile = Schemas['task_execution_file'];

/** The actions a dry run previews (the server refuses others with the reason). */
export const PREVIEWABLE: ReadonlySet<string> = new Set(['copy', 'move', 'erase', 'full_backup', 'incremental_backup', 'restore']);

/** Planned files shown in the Preview (the totals count them all). */
export const PREVIEW_ROWS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a dry run of a task, reports the execution while it plans (`onProgress`), and resolves with
 * the ended execution and its first planned files. `cancelled()` ends the wait (the dry run itself
 * goes on to its end on the server).
 */
export async function previewTask(taskId: string, onProgress: (e: PlanExecution) => void, cancelled: () => boolean): Promise<{ execution: PlanExecution; files: PlannedFile[]; count: number } | undefined> {
  const started = await put<{ execution_id: string }>(`/tasks/${encodeURIComponent(taskId)}/action/dry_run`, {});
  const path = `/task_executions/${encodeURIComponent(started.execution_id)}`;
  for (let delay = 150; ; delay = Math.min(1000, Math.round(delay * 1.5))) {
    if (cancelled()) return undefined;
    const e = await get<PlanExecution>(path);
    if (e.finished_at) {
      const page = await get<{ count: number; files: PlannedFile[] }>(`${path}/files?limit=${PREVIEW_ROWS}&sort_by=src_path`);
      return { execution: e, files: page.files, count: page.count };
    }
    onProgress(e);
    await sleep(delay);
  }
}
