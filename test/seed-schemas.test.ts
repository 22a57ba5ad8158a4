/**
 * The seed as an oracle: every answer Barge gives to the seed's twelve operations — successes and
 * errors, for tasks never run, queued, paused, running and finished — must validate against the
 * response schema the seed declares for that status (or its `default`). A Nodeum client generated
 * from the seed deserialises exactly these shapes; a `null` where the seed's type is not nullable
 * (a never-run task's `last_execution`, a running execution's `finished_at`) breaks it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { boot, dialects, waitFor, type Booted, type Res } from './helpers/barge.js';
import { copyTask, nasWithShares, unique } from './helpers/fixtures.js';

const seed = JSON.parse(readFileSync(new URL('../openapi/nodeum-tasks-seed.json', import.meta.url), 'utf8'));

/** The seed's responses by operation id and status, compiled once. */
function seedOracle(): (operationId: string, res: Res) => void {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('int64', true);
  ajv.addKeyword({ keyword: 'discriminator' });
  ajv.addSchema({ components: seed.components }, 'seed');
  const byOp = new Map<string, Record<string, any>>();
  for (const item of Object.values<Record<string, any>>(seed.paths)) {
    for (const op of Object.values<any>(item)) if (op?.operationId) byOp.set(op.operationId, op.responses);
  }
  const compiled = new Map<string, ValidateFunction>();
  const schemaOf = (response: any): any => {
    const resolved = response.$ref ? seed.components.responses[response.$ref.split('/').pop()] : response;
    const s = resolved?.content?.['application/json']?.schema;
    return s?.$ref ? { $ref: `seed${s.$ref}` } : s;
  };
  return (operationId, res) => {
    const responses = byOp.get(operationId);
    assert.ok(responses, `the seed has no operation ${operationId}`);
    const declared = responses[String(res.status)] ?? responses.default;
    assert.ok(declared, `${operationId} answered ${res.status}, a status the seed does not declare: ${JSON.stringify(res.body)}`);
    const schema = schemaOf(declared);
    if (schema === undefined) {
      assert.ok(res.body === undefined || res.body === '' || res.body === null, `${operationId} ${res.status} has no body in the seed`);
      return;
    }
    const key = `${operationId} ${res.status}`;
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(schema)));
    assert.ok(validate(res.body), `${key} does not match the seed's schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
  };
}

for (const dialect of dialects()) {
  describe(`answers to the seed's operations match the seed's schemas (${dialect})`, () => {
    const check = seedOracle();
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect, engine: true });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
      await mkdir(join(shares.src!.path, 'dir'), { recursive: true });
      for (let i = 0; i < 20; i++) await writeFile(join(shares.src!.path, 'dir', `f${i}.bin`), `file ${i}`);
    });
    after(async () => b?.stop());

    it('create, show, update, list and destroy: never run, then finished', async () => {
      const created = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      check('create_task', created);
      assert.equal(created.status, 201);
      assert.equal('last_execution' in created.body, false, 'a task never run has no last_execution (absent, not null)');
      const id = created.body.id as string;
      check('show_task', await b.admin.get(`/tasks/${id}`));
      check('update_task', await b.admin.put(`/tasks/${id}`, { comment: 'commented', options: { file_checksum: 'md5' } }));
      check('index_tasks', await b.admin.get('/tasks'));

      const run = await b.admin.put(`/tasks/${id}/action/run`, {});
      check('run_task', run);
      assert.equal(run.status, 200);
      const done = await waitFor(async () => {
        const r = await b.admin.get(`/tasks/${id}`);
        return r.body.last_execution?.finished_at ? r : undefined;
      }, 'the run finishes', 30_000);
      check('show_task', done);
      check('index_tasks', await b.admin.get('/tasks'));
      check('destroy_task', await b.admin.delete(`/tasks/${id}`));
    });

    it('errors: unknown task, invalid bodies, actions that do not apply', async () => {
      check('show_task', await b.admin.get('/tasks/no-such-task'));
      check('create_task', await b.admin.post('/tasks', { name: '', workflow_action: 'teleport', options: { parallel: 0 } }));
      const created = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      const id = created.body.id as string;
      check('update_task', await b.admin.put(`/tasks/${id}`, { workflow_type: 'nonsense' }));
      for (const action of ['pause', 'resume', 'stop', 'force_stop'] as const) {
        const r = await b.admin.put(`/tasks/${id}/action/${action}`, {});
        assert.notEqual(r.status, 200, `${action} of a task never run`);
        check(`${action}_task`, r);
      }
      check('run_defer_task', await b.admin.put('/tasks/-/action/run_defer?defer_id=unknown', {}));
    });

    it('defer, run_defer, and the actions on a paused execution', async () => {
      const task = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { name: unique('deferred') }));
      const id = task.body.id as string;
      const deferred = await b.admin.put(`/tasks/${id}/action/defer_run`, { msg: 'later' });
      check('defer_run_task', deferred);
      assert.equal(deferred.status, 200);
      const run = await b.api.put(`/tasks/-/action/run_defer?defer_id=${encodeURIComponent(deferred.body.defer_id)}`, {});
      check('run_defer_task', run);
      // Pause at once: the run may already be over (a 409 in the seed's error shape) or paused.
      const paused = await b.admin.put(`/tasks/${id}/action/pause`, {});
      check('pause_task', paused);
      check('show_task', await b.admin.get(`/tasks/${id}`));
      check('index_tasks', await b.admin.get('/tasks'));
      check('run_task', await b.admin.put(`/tasks/${id}/action/run`, {}));
      check('resume_task', await b.admin.put(`/tasks/${id}/action/resume`, {}));
      check('stop_task', await b.admin.put(`/tasks/${id}/action/stop`, {}));
      check('force_stop_task', await b.admin.put(`/tasks/${id}/action/force_stop`, {}));
      await waitFor(async () => ((await b.admin.get(`/tasks/${id}`)).body.last_execution?.finished_at ? true : undefined), 'the run ends', 30_000);
      check('show_task', await b.admin.get(`/tasks/${id}`));
    });
  });
}

describe("answers for queued executions match the seed's schemas (engine off)", () => {
  const check = seedOracle();
  let b: Booted;
  after(async () => b?.stop());
  it('a queued, then paused, execution embedded in the task', async () => {
    b = await boot();
    const shares = await nasWithShares(b.admin, ['src', 'dst']);
    const id = (await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id))).body.id as string;
    check('run_task', await b.admin.put(`/tasks/${id}/action/run`, {}));
    const queued = await b.admin.get(`/tasks/${id}`);
    assert.ok(queued.body.last_execution, 'the queued execution is the last one');
    assert.equal('finished_at' in queued.body.last_execution, false, 'no finished_at before the end (absent, not null)');
    check('show_task', queued);
    check('pause_task', await b.admin.put(`/tasks/${id}/action/pause`, {}));
    check('show_task', await b.admin.get(`/tasks/${id}`));
    check('index_tasks', await b.admin.get('/tasks?limit=5'));
  });
});
