/**
 * Two servers with engines on one store (one SQLite file, or one PostgreSQL schema): only the holder
 * of the engine lease runs executions — whichever server's API started them — and the other takes
 * over when that engine stops.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { bootPair, type Pair } from './helpers/shared-store.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const engine = (name: string) => ({ engine: true, overrides: { engine: { name, heartbeatMs: 100, leaseMs: 3000, statsIntervalMs: 50, batchFiles: 8 } } });

for (const dialect of dialects()) {
  describe(`engine lease: one engine per store (${dialect})`, () => {
    let pair: Pair;
    before(async () => {
      pair = await bootPair(dialect, { a: engine('engine-a'), b: engine('engine-b') });
    });
    after(async () => pair?.stop());

    async function runThrough(api: Booted): Promise<any> {
      const s = await nasWithShares(api.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'a.txt': 'alpha', 'd/b.txt': 'bravo' });
      const t = await api.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const r = await api.admin.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const e = await waitFor(async () => {
        const x = await api.admin.get(`/task_executions/${r.body.execution_id}`);
        return x.body.finished_at ? x.body : undefined;
      }, 'the execution to finish', 30_000);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.deepEqual(await hashTree(s.dst!.path), await hashTree(s.src!.path));
      return e;
    }

    /** A copy of 1,000 small files one at a time, started through `api`, once its first files are done. */
    async function startLongRun(api: Booted) {
      const s = await nasWithShares(api.admin, ['src', 'dst']);
      const files: Record<string, number> = {};
      for (let i = 0; i < 1000; i++) files[`d${i % 4}/f${String(i).padStart(4, '0')}.bin`] = 16 * 1024;
      await makeTree(s.src!.path, files);
      const taskId = (await api.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id, { options: { parallel: 1 } }))).body.id as string;
      const id = (await api.admin.put(`/tasks/${taskId}/action/run`)).body.execution_id as string;
      const exec = async (via: Booted) => (await via.admin.get(`/task_executions/${id}`)).body;
      await waitFor(async () => (await exec(api)).nodes_done > 0, 'the first files copied', 15_000);
      return { s, taskId, exec };
    }

    it('the second engine waits; runs started through either API are dispatched by the holder', async () => {
      assert.equal(pair.a.barge.engine?.isActive, true);
      assert.equal(pair.b.barge.engine?.isActive, false);
      const e = await runThrough(pair.b);
      assert.equal(e.dispatcher, 'engine-a');
      assert.equal(pair.b.barge.engine?.isActive, false, 'still waiting');
    });

    it('when the holder stops mid-run, the other engine takes over, finishes that run and runs what comes next', async () => {
      const { s, taskId, exec } = await startLongRun(pair.a);
      // Paused, so that the run is surely unfinished when its engine goes away.
      assert.equal((await pair.a.admin.put(`/tasks/${taskId}/action/pause`)).status, 200);
      const paused = await waitFor(async () => { const x = await exec(pair.a); return x.status === 'paused' ? x : undefined; }, 'the pause', 15_000);
      assert.ok(paused.nodes_done < 1000 && paused.finished_at === undefined, JSON.stringify(paused));
      await pair.a.barge.engine?.stop();
      await waitFor(async () => pair.b.barge.engine?.isActive, 'engine b to take over', 10_000);
      assert.equal((await pair.b.admin.put(`/tasks/${taskId}/action/resume`)).status, 200);
      const e = await waitFor(async () => { const x = await exec(pair.b); return x.finished_at ? x : undefined; }, 'the interrupted execution to finish under engine b', 30_000);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.dispatcher, 'engine-b', 'the execution names the engine that runs it now');
      assert.deepEqual([...e.movers].sort(), ['engine-a', 'engine-b'], 'both moved files of it: a before its stop, b after');
      assert.deepEqual(await hashTree(s.dst!.path), await hashTree(s.src!.path));
      assert.equal((await runThrough(pair.a)).dispatcher, 'engine-b');
    });

    it('an engine that loses its lease mid-run stops its work at once, and resumes the run when it holds the lease again', async () => {
      // Engine a stopped in the previous test: engine b holds the lease now.
      const { s, exec } = await startLongRun(pair.b);
      // As if engine b had stalled past its lease and another engine had taken it.
      const db = pair.b.barge.store.db;
      await db.updateTable('engine_lease').set({ owner: 'engine-x', expires_at: new Date(Date.now() + 60_000).toISOString() }).execute();
      await waitFor(async () => pair.b.barge.engine?.isActive === false, 'engine b to stop (not hang) once its lease is gone', 10_000);
      const stopped = await exec(pair.b);
      assert.equal(stopped.finished_at, undefined, `the run is left for the holder: ${JSON.stringify(stopped)}`);
      await db.deleteFrom('engine_lease').execute(); // the other engine went away
      await waitFor(async () => pair.b.barge.engine?.isActive, 'engine b to hold the lease again', 10_000);
      const e = await waitFor(async () => { const x = await exec(pair.b); return x.finished_at ? x : undefined; }, 'the run to finish', 30_000);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.deepEqual(await hashTree(s.dst!.path), await hashTree(s.src!.path));
    });
  });
}
