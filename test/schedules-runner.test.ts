/**
 * The dispatcher's schedule work (services/schedule-runner.ts, as compose-engine wires it) driven by
 * a fake clock on the real server's store (engine off, so only these passes act), on SQLite and
 * PostgreSQL: what is due, skipped, missed or caught up at a given instant; and two dispatchers racing
 * on one occurrence (a lease handover) start one execution between them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config/config.js';
import { scheduleWork } from '../src/compose-engine.js';
import { createLogger } from '../src/lib/logger.js';
import type { Clock } from '../src/lib/clock.js';
import { boot, dialects, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';

/** A clock the test sets: occurrences are fixed dates in the rule, "now" is whatever the test says. */
class TestClock implements Clock {
  constructor(public at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
}

const T0 = new Date('2031-06-02T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
/** Every 10 s from T0, 6 times. */
const RULE = 'DTSTART:20310602T100000Z\nRRULE:FREQ=SECONDLY;INTERVAL=10;COUNT=6';

for (const dialect of dialects()) {
  describe(`schedule passes on a fake clock (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    const clock = new TestClock(at(-60));
    before(async () => {
      b = await boot({ dialect, overrides: { clock } });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
    });
    after(async () => b?.stop());

    const work = () => scheduleWork(loadConfig({ BARGE_DATA_DIR: b.dataDir }), b.barge.store, clock, createLogger('silent'));

    async function scheduled(body: Record<string, unknown> = {}): Promise<string> {
      clock.at = at(-60);
      const t = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const s = await b.admin.post(`/tasks/${t.body.id}/task_schedule`, { rrule: RULE, ...body });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      assert.equal(s.body.next, at(0).toISOString());
      return t.body.id;
    }
    const show = async (taskId: string) => (await b.admin.get(`/tasks/${taskId}/task_schedule`)).body;
    const runs = async (taskId: string) => (await b.admin.get(`/tasks/${taskId}/task_executions?sort_by=created_at`)).body.task_executions as any[];
    /** Ends the task's active execution (the engine is off: executions stay queued). */
    const finish = async (taskId: string) => assert.equal((await b.admin.put(`/tasks/${taskId}/action/stop`)).status, 200);

    it('nothing before the occurrence; at it, one execution; while it is active, the next is skipped', async () => {
      const taskId = await scheduled();
      const w = work();
      clock.at = at(-0.001);
      assert.deepEqual(await w.runDue(clock.now()), { started: 0, more: false });
      assert.equal((await w.earliest())?.toISOString(), at(0).toISOString());
      clock.at = at(0.2);
      assert.equal((await w.runDue(clock.now())).started, 1);
      const [first] = await runs(taskId);
      assert.deepEqual(first.trigger, { type: 'schedule', at: at(0).toISOString(), schedule_id: (await show(taskId)).id });
      assert.equal(first.status, 'in_queue');
      clock.at = at(10.5);
      assert.equal((await w.runDue(clock.now())).started, 0);
      let s = await show(taskId);
      assert.equal(s.skipped_count, 1, 'the first run is still active');
      assert.equal(s.next, at(20).toISOString());
      await finish(taskId);
      clock.at = at(20.1);
      assert.equal((await w.runDue(clock.now())).started, 1);
      s = await show(taskId);
      assert.deepEqual([s.skipped_count, s.missed_count, s.last_run_at], [1, 0, at(20).toISOString()]);
      assert.equal((await runs(taskId)).length, 2);
      await finish(taskId);
    });

    it('occurrences older than the grace are missed; with catch_up one execution starts for them', async () => {
      const plain = await scheduled();
      const catching = await scheduled({ catch_up: true });
      clock.at = at(3600); // an hour without a dispatcher: every occurrence is older than the 60 s grace
      assert.equal((await work().runDue(clock.now())).started, 1);
      const p = await show(plain);
      assert.deepEqual([p.missed_count, p.missed_first, p.missed_last, p.done], [6, at(0).toISOString(), at(50).toISOString(), true]);
      assert.equal((await runs(plain)).length, 0);
      const c = await show(catching);
      assert.equal(c.missed_count, 6);
      const [run] = await runs(catching);
      assert.deepEqual(run.trigger, { type: 'schedule', at: at(50).toISOString(), schedule_id: c.id, catch_up: true, missed: 6 });
      await finish(catching);
    });

    it('the last occurrences within the grace still run: missed before, due after', async () => {
      const taskId = await scheduled();
      clock.at = at(95); // 0..30 are more than 60 s old; 40 and 50 are not
      assert.equal((await work().runDue(clock.now())).started, 1);
      const s = await show(taskId);
      assert.deepEqual([s.missed_count, s.missed_last, s.skipped_count, s.last_run_at, s.done], [4, at(30).toISOString(), 1, at(40).toISOString(), true]);
      await finish(taskId);
    });

    it('two dispatchers racing on one occurrence start one execution between them', async () => {
      const taskId = await scheduled();
      clock.at = at(0.5);
      const results = await Promise.all([work().runDue(clock.now()), work().runDue(clock.now()), work().runDue(clock.now())]);
      assert.equal(results.reduce((n, r) => n + r.started, 0), 1, JSON.stringify(results));
      assert.equal((await runs(taskId)).length, 1);
      const s = await show(taskId);
      assert.deepEqual([s.skipped_count, s.missed_count, s.next], [0, 0, at(10).toISOString()], 'handled once');
      await finish(taskId);
    });
  });
}
