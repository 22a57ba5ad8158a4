/**
 * A storage right withdrawn while a run goes on (#15), with the real engine on real files, on each
 * store: the execution stops by itself — files in flight finish, nothing new starts — and ends
 * `stopped_by_system` with the storage and the missing right in its `error` and `log`; no partial file
 * is left and every file that made it to the destination is whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, waitFor, type Booted, type Client } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { hashTree, makeTree, partFiles } from './helpers/trees.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];

for (const dialect of dialects()) {
  describe(`storage rights withdrawn mid-run (${dialect})`, () => {
    let b: Booted;
    let user: { id: string; client: Client; username: string };
    before(async () => {
      // Small batches, one file at a time and frequent checks make a run long enough to act on.
      b = await boot({ dialect, engine: true, overrides: { engine: { batchFiles: 8, slots: 2, smallPerSlot: 1, statsIntervalMs: 50, accessCheckMs: 50 } } });
      user = await makeUser(b.admin);
    });
    after(async () => b?.stop());

    async function running(grant: (dst: string) => Promise<void>): Promise<{ taskId: string; id: string; src: string; dst: string; dstName: string; total: number }> {
      const shares = await nasWithShares(b.admin, ['src', 'dst']);
      const files: Record<string, number> = {};
      for (let i = 0; i < 120; i++) files[`d${i % 4}/f${i}.bin`] = 64 * 1024;
      await makeTree(shares.src!.path, files);
      assert.equal((await b.admin.put(`/nas_shares/${shares.src!.id}`, { guest_right: 'read' })).status, 200);
      await grant(shares.dst!.id);
      const t = await user.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { parallel: 1 } }));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const run = await user.client.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const id = run.body.execution_id as string;
      await waitFor(async () => (await user.client.get(`/task_executions/${id}`)).body.nodes_done > 0, 'first files copied', 20_000);
      const dstName = (await b.admin.get(`/nas_shares/${shares.dst!.id}`)).body.name as string;
      return { taskId: t.body.id, id, src: shares.src!.path, dst: shares.dst!.path, dstName, total: 120 };
    }

    async function assertStoppedBySystem(r: { id: string; src: string; dst: string; dstName: string; total: number }): Promise<void> {
      const e = await waitFor(async () => {
        const x = (await user.client.get(`/task_executions/${r.id}`)).body;
        return TERMINAL.includes(x.status) && x;
      }, 'the execution to end', 20_000);
      assert.equal(e.status, 'stopped_by_system', JSON.stringify(e));
      assert.match(e.error, new RegExp(`${r.dstName}: read_write needed`), e.error);
      const log = (await b.barge.store.db.selectFrom('task_executions').select('log').where('id', '=', r.id).executeTakeFirstOrThrow()).log;
      assert.ok(log.includes(`${r.dstName}: read_write needed`), log);
      assert.ok(e.nodes_done < r.total, `stopped before the end: ${e.nodes_done} of ${r.total}`);
      assert.deepEqual(await partFiles(r.dst), [], 'no partial file left');
      const copied = await hashTree(r.dst);
      const source = await hashTree(r.src);
      assert.ok(Object.keys(copied).length >= 1 && Object.keys(copied).length < r.total);
      for (const [path, hash] of Object.entries(copied)) assert.equal(hash, source[path], `${path} is whole`);
    }

    it('a user privilege withdrawn while files are copied stops the run (stopped_by_system, the reason named)', async () => {
      const r = await running(async (dst) => {
        assert.equal((await b.admin.post(`/nas_shares/${dst}/privileges`, { name: user.username, type: 'user', privilege: 'read_write' })).status, 201);
      });
      const dst = (await b.admin.get(`/tasks/${r.taskId}`)).body.destinations[0].storage_id as string;
      const p = (await b.admin.get(`/nas_shares/${dst}/privileges`)).body.privileges[0];
      assert.equal((await b.admin.put(`/nas_shares/${dst}/privileges/${p.id}`, { privilege: 'read' })).status, 200);
      await assertStoppedBySystem(r);
    });

    it('leaving the group that gave the right, while the run is paused, stops it too', async () => {
      const group = (await b.admin.post('/groups', { name: unique('movers'), users: [user.username] })).body;
      const r = await running(async (dst) => {
        assert.equal((await b.admin.post(`/nas_shares/${dst}/privileges`, { name: group.name, type: 'group', privilege: 'read_write' })).status, 201);
      });
      assert.equal((await user.client.put(`/tasks/${r.taskId}/action/pause`)).status, 200);
      assert.equal((await b.admin.put(`/groups/${group.id}`, { users: [] })).status, 200);
      await assertStoppedBySystem(r);
      // And a new run is refused up front, naming the same lack.
      const again = await user.client.put(`/tasks/${r.taskId}/action/run`);
      assert.equal(again.status, 403, JSON.stringify(again.body));
    });
  });
}
