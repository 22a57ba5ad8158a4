/**
 * Schedules run by the real dispatcher (engine in process, real files, SQLite and PostgreSQL): a
 * SECONDLY rule runs exactly its occurrences and ends done; an occurrence while the task's previous
 * execution is still active is skipped; occurrences that pass while no dispatcher runs are missed
 * (and run once with catch_up) after a restart on the same store; a task that can no longer run is
 * refused, counted and explained. Every DTSTART is taken from the process clock, a little ahead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, freshPgUrl, PG_URL, waitFor, type Booted, type Client, type DialectName } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares, openToAll } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { rfc5545Utc, wholeSecondIn } from './helpers/schedules.js';

const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];

async function taskWithFiles(admin: Client, options: Record<string, unknown> = {}): Promise<{ id: string; src: string }> {
  const shares = await nasWithShares(admin, ['src', 'dst']);
  await makeTree(shares.src!.path, { 'a.txt': 'scheduled', 'd/b.bin': 2048 });
  const r = await admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id, src: shares.src!.path };
}

async function executionsOf(client: Client, taskId: string): Promise<any[]> {
  const r = await client.get(`/tasks/${taskId}/task_executions?sort_by=created_at&limit=1000`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.task_executions;
}

async function schedule(client: Client, taskId: string): Promise<any> {
  const r = await client.get(`/tasks/${taskId}/task_schedule`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function until(client: Client, taskId: string, pred: (s: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(async () => pred((last = await schedule(client, taskId))) && last, what, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

async function allFinished(client: Client, taskId: string, n: number): Promise<any[]> {
  let last: any[] = [];
  try {
    return await waitFor(async () => {
      const list = (last = await executionsOf(client, taskId));
      return list.length === n && list.every((e) => TERMINAL.includes(e.status)) && list;
    }, `${n} executions to finish`, 30_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last.map((e) => ({ status: e.status, trigger: e.trigger })))}`);
  }
}

for (const dialect of dialects()) {
  describe(`schedules run by the dispatcher (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect, engine: true });
    });
    after(async () => b?.stop());

    it('FREQ=SECONDLY;INTERVAL=4;COUNT=3 runs exactly three executions, one per occurrence, and ends done', async () => {
      const task = await taskWithFiles(b.admin);
      const start = wholeSecondIn(2500);
      // 4 s apart: an execution still active at the next occurrence has it skipped (by design), which a
      // loaded machine caused at 2 s; this test counts occurrences, it does not time executions.
      const occurrences = [0, 4, 8].map((s) => new Date(start.getTime() + s * 1000).toISOString());
      const set = await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: `DTSTART:${rfc5545Utc(start)}\nRRULE:FREQ=SECONDLY;INTERVAL=4;COUNT=3` });
      assert.equal(set.status, 201, JSON.stringify(set.body));
      assert.deepEqual(set.body.upcoming, occurrences);
      const done = await until(b.admin, task.id, (s) => s.done === true, 'the schedule to be done');
      const runs = await allFinished(b.admin, task.id, 3);
      assert.deepEqual(runs.map((e) => e.trigger), occurrences.map((at) => ({ type: 'schedule', at, schedule_id: set.body.id })));
      assert.ok(runs.every((e) => e.status === 'done'), JSON.stringify(runs.map((e) => e.status)));
      for (const [i, e] of runs.entries()) {
        assert.ok(Date.parse(e.created_at) >= Date.parse(occurrences[i] as string), 'never started before its occurrence');
      }
      assert.equal(done.missed_count, 0);
      assert.equal(done.skipped_count, 0);
      assert.equal(done.refused_count, 0);
      assert.ok(!('next' in done), 'no next occurrence once done');
      assert.deepEqual(done.upcoming, []);
      assert.equal(done.last_execution_id, runs[2].id);
      assert.equal(done.last_run_at, occurrences[2]);
      // Done: nothing more happens (the list filter agrees).
      assert.equal((await b.admin.get(`/task_schedules?done=true&task_id=${task.id}`)).body.count, 1);
    });

    it('an occurrence while the task’s previous execution is still active is skipped, never run twice', async () => {
      const task = await taskWithFiles(b.admin);
      // A paused execution of the task. The engine may finish the two files before the pause reaches
      // it (it did, once the engine got faster): then run again, until one is caught paused.
      let run: any;
      for (let attempt = 1; ; attempt++) {
        run = await b.admin.put(`/tasks/${task.id}/action/run`);
        assert.equal(run.status, 200, JSON.stringify(run.body));
        await b.admin.put(`/tasks/${task.id}/action/pause`);
        const id = run.body.execution_id;
        const state = await waitFor(async () => {
          const e = (await executionsOf(b.admin, task.id)).find((x) => x.id === id);
          return e && (e.status === 'paused' || TERMINAL.includes(e.status)) && e.status;
        }, 'the execution paused or ended', 30_000);
        if (state === 'paused') break;
        assert.ok(attempt < 10, 'an execution was caught paused');
      }
      const manual = (await executionsOf(b.admin, task.id)).length;
      const start = wholeSecondIn(1500);
      const set = await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: `DTSTART:${rfc5545Utc(start)}\nRRULE:FREQ=SECONDLY;COUNT=2` });
      assert.equal(set.status, 201, JSON.stringify(set.body));
      const done = await until(b.admin, task.id, (s) => s.done === true, 'both occurrences handled');
      assert.equal(done.skipped_count, 2);
      assert.equal(done.missed_count, 0);
      assert.ok(!('last_execution_id' in done));
      const list = await executionsOf(b.admin, task.id);
      assert.equal(list.length, manual, 'only the manual runs');
      const paused = list.find((e) => e.id === run.body.execution_id);
      assert.equal(paused?.status, 'paused');
      assert.equal((await b.admin.put(`/tasks/${task.id}/action/stop`)).status, 200);
      await allFinished(b.admin, task.id, manual);
    });

    it('a task that can no longer run is refused at its occurrence: counted, explained, and the loop goes on', async () => {
      const shares = await nasWithShares(b.admin, ['src', 'dst']);
      await openToAll(b.admin, shares);
      const user = await makeUser(b.admin);
      const t = await user.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const other = await taskWithFiles(b.admin);
      const start = wholeSecondIn(1500);
      const rule = `DTSTART:${rfc5545Utc(start)}\nRRULE:FREQ=SECONDLY;COUNT=1`;
      assert.equal((await user.client.post(`/tasks/${t.body.id}/task_schedule`, { rrule: rule })).status, 201);
      assert.equal((await b.admin.post(`/tasks/${other.id}/task_schedule`, { rrule: rule })).status, 201);
      // The owner loses the right to write the destination before the occurrence.
      assert.equal((await b.admin.put(`/nas_shares/${shares.dst!.id}`, { guest_right: 'read' })).status, 200);
      const refused = await until(user.client, t.body.id, (s) => s.done === true, 'the refused occurrence handled');
      assert.equal(refused.refused_count, 1);
      assert.match(refused.last_error, /cannot run/);
      assert.ok(refused.last_error_at);
      assert.equal((await executionsOf(user.client, t.body.id)).length, 0);
      // The other schedule of the same instant ran.
      const ran = await until(b.admin, other.id, (s) => s.done === true, 'the other schedule');
      assert.equal(ran.refused_count, 0);
      await allFinished(b.admin, other.id, 1);
    });
  });

  describe(`schedules across a stop of the dispatcher (${dialect})`, () => {
    let dataDir: string;
    let store: Record<string, string> = {};
    let drop: (() => Promise<void>) | undefined;
    const running: Booted[] = [];
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'barge-sched-'));
      if (dialect === 'postgres') {
        const fresh = await freshPgUrl(PG_URL as string);
        store = { BARGE_DATABASE_URL: fresh.url };
        drop = fresh.drop;
      }
    });
    after(async () => {
      for (const r of [...running]) await close(r).catch(() => {});
      await drop?.();
      await rm(dataDir, { recursive: true, force: true });
    });

    /** A server on the test's store; its data dir outlives it (closed, not removed, between boots). */
    async function start(engine: boolean, env: Record<string, string> = {}): Promise<Booted> {
      const s = await boot({ engine, env: { BARGE_DATA_DIR: dataDir, ...store, ...env } });
      running.push(s);
      return s;
    }
    async function close(s: Booted): Promise<void> {
      await s.barge.close();
      running.splice(running.indexOf(s), 1);
      await rm(s.dataDir, { recursive: true, force: true }); // boot's own (unused) data dir, not the store's
    }

    it('occurrences that pass while no dispatcher runs are missed; with catch_up one execution runs for them', async () => {
      // Set while only an API server runs (no dispatcher), which is then stopped.
      const api = await start(false);
      const plain = await taskWithFiles(api.admin);
      const catching = await taskWithFiles(api.admin);
      const first = wholeSecondIn(1500);
      const occurrences = [0, 1, 2].map((s) => new Date(first.getTime() + s * 1000).toISOString());
      const rule = `DTSTART:${rfc5545Utc(first)}\nRRULE:FREQ=SECONDLY;COUNT=3`;
      assert.equal((await api.admin.post(`/tasks/${plain.id}/task_schedule`, { rrule: rule })).status, 201);
      assert.equal((await api.admin.post(`/tasks/${catching.id}/task_schedule`, { rrule: rule, catch_up: true })).status, 201);
      await close(api);
      // Let the occurrences pass, and the grace after them (1 s here), with no Barge running.
      const passed = Date.parse(occurrences[2] as string) + 1500;
      await waitFor(async () => Date.now() > passed, 'the occurrences to pass', 10_000, 100);

      const engine = await start(true, { BARGE_SCHEDULE_GRACE_SECONDS: '1' });
      const missed = await until(engine.admin, plain.id, (s) => s.done === true, 'the missed occurrences counted');
      assert.equal(missed.missed_count, 3);
      assert.equal(missed.missed_first, occurrences[0]);
      assert.equal(missed.missed_last, occurrences[2]);
      assert.equal(missed.skipped_count, 0);
      assert.equal((await executionsOf(engine.admin, plain.id)).length, 0, 'missed occurrences do not run without catch_up');

      const caught = await until(engine.admin, catching.id, (s) => s.done === true, 'the catch-up');
      assert.equal(caught.missed_count, 3);
      const runs = await allFinished(engine.admin, catching.id, 1);
      assert.deepEqual(runs[0].trigger, { type: 'schedule', at: occurrences[2], schedule_id: caught.id, catch_up: true, missed: 3 });
      assert.equal(runs[0].status, 'done');
      assert.equal(caught.last_execution_id, runs[0].id);
      await close(engine);
    });
  });
}
