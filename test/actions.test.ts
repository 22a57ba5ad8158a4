/**
 * The action endpoints end to end: run, the one-active-execution rule, pause/resume/stop/force_stop
 * state machine, defer_run/run_defer tokens — on SQLite and, when configured, PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares, openToAll } from './helpers/fixtures.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

for (const dialect of dialects()) {
  describe(`action endpoints (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
    });
    after(async () => b?.stop());

    async function newTask(extra: Record<string, unknown> = {}): Promise<string> {
      const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, extra));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    }

    function assertDmError(r: { status: number; body: any }, status: number) {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'id', 'status']);
      assert.equal(r.body.code, status);
      assert.equal(r.body.id, 'barge.dispatcher');
      assert.equal(typeof r.body.detail, 'string');
    }

    it('run returns an execution id, records the trigger, and refuses a second run with 409', async () => {
      const id = await newTask();
      const run = await b.admin.put(`/tasks/${id}/action/run`, { reason: 'nightly' });
      assert.equal(run.status, 200);
      assert.match(run.body.execution_id, /^[0-9a-f-]{36}$/);
      assert.equal(typeof run.body.msg, 'string');
      const exec = await b.admin.get(`/task_executions/${run.body.execution_id}`);
      assert.equal(exec.status, 200);
      assert.equal(exec.body.status, 'in_queue');
      assert.deepEqual(exec.body.trigger, { reason: 'nightly' });
      assert.equal(exec.body.task_id, id);
      const task = await b.admin.get(`/tasks/${id}`);
      assert.equal(task.body.last_execution.id, run.body.execution_id);
      assertDmError(await b.admin.put(`/tasks/${id}/action/run`), 409);
    });

    it('concurrent runs of one task start exactly one execution', async () => {
      const id = await newTask();
      const results = await Promise.all(Array.from({ length: 8 }, () => b.admin.put(`/tasks/${id}/action/run`)));
      assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.ok(results.every((r) => r.status === 200 || r.status === 409));
      const list = await b.admin.get(`/tasks/${id}/task_executions`);
      assert.equal(list.body.count, 1);
    });

    it('pause, resume, stop follow the state machine; actions on nothing active are 409', async () => {
      const id = await newTask();
      for (const action of ['pause', 'resume', 'stop', 'force_stop']) assertDmError(await b.admin.put(`/tasks/${id}/action/${action}`), 409);
      const run = await b.admin.put(`/tasks/${id}/action/run`);
      const exec = () => b.admin.get(`/task_executions/${run.body.execution_id}`).then((r) => r.body);
      assertDmError(await b.admin.put(`/tasks/${id}/action/resume`), 409);
      assert.equal((await b.admin.put(`/tasks/${id}/action/pause`)).status, 200);
      let e = await exec();
      assert.equal(e.status, 'paused');
      assert.equal(e.progress & 512, 512);
      assertDmError(await b.admin.put(`/tasks/${id}/action/pause`), 409);
      assert.equal((await b.admin.put(`/tasks/${id}/action/resume`)).status, 200);
      e = await exec();
      assert.equal(e.status, 'in_queue');
      assert.equal(e.progress & 512, 0);
      assert.equal((await b.admin.put(`/tasks/${id}/action/stop`)).status, 200);
      e = await exec();
      assert.equal(e.status, 'stopped_by_user');
      assert.equal(e.progress & 256, 256);
      assert.ok(e.finished_at);
      assertDmError(await b.admin.put(`/tasks/${id}/action/stop`), 409);
      // A finished execution frees the task for another run.
      assert.equal((await b.admin.put(`/tasks/${id}/action/run`)).status, 200);
      assert.equal((await b.admin.put(`/tasks/${id}/action/force_stop`)).status, 200);
      const list = await b.admin.get(`/tasks/${id}/task_executions?sort_by=created_at:desc`);
      assert.equal(list.body.count, 2);
      assert.deepEqual(list.body.task_executions.map((x: any) => x.status), ['stopped_by_user', 'stopped_by_user']);
    });

    it('GET /task_executions?task_id= lists one task\'s executions, as older Nodeum clients ask', async () => {
      const user = await makeUser(b.admin);
      const owner = await makeUser(b.admin);
      await openToAll(b.admin, shares);
      const created = await owner.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const mine = created.body.id as string;
      const other = await newTask();
      for (const id of [mine, other, mine]) {
        assert.equal((await b.admin.put(`/tasks/${id}/action/run`)).status, 200);
        assert.equal((await b.admin.put(`/tasks/${id}/action/force_stop`)).status, 200);
      }
      // The admin lists the executions of a task another user owns, as through the nested route.
      const list = await b.admin.get(`/task_executions?task_id=${mine}`);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.equal(list.body.count, 2);
      assert.deepEqual(list.body.task_executions.map((x: any) => x.task_id), [mine, mine]);
      const nested = await b.admin.get(`/tasks/${mine}/task_executions`);
      assert.deepEqual(list.body.task_executions.map((x: any) => x.id).sort(), nested.body.task_executions.map((x: any) => x.id).sort());
      // Another user cannot list them through the filter: an empty list, as for a task that does not exist.
      const theirs = await user.client.get(`/task_executions?task_id=${mine}`);
      assert.equal(theirs.status, 200);
      assert.deepEqual([theirs.body.count, theirs.body.task_executions], [0, []]);
      assert.equal((await b.admin.get('/task_executions?task_id=no-such-task')).body.count, 0);
      assert.equal((await owner.client.get(`/task_executions?task_id=${mine}`)).body.count, 2, 'the owner too');
      // With an operator it is an ordinary filter on the caller's own executions.
      const notMine = await b.admin.get(`/task_executions?task_id=!=${mine}`);
      assert.ok(notMine.body.task_executions.every((x: any) => x.task_id !== mine));
      assert.ok(notMine.body.task_executions.some((x: any) => x.task_id === other));
    });

    it('a task that cannot run says why (422) and an unknown task is a 404, in the action error shape', async () => {
      const r = await b.admin.post('/tasks', { name: 'no-sources', workflow_type: 'data_migration', workflow_action: 'copy' });
      assertDmError(await b.admin.put(`/tasks/${r.body.id}/action/run`), 422);
      assertDmError(await b.admin.put(`/tasks/${r.body.id}/action/defer_run`), 422);
      assertDmError(await b.admin.put('/tasks/does-not-exist/action/run'), 404);
      assertDmError(await b.admin.put('/tasks/does-not-exist/action/pause'), 404);
    });

    it('defer_run gives a single-use, unauthenticated, ≥128-bit token; run_defer starts the run once', async () => {
      const id = await newTask();
      const d = await b.admin.put(`/tasks/${id}/action/defer_run`, { who: 'cron' });
      assert.equal(d.status, 200);
      assert.ok(Buffer.from(d.body.defer_id.replace(/^dfr_/, ''), 'base64url').length >= 16);
      assert.equal((await b.admin.get(`/tasks/${id}/task_executions`)).body.count, 0, 'defer_run must not start anything');
      const anonymous = b.api; // no credentials at all
      const r = await anonymous.put(`/tasks/-/action/run_defer?defer_id=${encodeURIComponent(d.body.defer_id)}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const exec = await b.admin.get(`/task_executions/${r.body.execution_id}`);
      assert.deepEqual(exec.body.trigger, { who: 'cron' });
      assertDmError(await anonymous.put(`/tasks/-/action/run_defer?defer_id=${encodeURIComponent(d.body.defer_id)}`), 404);
      assertDmError(await anonymous.put('/tasks/-/action/run_defer?defer_id=dfr_guess'), 404);
      assertDmError(await anonymous.put('/tasks/-/action/run_defer'), 422);
    });

    it('run_defer while the task runs is a 409 and leaves the token usable', async () => {
      const id = await newTask();
      const d = await b.admin.put(`/tasks/${id}/action/defer_run`);
      await b.admin.put(`/tasks/${id}/action/run`);
      assertDmError(await b.api.put(`/tasks/-/action/run_defer?defer_id=${d.body.defer_id}`), 409);
      await b.admin.put(`/tasks/${id}/action/force_stop`);
      assert.equal((await b.api.put(`/tasks/-/action/run_defer?defer_id=${d.body.defer_id}`)).status, 200);
    });

    it('an expired defer token is refused', async () => {
      const id = await newTask();
      const d = await b.admin.put(`/tasks/${id}/action/defer_run`);
      await b.barge.store.db.updateTable('defer_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
      assertDmError(await b.api.put(`/tasks/-/action/run_defer?defer_id=${d.body.defer_id}`), 404);
    });

    it('another user cannot act on my task (404), and sees only their own executions', async () => {
      const id = await newTask();
      const other = await makeUser(b.admin);
      assertDmError(await other.client.put(`/tasks/${id}/action/run`), 404);
      const run = await b.admin.put(`/tasks/${id}/action/run`);
      assert.equal(run.status, 200);
      assert.equal((await other.client.get(`/task_executions/${run.body.execution_id}`)).status, 404);
      assert.equal((await other.client.get('/task_executions')).body.count, 0);
      assert.equal((await other.client.get('/task_executions?all=true')).status, 403);
      await b.admin.put(`/tasks/${id}/action/force_stop`);
    });

    it('a running task cannot be deleted; a stopped one can, with its executions', async () => {
      const id = await newTask();
      await b.admin.put(`/tasks/${id}/action/run`);
      const del = await b.admin.delete(`/tasks/${id}`);
      assert.equal(del.status, 422);
      assert.equal(del.body.details.id[0].error, 'frozen');
      await b.admin.put(`/tasks/${id}/action/stop`);
      assert.equal((await b.admin.delete(`/tasks/${id}`)).status, 204);
      assert.equal((await b.admin.get(`/tasks/${id}`)).status, 404);
    });
  });
}
