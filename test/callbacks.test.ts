/**
 * `/tasks/{task_id}/task_callbacks` on the real server (#11): CRUD with the list conventions, scripts
 * compiled at create/update (a syntax error is a 422 naming the line), Nodeum's legacy `filter`
 * type, webhooks with a write-only secret that is sealed and never returned, ownership (another
 * user's task is a 404), and the callbacks going away with their task. SQLite, and PostgreSQL when
 * BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { assertModelError } from './helpers/model-error.js';
import { makeUser, nasWithShares, copyTask } from './helpers/fixtures.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);

const FILTER = 'function filter(file) {\n  return file.size > 100;\n}\n';

for (const dialect of dialects()) {
  describe(`task callbacks API (${dialect})`, () => {
    let b: Booted;
    let taskId = '';
    const path = () => `/tasks/${taskId}/task_callbacks`;

    before(async () => {
      b = await boot({ dialect });
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      taskId = t.body.id;
    });
    after(async () => b?.stop());

    it('creates, shows, lists, updates and deletes a script callback', async () => {
      const c = await b.admin.post(path(), { type: 'before_request_dispatched', language: 'javascript', script: FILTER });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.deepEqual(c.body, {
        id: c.body.id, task_id: taskId, type: 'before_request_dispatched', language: 'javascript', script: FILTER, created_at: c.body.created_at, updated_at: c.body.updated_at,
      });
      assert.deepEqual((await b.admin.get(`${path()}/${c.body.id}`)).body, c.body);
      const hook = await b.admin.post(path(), { type: 'after_task_executed', script: 'function run(input) { return true; }' });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      assert.equal(hook.body.language, 'javascript', 'language defaults to javascript');

      const list = await b.admin.get(`${path()}?sort_by=type`);
      assert.equal(list.status, 200);
      assert.equal(list.body.count, 2);
      assert.deepEqual(list.body.task_callbacks.map((x: any) => x.type), ['after_task_executed', 'before_request_dispatched']);
      const filtered = await b.admin.get(`${path()}?type=after_task_executed`);
      assert.deepEqual(filtered.body.task_callbacks.map((x: any) => x.id), [hook.body.id]);
      const paged = await b.admin.get(`${path()}?limit=1&offset=1&sort_by=type`);
      assert.deepEqual([paged.body.count, paged.body.task_callbacks.map((x: any) => x.id)], [2, [c.body.id]]);

      const u = await b.admin.put(`${path()}/${c.body.id}`, { script: 'function run(file) { return true; }' });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.equal(u.body.script, 'function run(file) { return true; }', 'run() is accepted for a filter');
      assert.equal(u.body.type, 'before_request_dispatched', 'a partial update keeps the type');

      assert.equal((await b.admin.delete(`${path()}/${c.body.id}`)).status, 204);
      assertModelError(await b.admin.get(`${path()}/${c.body.id}`), 404, 'id', 'not_found');
      assert.equal((await b.admin.get(path())).body.count, 1);
    });

    it('stores Nodeum\'s legacy type filter as before_request_dispatched', async () => {
      const c = await b.admin.post(path(), { type: 'filter', language: 'javascript', script: FILTER });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.type, 'before_request_dispatched');
      assert.equal((await b.admin.get(`${path()}?type=before_request_dispatched`)).body.task_callbacks.some((x: any) => x.id === c.body.id), true);
    });

    it('refuses a script with a syntax error with a 422 on script naming the line, at create and update', async () => {
      const r = await b.admin.post(path(), { type: 'before_request_dispatched', language: 'javascript', script: 'function filter(file) {\n  return file.size >\n}\n' });
      assertModelError(r, 422, 'script', 'invalid');
      assert.equal(r.body.details.script[0].line, 3);
      assert.match(r.body.messages[0], /^Script line 3: SyntaxError/);
      const ok = await b.admin.post(path(), { type: 'after_result_received', script: 'function run(r) { return r.status; }' });
      assert.equal(ok.status, 201);
      const u = await b.admin.put(`${path()}/${ok.body.id}`, { script: 'function run(r) {\n\n  return r.(status);\n}' });
      assertModelError(u, 422, 'script', 'invalid');
      assert.equal(u.body.details.script[0].line, 3);
      assert.equal((await b.admin.get(`${path()}/${ok.body.id}`)).body.script, 'function run(r) { return r.status; }', 'nothing changed');
    });

    it('refuses a script that does not define its entry function, or loops at its top level', async () => {
      const none = await b.admin.post(path(), { type: 'before_task_executed', script: 'function filter(file) { return true; }' });
      assertModelError(none, 422, 'script', 'invalid');
      assert.match(none.body.messages[0], /does not define function run\(input\)/);
      const loops = await b.admin.post(path(), { type: 'after_task_executed', script: 'while (true) {}\nfunction run(i) {}' });
      assertModelError(loops, 422, 'script', 'invalid');
      assert.match(loops.body.messages[0], /ran out of time/);
      const host = await b.admin.post(path(), { type: 'after_task_executed', script: 'var fs = require("fs");\nfunction run(i) {}' });
      assertModelError(host, 422, 'script', 'invalid');
      assert.match(host.body.messages[0], /Script line 1: ReferenceError: 'require' is not defined/);
    });

    it('refuses an unknown type, another language, a blank script and attributes of the other kind', async () => {
      assertModelError(await b.admin.post(path(), { type: 'on_tuesday', script: FILTER }), 422, 'type', 'inclusion');
      assertModelError(await b.admin.post(path(), { script: FILTER }), 422, 'type', 'blank');
      assertModelError(await b.admin.post(path(), { type: 'filter', language: 'lua', script: FILTER }), 422, 'language', 'inclusion');
      assertModelError(await b.admin.post(path(), { type: 'filter', script: '  ' }), 422, 'script', 'blank');
      assertModelError(await b.admin.post(path(), { type: 'filter', script: FILTER, url: 'https://hooks.example.com/x' }), 422, 'url', 'present');
      assertModelError(await b.admin.post(path(), { type: 'webhook', url: 'https://hooks.example.com/x', secret: 's3cret', events: ['started'], script: FILTER }), 422, 'script', 'present');
      assertModelError(await b.admin.post(path(), { type: 'filter', script: 'x'.repeat(70_000) }), 422, 'script');
    });

    it('stores a webhook, seals its secret and never returns it', async () => {
      const c = await b.admin.post(path(), { type: 'webhook', url: 'https://hooks.example.com/barge', secret: 'wh-secret-1', events: ['finished', 'failed_file', 'finished'] });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.deepEqual(c.body, {
        id: c.body.id, task_id: taskId, type: 'webhook', url: 'https://hooks.example.com/barge', events: ['finished', 'failed_file'], has_secret: true,
        created_at: c.body.created_at, updated_at: c.body.updated_at,
      });
      const row = await b.barge.store.db.selectFrom('task_callbacks').selectAll().where('id', '=', c.body.id).executeTakeFirstOrThrow();
      assert.ok(row.secret_sealed && !row.secret_sealed.includes('wh-secret-1'), 'sealed at rest');
      for (const r of [await b.admin.get(`${path()}/${c.body.id}`), await b.admin.get(path())]) assert.ok(!JSON.stringify(r.body).includes('wh-secret'));

      // A partial update keeps the secret; a new one replaces it.
      const u = await b.admin.put(`${path()}/${c.body.id}`, { events: ['started'] });
      assert.deepEqual([u.status, u.body.events, u.body.has_secret], [200, ['started'], true]);
      const kept = await b.barge.store.db.selectFrom('task_callbacks').select('secret_sealed').where('id', '=', c.body.id).executeTakeFirstOrThrow();
      assert.equal(kept.secret_sealed, row.secret_sealed);
      assert.equal((await b.admin.put(`${path()}/${c.body.id}`, { secret: 'another-secret' })).status, 200);
      const replaced = await b.barge.store.db.selectFrom('task_callbacks').select('secret_sealed').where('id', '=', c.body.id).executeTakeFirstOrThrow();
      assert.notEqual(replaced.secret_sealed, row.secret_sealed);
      assertModelError(await b.admin.put(`${path()}/${c.body.id}`, { secret: null }), 422, 'secret', 'blank');

      // Turned into a script, it forgets its webhook attributes and its secret.
      const s = await b.admin.put(`${path()}/${c.body.id}`, { type: 'after_task_executed', script: 'function run(i) { return true; }' });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      assert.deepEqual(Object.keys(s.body).sort(), ['created_at', 'id', 'language', 'script', 'task_id', 'type', 'updated_at']);
      const gone = await b.barge.store.db.selectFrom('task_callbacks').selectAll().where('id', '=', c.body.id).executeTakeFirstOrThrow();
      assert.deepEqual([gone.url, gone.secret_sealed, gone.events], [null, null, null]);
    });

    it('validates a webhook\'s url, events and secret', async () => {
      const base = { type: 'webhook', url: 'https://hooks.example.com/x', secret: 's', events: ['started'] };
      assertModelError(await b.admin.post(path(), { ...base, url: 'ftp://hooks.example.com/x' }), 422, 'url', 'invalid');
      assertModelError(await b.admin.post(path(), { ...base, url: 'not a url' }), 422, 'url', 'invalid');
      assertModelError(await b.admin.post(path(), { ...base, url: undefined }), 422, 'url', 'blank');
      assertModelError(await b.admin.post(path(), { ...base, events: [] }), 422, 'events', 'blank');
      assertModelError(await b.admin.post(path(), { ...base, events: ['started', 'exploded'] }), 422, 'events[1]', 'inclusion');
      assertModelError(await b.admin.post(path(), { ...base, secret: undefined }), 422, 'secret', 'blank');
      // The deployment's allow-list: loopback and private targets are refused unless BARGE_WEBHOOK_ALLOW lists them.
      const local = await b.admin.post(path(), { ...base, url: 'http://127.0.0.1:9/hook' });
      assertModelError(local, 422, 'url', 'invalid');
    });

    it('is a 404 on another user\'s task; the owner manages their own', async () => {
      const other = await makeUser(b.admin);
      assertModelError(await other.client.get(path()), 404, 'id', 'not_found');
      assertModelError(await other.client.post(path(), { type: 'filter', script: FILTER }), 404, 'id', 'not_found');
      const owner = await makeUser(b.admin);
      const s = await nasWithShares(b.admin, ['a', 'b']);
      for (const share of Object.values(s)) await b.admin.put(`/nas_shares/${share.id}`, { guest_right: 'read_write' });
      const t = await owner.client.post('/tasks', copyTask(s.a!.id, s.b!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const c = await owner.client.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'filter', script: FILTER });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assertModelError(await other.client.get(`/tasks/${t.body.id}/task_callbacks/${c.body.id}`), 404, 'id', 'not_found');
      assert.equal((await b.admin.get(`/tasks/${t.body.id}/task_callbacks/${c.body.id}`)).status, 200, 'an admin sees any task');
    });

    it('deletes a task\'s callbacks with the task', async () => {
      const s = await nasWithShares(b.admin, ['x', 'y']);
      const t = await b.admin.post('/tasks', copyTask(s.x!.id, s.y!.id));
      const c = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'filter', script: FILTER });
      assert.equal(c.status, 201);
      assert.equal((await b.admin.delete(`/tasks/${t.body.id}`)).status, 204);
      const rows = await b.barge.store.db.selectFrom('task_callbacks').select('id').where('task_id', '=', t.body.id).execute();
      assert.deepEqual(rows, []);
    });
  });
}
