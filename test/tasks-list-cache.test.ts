/**
 * The `GET /tasks` body cache end to end, on both dialects. Server A caches; server B, on the same
 * store, does not (it stands for another process of a scale-out deployment, and is the uncached
 * reference). After every kind of write that changes a list — through A, through B, or straight
 * into the store as the engine or a bulk load would — A's next answer must be byte-identical to
 * B's. And auth, key scopes and ownership are checked before any cached byte goes out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_PASSWORD, dialects, pgSkipReason, waitFor } from './helpers/barge.js';
import { bootPair, getRaw, type Pair } from './helpers/shared-store.js';
import { copyTask, makeUser, nasWithShares, openToAll, unique } from './helpers/fixtures.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const LISTS = ['/tasks?limit=50', '/tasks?all=true&limit=5', '/tasks?name=~copy%25&sort_by=name', '/tasks?limit=2&offset=1&sort_by=updated_at:desc'];

for (const dialect of dialects()) {
  describe(`GET /tasks cache (${dialect})`, () => {
    let p: Pair;
    let shares: Record<string, { id: string; path: string }>;
    let builds = 0;

    before(async () => {
      p = await bootPair(dialect, { a: { engine: true }, b: { overrides: { taskListCache: false } } });
      shares = await nasWithShares(p.a.admin, ['src', 'dst']);
      await openToAll(p.a.admin, shares);
      await writeFile(join(shares.src!.path, 'a.txt'), 'hello');
      for (let i = 0; i < 3; i++) assert.equal((await p.a.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id))).status, 201);
      // Count the pages A builds (a hit builds none).
      const tasks = p.a.barge.services.tasks;
      const page = tasks.page.bind(tasks);
      tasks.page = async (...args) => {
        builds += 1;
        return page(...args);
      };
    });
    after(async () => p?.stop());

    /** A's answer (primed first, so a stale entry would be served) equals B's uncached one, for every list. */
    async function assertFresh(auth = BASIC, lists = LISTS): Promise<void> {
      for (const path of lists) {
        const [a, b] = [await getRaw(p.a.url + '/api/v2', auth, path), await getRaw(p.b.url + '/api/v2', auth, path)];
        assert.equal(a.status, 200, `${path}: ${a.bytes.toString()}`);
        assert.equal(a.contentType, b.contentType);
        assert.ok(a.bytes.equals(b.bytes), `${path}: A served\n${a.bytes.toString()}\nbut the store says\n${b.bytes.toString()}`);
      }
    }

    async function primed<T>(write: () => Promise<T>): Promise<T> {
      await assertFresh();
      const out = await write();
      await assertFresh();
      return out;
    }

    const list = async (path = '/tasks?limit=50') => (await p.a.admin.get(path)).body as { count: number; tasks: any[] };

    it('answers a repeated list from the cache, byte-identical to the uncached page', async () => {
      await assertFresh();
      const before = builds;
      const first = await getRaw(p.a.url + '/api/v2', BASIC, '/tasks?limit=50');
      const again = await getRaw(p.a.url + '/api/v2', BASIC, '/tasks?limit=50');
      assert.equal(builds, before, 'both were hits');
      assert.ok(first.bytes.equals(again.bytes));
      const show = await getRaw(p.a.url + '/api/v2', BASIC, `/tasks/${JSON.parse(first.bytes.toString()).tasks[0].id}`);
      assert.equal(first.contentType, show.contentType, 'same content type as any serialized JSON answer');
      assert.ok(p.a.barge.services.taskLists.stats().entries >= LISTS.length);
    });

    it('task create, update and delete — through this server or another — show at once', async () => {
      const created = await primed(() => p.a.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id)));
      assert.equal((await list()).tasks[0].id, created.body.id);
      const viaB = await primed(() => p.b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id)));
      assert.equal((await list()).tasks[0].id, viaB.body.id, 'created by the other server');
      await primed(() => p.a.admin.put(`/tasks/${created.body.id}`, { name: 'renamed-here', options: { parallel: 2 } }));
      await primed(() => p.b.admin.put(`/tasks/${viaB.body.id}`, { comment: 'changed there' }));
      const names = (await list()).tasks.map((t) => [t.name, t.comment]);
      assert.ok(names.some(([n]) => n === 'renamed-here') && names.some(([, c]) => c === 'changed there'));
      const count = (await list()).count;
      await primed(() => p.b.admin.delete(`/tasks/${created.body.id}`));
      assert.equal((await list()).count, count - 1);
    });

    it('sources and destinations edited as sub-resources show at once', async () => {
      const t = (await list()).tasks[0];
      const added = await primed(() => p.a.admin.post(`/tasks/${t.id}/task_sources`, { type: 'nas', storage_id: shares.src!.id, node_paths: ['/extra'] }));
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await primed(() => p.b.admin.put(`/tasks/${t.id}/task_sources/${added.body.id}`, { node_paths: ['/other'] }));
      assert.deepEqual((await list()).tasks.find((x) => x.id === t.id).sources.at(-1).node_paths, ['/other']);
      await primed(() => p.a.admin.delete(`/tasks/${t.id}/task_sources/${added.body.id}`));
      assert.equal((await list()).tasks.find((x) => x.id === t.id).sources.length, t.sources.length);
    });

    it('a run and its progress (last_execution) show while the engine works, and when another process writes', async () => {
      const t = (await list()).tasks[0];
      await assertFresh();
      const run = await p.a.admin.put(`/tasks/${t.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      // The engine is at work now, so A and B are not compared until it is done; the run itself shows.
      assert.equal((await list()).tasks.find((x) => x.id === t.id).last_execution?.id, run.body.execution_id);
      // A's list must reach the engine's last write (the finish), and then equal the store's.
      const done = await waitFor(async () => {
        const last = (await list()).tasks.find((x) => x.id === t.id).last_execution;
        return last?.id === run.body.execution_id && last.finished_at ? last : undefined;
      }, 'the run to finish in the list', 30_000);
      assert.equal(done.status, 'done');
      await assertFresh();
      // Another process (a mover elsewhere) rewrites the execution: no request to A was involved.
      await primed(() => p.b.barge.store.db.updateTable('task_executions').set({ bandwidth: 12345, error: 'noted elsewhere' }).where('id', '=', run.body.execution_id).execute());
      assert.equal((await list()).tasks.find((x) => x.id === t.id).last_execution.bandwidth, 12345);
    });

    it('a bulk write straight into the store (no API call at all) shows at once', async () => {
      const before = (await list()).count;
      await primed(() => p.b.barge.store.db.deleteFrom('tasks').where('name', 'like', 'copy%').where('comment', 'is', null).where('id', '=', (eb) =>
        eb.selectFrom('tasks as x').select('x.id').where('x.name', 'like', 'copy%').orderBy('x.created_at').limit(1)).execute());
      assert.equal((await list()).count, before - 1);
    });

    it('a username change shows in `user` of every task of that owner', async () => {
      const u = await makeUser(p.a.admin);
      const t = await u.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(t.status, 201);
      const own = ['/tasks?limit=50'];
      await assertFresh(u.client.authorization, own);
      const renamed = unique('renamed');
      assert.equal((await p.b.admin.put(`/users/${u.id}`, { user: { username: renamed } })).status, 200);
      const client = p.a.api.withBasic(renamed, 'user-password-1');
      await assertFresh(client.authorization, own);
      assert.equal((await client.get('/tasks')).body.tasks[0].user, renamed);
      await assertFresh(); // the admin's all=true list embeds that user's task too
    });

    it('checks auth, key scopes and ownership before any cached byte goes out', async () => {
      await assertFresh(); // admin's lists, all=true included, are cached now
      const u = await makeUser(p.a.admin);
      const mine = await u.client.get('/tasks?limit=50');
      assert.equal(mine.status, 200);
      assert.ok(mine.body.tasks.every((t: any) => t.user === u.username), 'a user never gets the admin’s cached page');
      assert.equal((await u.client.get('/tasks?all=true&limit=5')).status, 403, 'all=true stays admin-only');
      assert.equal((await p.a.api.get('/tasks?limit=50')).status, 401);
      assert.equal((await p.a.api.withBasic('admin', 'wrong-password').get('/tasks?limit=50')).status, 401);
      const key = await p.a.admin.post('/users/me/api_keys', { name: unique('k'), api_key_scopes: [{ controller: 'task_executions', action: 'index' }] });
      assert.equal((await p.a.api.withAuth(key.body.key).get('/tasks?limit=50')).status, 403, 'a key without tasks/index');
    });
  });
}
