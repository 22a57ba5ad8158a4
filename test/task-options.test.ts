/**
 * The task sub-resources Nodeum clients use (issue #11): `/tasks/{id}/task_options[/{id}]` and
 * `/tasks/{id}/task_metadata[/{id}]`, CRUD views over the task's `options` and `metadata.task` — a
 * change through one shows in the other, values are checked as the task's own options are (422
 * `model_error`), and another user's task stays a 404. On SQLite, and on PostgreSQL when
 * BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);

for (const dialect of dialects()) {
  describe(`task options and metadata sub-resources (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
    });
    after(async () => b?.stop());

    async function task(extra: Record<string, unknown> = {}): Promise<string> {
      const r = await b.admin.post('/tasks', {
        name: unique('opts'), workflow_type: 'data_migration', workflow_action: 'copy',
        sources: [{ type: 'nas', storage_id: shares.src!.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: shares.dst!.id, node_paths: ['/'] }], ...extra,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    }
    const options = async (id: string) => (await b.admin.get(`/tasks/${id}`)).body.options;
    const meta = async (id: string) => (await b.admin.get(`/tasks/${id}`)).body.metadata;

    it('task_options: list, create, show, update, delete — always the task\'s options', async () => {
      const id = await task({ options: { parallel: 2, conflict_resolution: 'rename' } });
      const list = await b.admin.get(`/tasks/${id}/task_options`);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.deepEqual(list.body, { count: 2, task_options: [{ id: 'parallel', type: 'parallel', value: 2 }, { id: 'conflict_resolution', type: 'conflict_resolution', value: 'rename' }] });

      const created = await b.admin.post(`/tasks/${id}/task_options`, { type: 'file_checksum', value: 'md5' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body, { id: 'file_checksum', type: 'file_checksum', value: 'md5' });
      assert.equal((await options(id)).file_checksum, 'md5');

      // A Nodeum SDK sends every value as a string: read as the option's type.
      const sdk = await b.admin.post(`/tasks/${id}/task_options`, { type: 'full_report', value: 'true' });
      assert.equal(sdk.status, 201, JSON.stringify(sdk.body));
      assert.equal((await options(id)).full_report, true);
      const sdkNumber = await b.admin.put(`/tasks/${id}/task_options/parallel`, { value: '4' });
      assert.equal(sdkNumber.status, 200, JSON.stringify(sdkNumber.body));
      assert.deepEqual(sdkNumber.body, { id: 'parallel', type: 'parallel', value: 4 });

      // A change to the task shows in the sub-resource, and the other way round.
      assert.equal((await b.admin.put(`/tasks/${id}`, { options: { parallel: 7 } })).status, 200);
      assert.equal((await b.admin.get(`/tasks/${id}/task_options/parallel`)).body.value, 7);
      const unknown = await b.admin.post(`/tasks/${id}/task_options`, { type: 'x_site', value: { rack: 3 } });
      assert.equal(unknown.status, 201, 'unknown keys are stored as given, as in the task');
      assert.deepEqual((await options(id)).x_site, { rack: 3 });

      const gone = await b.admin.delete(`/tasks/${id}/task_options/parallel`);
      assert.equal(gone.status, 204);
      assert.equal('parallel' in (await options(id)), false);
      assertModelError(await b.admin.get(`/tasks/${id}/task_options/parallel`), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/tasks/${id}/task_options/parallel`), 404, 'id', 'not_found');
      assert.deepEqual(Object.keys(await options(id)).sort(), ['conflict_resolution', 'file_checksum', 'full_report', 'x_site']);
    });

    it('task_options: values are checked as the task\'s own options are (422 on value)', async () => {
      const id = await task({ options: { parallel: 2 } });
      assertModelError(await b.admin.put(`/tasks/${id}/task_options/parallel`, { value: 0 }), 422, 'value', 'greater_than');
      assertModelError(await b.admin.put(`/tasks/${id}/task_options/parallel`, { value: 'many' }), 422, 'value', 'not_a_number');
      assertModelError(await b.admin.put(`/tasks/${id}/task_options/parallel`, { value: null }), 422, 'value', 'blank');
      assertModelError(await b.admin.put(`/tasks/${id}/task_options/parallel`, { type: 'priority', value: 3 }), 422, 'type', 'invalid');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 'conflict_resolution', value: 'merge' }), 422, 'value', 'inclusion');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 'working_dir', value: '../../etc' }), 422, 'value', 'invalid');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 'reset_file_date', value: 'sometimes' }), 422, 'value', 'invalid');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 'parallel', value: 3 }), 422, 'type', 'taken');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { value: 3 }), 422, 'type', 'blank');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 'recursive' }), 422, 'value', 'blank');
      assertModelError(await b.admin.post(`/tasks/${id}/task_options`, { type: 42, value: 1 }), 422, 'type', 'invalid');
      // Nothing of it was stored: the task's options are as they were.
      assert.deepEqual(await options(id), { parallel: 2 });
    });

    it('task_metadata: list, create, show, update (value or key), delete — always metadata.task', async () => {
      const id = await task({ metadata: { task: { owner: 'ops' }, files: { '/a': 'b' } } });
      assert.deepEqual((await b.admin.get(`/tasks/${id}/task_metadata`)).body, { count: 1, task_metadata: [{ id: 'owner', key: 'owner', value: 'ops' }] });
      const created = await b.admin.post(`/tasks/${id}/task_metadata`, { key: 'project', value: 'apollo' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body, { id: 'project', key: 'project', value: 'apollo' });
      assert.deepEqual(await meta(id), { task: { owner: 'ops', project: 'apollo' }, files: { '/a': 'b' } });
      assertModelError(await b.admin.post(`/tasks/${id}/task_metadata`, { key: 'project', value: 'x' }), 422, 'key', 'taken');
      assertModelError(await b.admin.post(`/tasks/${id}/task_metadata`, { key: '', value: 'x' }), 422, 'key', 'blank');
      assertModelError(await b.admin.post(`/tasks/${id}/task_metadata`, { value: 'x' }), 422, 'key', 'blank');

      const changed = await b.admin.put(`/tasks/${id}/task_metadata/project`, { value: 'gemini' });
      assert.deepEqual(changed.body, { id: 'project', key: 'project', value: 'gemini' });
      assert.equal((await meta(id)).task.project, 'gemini');
      const renamed = await b.admin.put(`/tasks/${id}/task_metadata/project`, { key: 'programme' });
      assert.deepEqual(renamed.body, { id: 'programme', key: 'programme', value: 'gemini' });
      assertModelError(await b.admin.get(`/tasks/${id}/task_metadata/project`), 404, 'id', 'not_found');
      assertModelError(await b.admin.put(`/tasks/${id}/task_metadata/programme`, { key: 'owner' }), 422, 'key', 'taken');

      // Through the task: the sub-resource follows.
      assert.equal((await b.admin.put(`/tasks/${id}`, { metadata: { task: { owner: 'dev', programme: 'gemini' }, files: { '/a': 'b' } } })).status, 200);
      assert.equal((await b.admin.get(`/tasks/${id}/task_metadata/owner`)).body.value, 'dev');

      assert.equal((await b.admin.delete(`/tasks/${id}/task_metadata/owner`)).status, 204);
      assert.deepEqual(await meta(id), { task: { programme: 'gemini' }, files: { '/a': 'b' } }, 'metadata.files is kept');
      assertModelError(await b.admin.delete(`/tasks/${id}/task_metadata/owner`), 404, 'id', 'not_found');
    });

    it('another user\'s task is a 404 through the sub-resources; its owner manages them', async () => {
      const id = await task({ options: { parallel: 2 }, metadata: { task: { k: 'v' } } });
      const other = await makeUser(b.admin);
      assertModelError(await other.client.get(`/tasks/${id}/task_options`), 404);
      assertModelError(await other.client.post(`/tasks/${id}/task_options`, { type: 'priority', value: 1 }), 404);
      assertModelError(await other.client.get(`/tasks/${id}/task_metadata/k`), 404);
      assertModelError(await other.client.delete(`/tasks/${id}/task_metadata/k`), 404);
      assert.deepEqual(await options(id), { parallel: 2 });
      assertModelError(await b.admin.get('/tasks/no-such-task/task_options'), 404);
    });
  });
}
