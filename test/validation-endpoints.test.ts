/**
 * Task sources/destinations as sub-resources (CRUD, 404s, validation, the embedded lists follow),
 * and "never a 500": junk bodies and junk query strings against the writing endpoints — on both
 * dialects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { assertModelError, junkBodies } from './helpers/lists.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

for (const dialect of dialects()) {
  describe(`task sources and destinations sub-resources (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect });
      shares = await nasWithShares(b.admin, ['src', 'dst', 'alt']);
    });
    after(async () => b?.stop());

    async function newTask(extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, extra));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    const embedded = async (taskId: string, key: 'sources' | 'destinations') => (await b.admin.get(`/tasks/${taskId}`)).body[key];

    for (const [plural, key, other] of [['task_sources', 'sources', 'task_destinations'], ['task_destinations', 'destinations', 'task_sources']] as const) {
      it(`${plural}: list, create 201, show, partial update, delete 204, and the task's ${key} follow`, async () => {
        const t = await newTask();
        const base = `/tasks/${t.id}/${plural}`;
        let list = await b.admin.get(base);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body, { count: 1, [plural]: t[key] });

        const created = await b.admin.post(base, { type: 'primary_nas', storage_id: shares.alt!.id, node_paths: ['/x', 'y/z'] });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(typeof created.body.id, 'string');
        assert.deepEqual({ ...created.body, id: 'ID' }, { id: 'ID', type: 'primary_nas', storage_id: shares.alt!.id, pool_id: null, node_paths: ['/x', 'y/z'], range: null });
        let emb = await embedded(t.id, key);
        assert.deepEqual(emb, [t[key][0], created.body], 'appended after the existing endpoint');
        list = await b.admin.get(base);
        assert.deepEqual(list.body, { count: 2, [plural]: emb });
        const task = (await b.admin.get(`/tasks/${t.id}`)).body;
        assert.ok(task.updated_at >= t.updated_at);

        const shown = await b.admin.get(`${base}/${created.body.id}`);
        assert.equal(shown.status, 200);
        assert.deepEqual(shown.body, created.body);

        const updated = await b.admin.put(`${base}/${created.body.id}`, { node_paths: ['/only'] });
        assert.equal(updated.status, 200, JSON.stringify(updated.body));
        assert.deepEqual(updated.body, { ...created.body, node_paths: ['/only'] }, 'partial: type and storage kept');
        const retyped = await b.admin.put(`${base}/${created.body.id}`, { type: 'nas', range: [0, 9] });
        assert.deepEqual(retyped.body, { ...created.body, type: 'nas', node_paths: ['/only'], range: [0, 9] });
        emb = await embedded(t.id, key);
        assert.deepEqual(emb[1], retyped.body);

        const del = await b.admin.delete(`${base}/${created.body.id}`);
        assert.equal(del.status, 204);
        assert.equal(del.body, undefined);
        assertModelError(await b.admin.get(`${base}/${created.body.id}`), 404, 'id', 'not_found');
        assertModelError(await b.admin.delete(`${base}/${created.body.id}`), 404, 'id', 'not_found');
        assert.deepEqual(await embedded(t.id, key), t[key]);
      });

      it(`${plural}: unknown task or endpoint ids are 404s; invalid endpoints are 422s`, async () => {
        const t = await newTask();
        const u = await newTask();
        const base = `/tasks/${t.id}/${plural}`;
        assertModelError(await b.admin.get(`/tasks/no-such-task/${plural}`), 404, 'id', 'not_found');
        assertModelError(await b.admin.post(`/tasks/no-such-task/${plural}`, { type: 'nas', storage_id: shares.src!.id }), 404, 'id', 'not_found');
        for (const id of ['no-such-endpoint', u[key][0].id, t[key === 'sources' ? 'destinations' : 'sources'][0].id]) {
          assertModelError(await b.admin.get(`${base}/${id}`), 404, 'id', 'not_found');
          assertModelError(await b.admin.put(`${base}/${id}`, { node_paths: ['/'] }), 404, 'id', 'not_found');
          assertModelError(await b.admin.delete(`${base}/${id}`), 404, 'id', 'not_found');
        }
        assert.equal((await b.admin.get(`/tasks/${t.id}/${other}/${t[key][0].id}`)).status, 404, 'a source is not a destination');
        const bad: Array<[Record<string, unknown>, string, string]> = [
          [{ storage_id: shares.src!.id }, 'type', 'blank'],
          [{ type: 'floppy', storage_id: shares.src!.id }, 'type', 'inclusion'],
          [{ type: 'nas', storage_id: 'missing' }, 'storage_id', 'not_found'],
          [{ type: 'nas' }, 'storage_id', 'blank'],
          [{ type: 'nas', storage_id: shares.src!.id, node_paths: ['/../up'] }, 'node_paths[0]', 'invalid'],
          [{ type: 'nas', storage_id: shares.src!.id, range: [5, 1] }, 'range', 'invalid'],
        ];
        for (const [body, suffix, code] of bad) {
          const r = await b.admin.post(base, body);
          assertModelError(r, 422);
          const entry = Object.entries(r.body.details).find(([k]) => k.endsWith(suffix));
          assert.ok(entry, `${suffix} in ${JSON.stringify(r.body)}`);
          assert.equal((entry[1] as Array<{ error: string }>)[0]!.error, code, JSON.stringify(r.body));
        }
        assertModelError(await b.admin.put(`${base}/${t[key][0].id}`, { storage_id: 'missing' }), 422);
        assert.deepEqual(await embedded(t.id, key), t[key], 'refused writes change nothing');
      });
    }

    it('endpoint sub-resources keep the action rules that POST /tasks enforces', async () => {
      const scan = await b.admin.post('/tasks', { name: 'scan-only', workflow_type: 'maintenance', workflow_action: 'scan', sources: [{ type: 'nas', storage_id: shares.src!.id }] });
      assert.equal(scan.status, 201, JSON.stringify(scan.body));
      const viaTask = await b.admin.put(`/tasks/${scan.body.id}`, { destinations: [{ type: 'nas', storage_id: shares.dst!.id }] });
      assertModelError(viaTask, 422, 'destinations', 'invalid');
      const viaSub = await b.admin.post(`/tasks/${scan.body.id}/task_destinations`, { type: 'nas', storage_id: shares.dst!.id });
      assertModelError(viaSub, 422);
      assert.deepEqual(await embedded(scan.body.id, 'destinations'), []);
    });
  });

  describe(`never a 500 for junk input (${dialect})`, () => {
    let b: Booted;
    let taskId: string;
    let nasId: string;
    before(async () => {
      b = await boot({ dialect });
      const shares = await nasWithShares(b.admin, ['src', 'dst']);
      taskId = (await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id))).body.id;
      nasId = (await b.admin.get('/nas')).body.nas[0].id;
    });
    after(async () => b?.stop());

    it('junk JSON bodies get 2xx or 4xx, never 5xx, and the server stays up', async () => {
      const targets: Array<[string, string]> = [
        ['POST', '/tasks'], ['PUT', `/tasks/${taskId}`], ['POST', '/nas'], ['PUT', `/nas/${nasId}`], ['POST', '/users/me/api_keys'],
        ['POST', `/tasks/${taskId}/task_sources`], ['POST', '/pools'], ['POST', '/cloud_connectors'], ['POST', '/users'], ['POST', `/nas/${nasId}/nas_shares`],
      ];
      const statuses = new Map<number, number>();
      for (const [method, path] of targets) {
        for (const body of junkBodies()) {
          const r = await b.admin.request(method, path, body, { 'content-type': 'application/json' });
          assert.ok(r.status < 500, `${method} ${path} ${body.slice(0, 80)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
          if (r.status >= 400) assert.ok(Array.isArray(r.body?.messages), `${method} ${path} ${body.slice(0, 80)}: no model_error`);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }
      assert.ok((statuses.get(422) ?? 0) > 0, `statuses seen: ${JSON.stringify([...statuses])}`);
      assert.equal((await b.admin.get(`/tasks/${taskId}`)).status, 200, 'still serving');
    });

    it('NUL bytes and absurd nesting inside otherwise valid bodies are 422s (PostgreSQL cannot store NUL)', async () => {
      const shares = await nasWithShares(b.admin, ['n1', 'n2']);
      const task = copyTask(shares.n1!.id, shares.n2!.id);
      const cases: Array<[string, string, unknown, string, string]> = [
        ['POST', '/tasks', { ...task, name: 'a\u0000b' }, 'name', 'invalid'],
        ['POST', '/tasks', { ...task, comment: '\u0000' }, 'comment', 'invalid'],
        ['PUT', `/tasks/${taskId}`, { name: 'x\u0000' }, 'name', 'invalid'],
        ['POST', '/nas', { name: 'n\u0000', type: 'local' }, 'name', 'invalid'],
        ['POST', '/pools', { name: 'p', type: 'scratch', content: 'nas', comment: '\u0000' }, 'comment', 'invalid'],
      ];
      for (const [method, path, body, attr, code] of cases) assertModelError(await b.admin.request(method, path, body), 422, attr, code);
      const deep = '{"a":'.repeat(150_000) + '1' + '}'.repeat(150_000);
      const text = JSON.stringify(task).replace(/}$/, `,"options":{"x_deep":${deep}}}`);
      assert.ok(text.length < 1024 * 1024);
      assertModelError(await b.admin.request('POST', '/tasks', text), 422, 'options', 'too_long');
      const fine = await b.admin.post('/tasks', { ...copyTask(shares.n1!.id, shares.n2!.id), options: { x_nested: JSON.parse('{"a":'.repeat(50) + '1' + '}'.repeat(50)) } });
      assert.equal(fine.status, 201, 'ordinary nesting is accepted');
      assertModelError(await b.admin.get('/tasks?name=%00'), 422, 'name', 'invalid');
      assertModelError(await b.admin.get('/tasks/a%00b'), 422, 'task_id', 'invalid');
    });

    it('junk query strings and path ids get 2xx or 4xx, never 5xx', async () => {
      const queries = [
        'limit[]=1', 'limit=1&limit=2', 'sort_by[]=name&sort_by[]=bogus', 'name[]=a&name[]=b', 'name[a]=1', 'limit=1e3', 'limit=0x10',
        'offset=99999999999999999999', `name=${'x'.repeat(5000)}`, 'name=%00', 'created_at=%3E%3D', 'created_at=%3E%3C', 'id=%21%3E%3C',
        'sort_by=%7C%7C', 'sort_by=name%3A', 'all=yes', 'sources.type=%7E%25', '%ff=1', 'a=%zz', 'limit=',
      ];
      for (const path of ['/tasks', '/task_executions', '/nas', '/nas_shares', '/pools', '/cloud_buckets', '/users/me/api_keys']) {
        for (const q of queries) {
          const r = await b.admin.get(`${path}?${q}`);
          assert.ok(r.status < 500, `GET ${path}?${q.slice(0, 60)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        }
      }
      for (const id of ['%00', 'x'.repeat(300), '..%2F..%2Fetc', '%F0%9F%92%A9', "'%20OR%201=1--"]) {
        for (const path of [`/tasks/${id}`, `/tasks/${id}/task_sources`, `/nas/${id}`, `/task_executions/${id}`]) {
          const r = await b.admin.get(path);
          assert.ok(r.status === 404 || r.status === 422 || r.status === 400, `GET ${path.slice(0, 60)} → ${r.status}`);
        }
      }
    });
  });
}
