/**
 * Running tasks through the API and waiting for their executions, as the engine tests on real services
 * (engine-s3, engine-azure) do: create a task, run it, poll the execution until it is terminal, read its
 * ledger and log.
 *
 * Why a helper: these steps (and their assertions on the status codes) are the same for every storage,
 * and a copy per test file drifts (one file's timeout, another's assertion message).
 */
import assert from 'node:assert/strict';
import { waitFor, type Booted } from './barge.js';
import { unique } from './fixtures.js';

/** Execution states after which nothing changes any more. */
export const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];

/** A NAS share task endpoint (`node_paths` default to the share's root). */
export function nasEndpoint(id: string, ...paths: string[]): Record<string, unknown> {
  return { type: 'nas', storage_id: id, node_paths: paths.length ? paths : ['/'] };
}

/**
 * Task runs on a booted Barge (`booted()` is read at each call: suites boot in `before`), as its admin;
 * `timeoutMs` bounds each wait for an execution.
 */
export function taskRuns(booted: () => Booted, timeoutMs: number) {
  /** Create a `data_migration` task from `body` and run it. */
  async function start(body: Record<string, unknown>): Promise<{ taskId: string; executionId: string }> {
    const b = booted();
    const t = await b.admin.post('/tasks', { name: unique('t'), workflow_type: 'data_migration', ...body });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const r = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { taskId: t.body.id, executionId: r.body.execution_id };
  }
  /** The execution once terminal. */
  async function finished(executionId: string, waitMs = timeoutMs): Promise<any> {
    return waitFor(async () => {
      const e = (await booted().admin.get(`/task_executions/${executionId}`)).body;
      return TERMINAL.includes(e.status) && e;
    }, 'the execution to finish', waitMs);
  }
  return {
    start,
    finished,
    /** Start a task and wait for its execution to finish. */
    runTask: async (body: Record<string, unknown>) => finished((await start(body)).executionId),
    /** The execution's ledger, by source path. */
    ledger: async (id: string) => (await booted().admin.get(`/task_executions/${id}/files?limit=1000&sort_by=src_path`)).body.files as any[],
    /** The execution's log, read from the store. */
    execLog: async (id: string) => (await booted().barge.store.db.selectFrom('task_executions').select('log').where('id', '=', id).executeTakeFirstOrThrow()).log,
  };
}
