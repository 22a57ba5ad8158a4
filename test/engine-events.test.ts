/** GET /task_executions/{id}/events: the live SSE stream of a real run, end to end. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';

interface Sse { event: string; data: any }

/** Reads a whole SSE response into events (the server closes it when the execution ends). */
async function readEvents(url: string, authorization: string): Promise<{ status: number; type: string | null; events: Sse[] }> {
  const r = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  const events: Sse[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
    const ev = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
  }
  return { status: r.status, type: r.headers.get('content-type'), events };
}

describe('execution events (SSE)', () => {
  let b: Booted;
  before(async () => {
    b = await boot({ engine: true });
  });
  after(async () => b?.stop());

  it('streams state changes, progress, failed files and a final end, then closes', async () => {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'ok/1.bin': 200_000, 'ok/2.bin': 200_000, 'bad/x.txt': 'x' });
    await writeFile(join(s.dst!.path, 'bad'), 'a file where a folder is needed');
    const t = await b.admin.post('/tasks', {
      name: unique('sse'), workflow_type: 'data_migration', workflow_action: 'copy',
      sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/'] }],
    });
    const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    const { status, type, events } = await readEvents(`${b.api.base}/task_executions/${run.body.execution_id}/events`, b.admin.authorization as string);
    assert.equal(status, 200);
    assert.match(type ?? '', /^text\/event-stream/);
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.status);
    assert.equal(states.at(-1), 'finished_with_warnings', JSON.stringify(states));
    assert.equal(new Set(states).size, states.length, 'a state is announced once');
    assert.ok(events.some((e) => e.event === 'progress'), 'progress snapshots');
    const failed = events.filter((e) => e.event === 'file_failed').map((e) => e.data.src_path).sort();
    assert.deepEqual(failed, ['/bad', '/bad/x.txt']);
    const end = events.at(-1) as Sse;
    assert.equal(end.event, 'end');
    assert.equal(end.data.status, 'finished_with_warnings');
    assert.equal(end.data.nodes_done, 2);
  });

  it('needs credentials like every other call, and only the owner (or an admin) sees it', async () => {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    const t = await b.admin.post('/tasks', {
      name: unique('sse'), workflow_type: 'data_migration', workflow_action: 'copy',
      sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/'] }],
    });
    const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    const anon = await fetch(`${b.api.base}/task_executions/${run.body.execution_id}/events`);
    assert.equal(anon.status, 401);
    assert.equal((await anon.json()).details.authorization[0].error, 'invalid');
    const u = await b.admin.post('/users', { user: { username: unique('u'), password: 'user-password-1' } });
    const other = await fetch(`${b.api.base}/task_executions/${run.body.execution_id}/events`, { headers: { authorization: `Basic ${Buffer.from(`${u.body.username}:user-password-1`).toString('base64')}` } });
    assert.equal(other.status, 404);
    const missing = await fetch(`${b.api.base}/task_executions/nope/events`, { headers: { authorization: b.admin.authorization as string } });
    assert.equal(missing.status, 404);
  });
});
