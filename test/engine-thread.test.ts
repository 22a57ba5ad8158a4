/**
 * The engine's worker thread in `npm start`: a thread that ends on its own (a crash) is started
 * again, takes the engine lease back and runs what was queued — the server never stays without an
 * engine, and the API is not restarted for it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';
import type { EngineThread } from '../src/engine-host.js';

describe('engine thread', () => {
  let b: Booted;
  before(async () => {
    b = await boot({ engine: true, overrides: { engineThread: true } });
  });
  after(async () => b?.stop());

  it('a thread that dies is started again and runs the next copy', async () => {
    const thread = b.barge.engine as EngineThread;
    assert.equal(typeof thread.kill, 'function', 'the server runs its engine in a thread');
    await waitFor(async () => thread.isActive || undefined, 'the engine to hold the lease', 20_000);
    await thread.kill();
    assert.equal(thread.isActive, false);
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'a.txt': 'alpha', 'd/b.bin': 50_000 });
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const e = await waitFor(async () => {
      const r = (await b.admin.get(`/task_executions/${run.body.execution_id}`)).body;
      return r.finished_at ? r : undefined;
    }, 'the copy to finish on the restarted engine', 60_000);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(thread.restarts, 1);
    assert.deepEqual(await hashTree(s.dst!.path), await hashTree(s.src!.path));
  });
});
