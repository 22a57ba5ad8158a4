/**
 * Task validation end to end: required attributes and enums, option types and ranges, open options,
 * endpoint storages and node paths, partial PUT with option merge and endpoint replacement, and the
 * transport-level refusals (400/404/413/415) — never a 500 — on both dialects.
 * The sources/destinations sub-resources and the body fuzzing live in validation-endpoints.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { assertModelError } from './helpers/lists.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

for (const dialect of dialects()) {
  describe(`task validation (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect });
      shares = await nasWithShares(b.admin, ['src', 'dst', 'other']);
    });
    after(async () => b?.stop());

    const src = (extra: Record<string, unknown> = {}) => ({ type: 'nas', storage_id: shares.src!.id, node_paths: ['/in'], ...extra });
    async function create(extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, extra));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    async function countTasks(): Promise<number> {
      return (await b.admin.get('/tasks?limit=0')).body.count;
    }

    it('missing name, workflow_type and workflow_action are all reported at once as blank', async () => {
      const before = await countTasks();
      const r = await b.admin.post('/tasks', { comment: 'nothing else' });
      assertModelError(r, 422);
      for (const attr of ['name', 'workflow_type', 'workflow_action']) assert.deepEqual(r.body.details[attr], [{ error: 'blank' }], JSON.stringify(r.body));
      assert.equal(r.body.messages.length, 3);
      assert.ok(r.body.messages.includes("Name can't be blank"), JSON.stringify(r.body.messages));
      for (const name of ['', '   ', null]) {
        const n = await b.admin.post('/tasks', { name, workflow_type: 'maintenance', workflow_action: 'scan' });
        assertModelError(n, 422, 'name', 'blank');
      }
      assert.equal(await countTasks(), before, 'nothing was stored');
    });

    it('blank values of every required attribute are reported together as blank', async () => {
      const r = await b.admin.post('/tasks', { name: '', workflow_type: null, workflow_action: '   ' });
      assertModelError(r, 422);
      for (const attr of ['name', 'workflow_type', 'workflow_action']) assert.equal(r.body.details[attr]?.[0]?.error, 'blank', JSON.stringify(r.body));
    });

    it('JSON bodies are not coerced: a string for a number or a boolean is refused', async () => {
      const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { priority: '5', reset_file_date: 'true' } }));
      assertModelError(r, 422);
      assert.equal(r.body.details['options.priority']?.[0]?.error, 'not_a_number', JSON.stringify(r.body));
      assert.equal(r.body.details['options.reset_file_date']?.[0]?.error, 'invalid', JSON.stringify(r.body));
      const q = await b.admin.get('/tasks?limit=5');
      assert.equal(q.status, 200, 'query strings are still read as their declared types');
    });

    it('values outside the enums are inclusion errors', async () => {
      const r = await b.admin.post('/tasks', { name: 'x', workflow_type: 'bogus', workflow_action: 'fly' });
      assertModelError(r, 422);
      assert.equal(r.body.details.workflow_type[0].error, 'inclusion');
      assert.equal(r.body.details.workflow_action[0].error, 'inclusion');
      const opt = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { conflict_resolution: 'explode' } }));
      assertModelError(opt, 422, 'options.conflict_resolution', 'inclusion');
      const typ = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { sources: [src({ type: 'floppy' })] }));
      assertModelError(typ, 422);
      assert.ok(Object.entries(typ.body.details).some(([k, v]: [string, any]) => k.startsWith('sources[0]') && k.endsWith('type') && v[0].error === 'inclusion'), JSON.stringify(typ.body));
    });

    it('wrong option types and ranges: not_a_number, invalid, greater_than, not_an_integer', async () => {
      let r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { parallel: 'x', recursive: 'maybe' } }));
      assertModelError(r, 422);
      assert.equal(r.body.details['options.parallel'][0].error, 'not_a_number');
      assert.equal(r.body.details['options.recursive'][0].error, 'invalid');
      r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { parallel: 0 } }));
      assertModelError(r, 422, 'options.parallel', 'greater_than');
      assert.equal(r.body.details['options.parallel'][0].count, 0);
      r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { parallel: 2.5 } }));
      assertModelError(r, 422, 'options.parallel', 'not_an_integer');
      r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { restoration_expiry_days: -1 } }));
      assertModelError(r, 422, 'options.restoration_expiry_days', 'greater_than_or_equal_to');
      r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { barcodes: [{ a: 1 }], full_report: {} } }));
      assertModelError(r, 422, 'options.barcodes[0]', 'invalid');
      assert.equal(r.body.details['options.full_report'][0].error, 'invalid');
      const ok = await create({ options: { parallel: 4, recursive: false } });
      assert.deepEqual(ok.options, { parallel: 4, recursive: false });
    });

    it('unknown option keys are stored and returned as given', async () => {
      const options = { parallel: 2, x_custom: { nested: [1, 'two', null], flag: true }, 'dotted.key': 'v', emptyish: '' };
      const t = await create({ options });
      assert.deepEqual(t.options, options);
      assert.deepEqual((await b.admin.get(`/tasks/${t.id}`)).body.options, options);
      const listed = await b.admin.get(`/tasks?id=${t.id}`);
      assert.deepEqual(listed.body.tasks[0].options, options);
    });

    it('an endpoint naming a missing storage is a 422 not_found', async () => {
      const r = await b.admin.post('/tasks', copyTask('no-such-share', shares.dst!.id));
      assertModelError(r, 422, 'sources[0].storage_id', 'not_found');
      const d = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { destinations: [{ type: 'cloud', storage_id: shares.dst!.id }] }));
      assertModelError(d, 422, 'destinations[0].storage_id', 'not_found'); // a share id is not a bucket id
      const none = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { sources: [{ type: 'nas', node_paths: ['/'] }] }));
      assertModelError(none, 422, 'sources[0].storage_id', 'blank');
    });

    it('node paths may not escape the storage root, nor contain NUL', async () => {
      for (const bad of ['/../x', 'a/../../b', '../etc/passwd', '/a/b/../../../c']) {
        const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { sources: [src({ node_paths: ['/fine', bad] })] }));
        assertModelError(r, 422, 'sources[0].node_paths[1]', 'invalid');
      }
      const nul = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { destinations: [{ type: 'nas', storage_id: shares.dst!.id, node_paths: ['/a\u0000b'] }] }));
      assertModelError(nul, 422, 'destinations[0].node_paths[0]', 'invalid');
      const wd = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { working_dir: '/../up' } }));
      assertModelError(wd, 422, 'options.working_dir', 'invalid');
      // Relative paths resolve against working_dir; climbing inside the root is fine.
      const ok = await create({ options: { working_dir: '/projects/a' }, sources: [src({ node_paths: ['../b', 'c/../d', '/x/./y'] })] });
      assert.deepEqual(ok.sources[0].node_paths, ['../b', 'c/../d', '/x/./y']);
      const esc = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { working_dir: '/projects' }, sources: [src({ node_paths: ['../../x'] })] }));
      assertModelError(esc, 422, 'sources[0].node_paths[0]', 'invalid');
    });

    it('a partial PUT changes only the attributes given', async () => {
      const t = await create({ comment: 'first', options: { parallel: 3 }, metadata: { task: { owner: 'ops' } } });
      const r = await b.admin.put(`/tasks/${t.id}`, { comment: 'second' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const after = (await b.admin.get(`/tasks/${t.id}`)).body;
      assert.equal(after.comment, 'second');
      for (const k of ['name', 'workflow_type', 'workflow_action', 'options', 'metadata', 'sources', 'destinations', 'created_at', 'user', 'created_by']) {
        assert.deepEqual(after[k], t[k], `${k} must not change`);
      }
      assert.ok(after.updated_at >= t.updated_at);
      assertModelError(await b.admin.put(`/tasks/${t.id}`, { name: '', comment: 'third' }), 422, 'name', 'blank');
      assertModelError(await b.admin.put(`/tasks/${t.id}`, { workflow_action: 'fly', comment: 'third' }), 422, 'workflow_action', 'inclusion');
      assertModelError(await b.admin.put(`/tasks/${t.id}`, { comment: 'third', sources: [src({ storage_id: 'gone' })] }), 422, 'sources[0].storage_id', 'not_found');
      assert.deepEqual((await b.admin.get(`/tasks/${t.id}`)).body, after, 'a refused PUT changes nothing');
      const renamed = await b.admin.put(`/tasks/${t.id}`, { name: 'renamed', workflow_type: 'active_archive' });
      assert.equal(renamed.body.name, 'renamed');
      assert.equal(renamed.body.workflow_type, 'active_archive');
      assert.equal(renamed.body.comment, 'second');
      assertModelError(await b.admin.put('/tasks/no-such-task', { comment: 'x' }), 404, 'id', 'not_found');
    });

    it('options merge key by key on PUT; null removes a key', async () => {
      const t = await create({ options: { parallel: 2, priority: 5, keep_file_ownership: true, x_custom: 'k', x_drop: 1 } });
      const r = await b.admin.put(`/tasks/${t.id}`, { options: { recursive: false, x_custom: 'k2', x_drop: null, x_never: null } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const merged = { parallel: 2, priority: 5, keep_file_ownership: true, x_custom: 'k2', recursive: false };
      assert.deepEqual(r.body.options, merged, 'options not named in the PUT keep their values (schema defaults must not reset them)');
      assert.deepEqual((await b.admin.get(`/tasks/${t.id}`)).body.options, merged);
      const bad = await b.admin.put(`/tasks/${t.id}`, { options: { parallel: 0 } });
      assertModelError(bad, 422, 'options.parallel', 'greater_than');
      assert.deepEqual((await b.admin.get(`/tasks/${t.id}`)).body.options, merged);
      assert.deepEqual((await b.admin.put(`/tasks/${t.id}`, { comment: 'no options key' })).body.options, merged);
    });

    it('null removes a typed option key too', async () => {
      const t = await create({ options: { priority: 5, working_dir: '/w', parallel: 2 } });
      const r = await b.admin.put(`/tasks/${t.id}`, { options: { priority: null, working_dir: null } });
      assert.deepEqual(r.body.options, { parallel: 2 });
    });

    it('replacing sources keeps the ids of the task’s own endpoints only', async () => {
      const t = await create({ sources: [src({ node_paths: ['/a'] }), src({ node_paths: ['/b'] })] });
      const other = await create();
      const [a, bEp] = t.sources;
      const foreign = other.sources[0].id;
      const r = await b.admin.put(`/tasks/${t.id}`, {
        sources: [
          { id: bEp.id, type: 'primary_nas', storage_id: shares.other!.id, node_paths: ['/b2'] },
          { id: foreign, ...src({ node_paths: ['/stolen'] }) },
          { id: 'made-up-id', ...src({ node_paths: ['/new'] }) },
          { id: bEp.id, ...src({ node_paths: ['/dup'] }) },
        ],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const s = r.body.sources;
      assert.deepEqual(s.map((e: any) => e.node_paths[0]), ['/b2', '/stolen', '/new', '/dup'], 'order as given');
      assert.equal(s[0].id, bEp.id, 'an existing endpoint keeps its id');
      assert.equal(s[0].type, 'primary_nas');
      assert.equal(s[0].storage_id, shares.other!.id);
      assert.notEqual(s[1].id, foreign, 'another task’s endpoint id is not taken over');
      assert.notEqual(s[2].id, 'made-up-id', 'a client-invented id is not used');
      assert.notEqual(s[3].id, bEp.id, 'one id, one endpoint');
      assert.equal(new Set(s.map((e: any) => e.id)).size, 4);
      assert.ok(!s.some((e: any) => e.id === a.id), 'the dropped endpoint is gone');
      assert.deepEqual(r.body.destinations, t.destinations, 'destinations untouched');
      const o = (await b.admin.get(`/tasks/${other.id}`)).body;
      assert.deepEqual(o.sources, other.sources, 'the other task is untouched');
      const cleared = await b.admin.put(`/tasks/${t.id}`, { sources: [] });
      assert.deepEqual(cleared.body.sources, []);
    });

    it('malformed JSON is a 400, a body over 1 MiB a 413, a non-JSON body a 415', async () => {
      for (const text of ['{"name": ', '{name: "x"}', "{'a':1}", '{"a":1}}', '\u0000']) {
        assertModelError(await b.admin.request('POST', '/tasks', text), 400);
      }
      const big = JSON.stringify({ ...copyTask(shares.src!.id, shares.dst!.id), comment: 'x'.repeat(1024 * 1024 + 10) });
      assertModelError(await b.admin.request('POST', '/tasks', big), 413);
      const justUnder = JSON.stringify({ ...copyTask(shares.src!.id, shares.dst!.id), comment: 'x'.repeat(1024 * 1024 - 500) });
      assert.equal((await b.admin.request('POST', '/tasks', justUnder)).status, 201, 'the limit is 1 MiB, not less');
      const body = JSON.stringify(copyTask(shares.src!.id, shares.dst!.id));
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        assertModelError(await b.admin.request('POST', '/tasks', body, { 'content-type': type }), 415);
      }
      assert.equal((await b.admin.request('POST', '/tasks', body, { 'content-type': 'application/json; charset=utf-8' })).status, 201);
    });

    it('an action endpoint accepts an empty body sent as application/json', async () => {
      const t = await create();
      const r = await b.admin.request('PUT', `/tasks/${t.id}/action/run`, '', { 'content-type': 'application/json' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const exec = await b.admin.get(`/task_executions/${r.body.execution_id}`);
      assert.deepEqual(exec.body.trigger, {});
      const stop = await b.admin.request('PUT', `/tasks/${t.id}/action/force_stop`, '', { 'content-type': 'application/json' });
      assert.equal(stop.status, 200, JSON.stringify(stop.body));
      const none = await b.admin.request('PUT', `/tasks/${t.id}/action/run`);
      assert.equal(none.status, 200, 'no body and no content type');
      await b.admin.put(`/tasks/${t.id}/action/force_stop`);
    });

    it('an unknown route is a 404 model_error', async () => {
      for (const [method, path] of [['GET', '/nope'], ['GET', '/tasks/a/b/c/d'], ['POST', '/tasks/x/action/fly'], ['DELETE', '/task_executions'], ['PATCH', '/tasks']]) {
        const r = await b.admin.request(method as string, path as string);
        assertModelError(r, 404, 'path', 'not_found');
      }
      assertModelError(await b.admin.get('/nope'), 404, 'path', 'not_found');
      const outside = await fetch(`${b.url}/api/v1/tasks`);
      assert.equal(outside.status, 404);
      assert.ok(Array.isArray(((await outside.json()) as any).messages));
    });
  });
}
