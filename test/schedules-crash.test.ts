/**
 * A schedule survives kill -9 of the server that runs it (the compiled server as `npm start` runs it,
 * engine in its worker thread): killed while its occurrences come, started again on the same data
 * dir, it carries on from the store. Whatever the moment of the kill, no occurrence starts two
 * executions, and every occurrence is accounted for exactly once — run, skipped (the killed run
 * resumes and is still active) or missed.
 */
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './helpers/barge.js';
import { startChild, type ChildBarge } from './helpers/child-barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { rfc5545Utc, wholeSecondIn } from './helpers/schedules.js';

const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];
const COUNT = 8;

describe('schedules and kill -9', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('a schedule killed mid-way carries on after a restart: each occurrence handled once, none run twice', async (t: TestContext) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'barge-sched-crash-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    let child: ChildBarge = await startChild(dataDir);
    cleanup.push(() => child.kill());
    const shares = await nasWithShares(child.admin, ['src', 'dst']);
    cleanup.push(() => rm(shares.src!.path, { recursive: true, force: true }), () => rm(shares.dst!.path, { recursive: true, force: true }));
    await makeTree(shares.src!.path, { 'a.txt': 'tick', 'd/b.bin': 64 * 1024 });
    const task = await child.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
    assert.equal(task.status, 201, JSON.stringify(task.body));
    const first = wholeSecondIn(2000);
    const occurrences = Array.from({ length: COUNT }, (_, i) => new Date(first.getTime() + i * 1000).toISOString());
    const set = await child.admin.post(`/tasks/${task.body.id}/task_schedule`, { rrule: `DTSTART:${rfc5545Utc(first)}\nRRULE:FREQ=SECONDLY;COUNT=${COUNT}` });
    assert.equal(set.status, 201, JSON.stringify(set.body));
    const executions = async (c: ChildBarge) => (await c.admin.get(`/tasks/${task.body.id}/task_executions?limit=1000`)).body.task_executions as any[];

    // Kill once two occurrences have started executions.
    const c1 = child;
    await waitFor(async () => (await executions(c1)).length >= 2, 'two scheduled executions', 20_000, 20);
    await child.kill();
    child = await startChild(dataDir);
    const c2 = child;

    const done = await waitFor(async () => {
      const s = (await c2.admin.get(`/tasks/${task.body.id}/task_schedule`)).body;
      return s?.done === true && s;
    }, 'the schedule to be done after the restart', 30_000);
    const runs = await waitFor(async () => {
      const list = await executions(c2);
      return list.every((e) => TERMINAL.includes(e.status)) && list;
    }, 'every execution to finish', 30_000);
    const ats = runs.map((e) => e.trigger.at as string);
    t.diagnostic(`${runs.length} runs, ${done.skipped_count} skipped, ${done.missed_count} missed, ${done.refused_count} refused`);
    assert.equal(new Set(ats).size, ats.length, `no occurrence ran twice: ${JSON.stringify(ats)}`);
    for (const at of ats) assert.ok(occurrences.includes(at), `${at} is an occurrence`);
    assert.ok(runs.length >= 2);
    assert.equal(runs.length + Number(done.skipped_count) + Number(done.missed_count) + Number(done.refused_count), COUNT,
      `every occurrence accounted for once: ${runs.length} runs, ${JSON.stringify(done)}`);
    assert.ok(runs.every((e) => e.status === 'done'), JSON.stringify(runs.map((e) => [e.trigger.at, e.status, e.error])));
  });
});
