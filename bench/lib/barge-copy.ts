/**
 * Drives a copy through Barge's public API, the way a Nodeum client would: a NAS with a source and a
 * destination share, a copy task between them, `PUT /tasks/{id}/action/run`, then polling
 * `GET /task_executions/{id}` until `finished_at` is set.
 *
 * The time reported is run request → `finished_at` (server clock, same machine). The moment the walk
 * completed (progress flag INIT_DONE) is seen by polling, so it is approximate (± one poll interval).
 */
import type { BargeChild } from './barge-main.js';

const INIT_DONE = 2;

/** One JSON call; throws with the body on an unexpected status. */
export async function call(b: BargeChild, method: string, path: string, body?: unknown, expect = [200, 201]): Promise<any> {
  const headers: Record<string, string> = { authorization: b.auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(b.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!expect.includes(r.status)) throw new Error(`${method} ${path} → ${r.status}: ${text.slice(0, 1000)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Switches `b` to a JWT session (POST /users/sign_in). Why: with Basic, every cache expiry of the
 * checked credential (BARGE_BASIC_CACHE_SECONDS, 60 s) costs an argon2id verify (19 MiB, tens of ms)
 * during the run, which the polling — not the copy — would add to the figures.
 */
export async function signIn(b: BargeChild, password: string): Promise<void> {
  const r = await call(b, 'POST', '/users/sign_in', { user: { username: 'admin', password } }, [201]);
  b.auth = `Bearer ${r.token as string}`;
}

export interface Shares {
  source: string;
  destination: string;
}

/** A NAS with two shares on existing directories; returns the share ids. */
export async function createShares(b: BargeChild, sourceDir: string, destinationDir: string): Promise<Shares> {
  const nas = await call(b, 'POST', '/nas', { name: 'bench-nas', type: 'local' });
  const source = await call(b, 'POST', `/nas/${nas.id}/nas_shares`, { name: 'bench-src', path: sourceDir });
  const destination = await call(b, 'POST', `/nas/${nas.id}/nas_shares`, { name: 'bench-dst', path: destinationDir });
  return { source: source.id, destination: destination.id };
}

/** A copy task of the whole source share into the destination share. */
export async function createCopyTask(b: BargeChild, shares: Shares, name: string, options: Record<string, unknown>): Promise<string> {
  const task = await call(b, 'POST', '/tasks', {
    name, workflow_type: 'data_migration', workflow_action: 'copy', options,
    sources: [{ type: 'nas', storage_id: shares.source, node_paths: ['/'] }],
    destinations: [{ type: 'nas', storage_id: shares.destination, node_paths: ['/'] }],
  });
  return task.id as string;
}

export interface CopyRun {
  /** run request → finished_at, seconds. */
  seconds: number;
  /** run request → first poll that saw the walk complete, seconds (approximate). */
  walkSeconds: number | undefined;
  execution: any;
}

/** Runs a task and waits for its execution to finish; polls are `pollMs` apart and never overlap. */
export async function runAndWait(b: BargeChild, taskId: string, pollMs = 100): Promise<CopyRun> {
  const t0 = Date.now();
  const started = await call(b, 'PUT', `/tasks/${taskId}/action/run`);
  const id = started.execution_id as string;
  let walkSeconds: number | undefined;
  for (;;) {
    const e = await call(b, 'GET', `/task_executions/${id}`);
    if (walkSeconds === undefined && (Number(e.progress) & INIT_DONE) !== 0) walkSeconds = (Date.now() - t0) / 1000;
    if (e.finished_at) {
      if (e.status !== 'done') throw new Error(`execution ${id} ended ${e.status}: ${JSON.stringify(e).slice(0, 1500)}`);
      return { seconds: (Date.parse(e.finished_at) - t0) / 1000, walkSeconds, execution: e };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
