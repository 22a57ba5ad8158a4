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

const engine = (name: string) => ({ engine: true, overrides: { engine: { name, heartbeatMs: 100, leaseMs: 3000 } } });

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

    it('the second engine waits; runs started through either API are dispatched by the holder', async () => {
      assert.equal(pair.a.barge.engine?.isActive, true);
      assert.equal(pair.b.barge.engine?.isActive, false);
      const e = await runThrough(pair.b);
      assert.equal(e.dispatcher, 'engine-a');
      assert.equal(pair.b.barge.engine?.isActive, false, 'still waiting');
    });

    it('when the holder stops, the other engine takes over and runs what comes next', async () => {
      await pair.a.barge.engine?.stop();
      await waitFor(async () => pair.b.barge.engine?.isActive, 'engine b to take over', 10_000);
      const e = await runThrough(pair.a);
      assert.equal(e.dispatcher, 'engine-b');
    });
  });
}
