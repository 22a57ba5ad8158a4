/**
 * Control of running executions, end to end against the real engine (in process, SQLite, real
 * directories): pause/resume, graceful stop, force_stop, and the priority fair share of mover slots.
 * Assertions are on the destination's bytes, the file ledger and the work queue — never on timing
 * alone. Runs are made long enough to act on with `parallel: 1` and small batches.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { hashTree, listDirs, makeTree, partFiles } from './helpers/trees.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PROCESS_DONE = 8;
const FINAL_DONE = 32;
const STOPPED_BY_USER = 256;
const PAUSED = 512;
const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];

/** `n` files of `size` bytes in nested folders. */
function smallTree(n: number, size: number): Record<string, number> {
  const files: Record<string, number> = {};
  for (let i = 0; i < n; i++) files[`d${i % 5}/s${i % 3}/f${String(i).padStart(4, '0')}.bin`] = size;
  return files;
}

describe('engine control (sqlite)', () => {
  let b: Booted;
  before(async () => {
    // Small batches and two slots of one file each (small files would otherwise ride 8 to a slot) make
    // runs long enough to act on; stats every 50 ms keep nodes_done fresh.
    b = await boot({ engine: true, overrides: { engine: { batchFiles: 8, slots: 2, smallPerSlot: 1, statsIntervalMs: 50 } } });
  });
  after(async () => b?.stop());

  async function setup(files: Record<string, number>, options: Record<string, unknown>): Promise<{ taskId: string; src: string; dst: string }> {
    const shares = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(shares.src!.path, files);
    const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { taskId: r.body.id, src: shares.src!.path, dst: shares.dst!.path };
  }

  async function act(taskId: string, action: string): Promise<any> {
    const r = await b.admin.put(`/tasks/${taskId}/action/${action}`);
    assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  const exec = async (id: string): Promise<any> => (await b.admin.get(`/task_executions/${id}`)).body;

  async function until(id: string, pred: (e: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
    let last: any;
    try {
      return await waitFor(async () => pred((last = await exec(id))) && last, what, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  const finished = (id: string) => until(id, (e) => TERMINAL.includes(e.status), 'the execution to finish');

  async function ledger(id: string): Promise<Array<{ src_path: string; dst_path: string; status: string; attempts: number }>> {
    const r = await b.admin.get(`/task_executions/${id}/files?limit=1000`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.files.length, r.body.count, 'the ledger fits in one page');
    return r.body.files;
  }

  async function batchStates(id: string): Promise<Record<string, number>> {
    const rows = await b.barge.store.db.selectFrom('work_batches').select('state').where('execution_id', '=', id).execute();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
    return out;
  }

  /** Waits until the engine has written the execution's stats at least `ms` after now: its timers ran that long. */
  async function engineRanFor(id: string, ms: number): Promise<void> {
    const from = Date.now() + ms;
    await waitFor(async () => {
      const row = await b.barge.store.db.selectFrom('task_executions').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow();
      return Date.parse(row.updated_at) >= from;
    }, `a stats write ${ms} ms from now`, 10_000);
  }

  const rel = (p: string) => p.replace(/^\//, '');

  // Without full_report plain successes have no ledger row: what a paused batch finished is recorded
  // on the batch when it is handed back (migration 0019), and the resume skips it all the same.
  for (const fullReport of [true, false]) it(`pause mid-run holds still (nothing in flight, nothing new), resume finishes without redoing files (${fullReport ? 'full_report' : 'no full_report'})`, async () => {
    const files = smallTree(120, 64 * KiB);
    const t = await setup(files, { parallel: 1, full_report: fullReport });
    const source = await hashTree(t.src);
    const { execution_id: id } = await act(t.taskId, 'run');
    // Live progress while it runs: a moving-window bandwidth, an ETA, who dispatches and moves, and
    // the same view as the task's last_execution.
    const live = await until(id, (x) => x.nodes_done > 0 && x.bandwidth > 0 && x.eta_seconds !== null, 'first files done, with a bandwidth and an ETA', 15_000);
    assert.ok(live.size_done > 0 && live.size_done <= live.size_todo, JSON.stringify(live));
    assert.ok(Number.isInteger(live.eta_seconds) && live.eta_seconds >= 0, `eta_seconds ${live.eta_seconds}`);
    assert.equal(typeof live.dispatcher, 'string');
    assert.deepEqual(live.movers, [live.dispatcher]);
    const last = (await b.admin.get(`/tasks/${t.taskId}`)).body.last_execution;
    assert.equal(last.id, id);
    assert.ok(last.nodes_done > 0 && last.bandwidth >= 0 && 'eta_seconds' in last && last.dispatcher === live.dispatcher, JSON.stringify(last));
    await act(t.taskId, 'pause');
    let e = await exec(id);
    assert.equal(e.status, 'paused');
    assert.equal(e.progress & PAUSED, PAUSED);

    // Why this is sound without a sleep: a batch is released only after every file it started has
    // settled and its ledger rows are flushed; the mover claims only for executions whose stored
    // state is runnable and re-checks the state before each file. So once no batch is leased after
    // the pause was written, nothing is in flight and nothing new starts. A stats write at least
    // 100 ms later (stats run every 50 ms) has nodes_done computed from the released batches.
    await waitFor(async () => !(await batchStates(id)).leased, 'no leased batch', 10_000);
    await engineRanFor(id, 100);
    const atPause = await hashTree(t.dst);
    const count = Object.keys(atPause).length;
    assert.ok(count > 0 && count < 120, `paused mid-run (${count} of 120 files copied)`);
    for (const [p, h] of Object.entries(atPause)) assert.equal(h, source[p], `${p} is complete at the destination`);
    assert.deepEqual(await partFiles(t.dst), []);
    e = await exec(id);
    assert.equal(e.nodes_done, count, 'nodes_done counts exactly the files at the destination');
    const inodes = new Map<string, number>();
    for (const p of Object.keys(atPause)) inodes.set(p, (await stat(join(t.dst, p))).ino);

    // Let the engine go through more than one claim cycle (200 ms) and ledger flush (250 ms):
    // still nothing leased, nothing new at the destination, the same counters.
    await engineRanFor(id, 300);
    assert.equal((await batchStates(id)).leased, undefined);
    assert.deepEqual(await hashTree(t.dst), atPause);
    e = await exec(id);
    assert.equal(e.status, 'paused');
    assert.equal(e.nodes_done, count);

    await act(t.taskId, 'resume');
    e = await finished(id);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(e.progress & PAUSED, 0);
    assert.equal(e.progress & (PROCESS_DONE | FINAL_DONE), PROCESS_DONE | FINAL_DONE);
    assert.equal(e.nodes_done, 120);
    assert.deepEqual(await hashTree(t.dst), source);
    assert.deepEqual(await partFiles(t.dst), []);
    // Files finished before the pause were not written again (a rewrite renames a new inode in).
    for (const [p, ino] of inodes) assert.equal((await stat(join(t.dst, p))).ino, ino, `${p} was not redone`);
    const rows = await ledger(id);
    assert.equal(rows.length, fullReport ? 120 : 0);
    for (const r of rows) assert.deepEqual([r.status, r.attempts], ['done', 1], JSON.stringify(r));
  });

  it('stop mid-run finishes in-flight files, leaves only complete ones, and a second run copies the rest', async () => {
    const files = smallTree(120, 64 * KiB);
    const t = await setup(files, { parallel: 1, full_report: true, conflict_resolution: 'ignore' });
    const source = await hashTree(t.src);
    const { execution_id: id } = await act(t.taskId, 'run');
    await until(id, (e) => e.nodes_done > 0, 'first files done', 15_000);
    await act(t.taskId, 'stop');
    const e = await finished(id);
    assert.equal(e.status, 'stopped_by_user', JSON.stringify(e));
    assert.equal(e.progress & STOPPED_BY_USER, STOPPED_BY_USER);
    assert.ok(e.finished_at);
    const queue = await batchStates(id);
    assert.equal(queue.queued, undefined, JSON.stringify(queue));
    assert.equal(queue.leased, undefined, JSON.stringify(queue));

    const copied = await hashTree(t.dst);
    const n = Object.keys(copied).length;
    assert.ok(n > 0 && n < 120, `stopped mid-run (${n} of 120 files copied)`);
    for (const [p, h] of Object.entries(copied)) assert.equal(h, source[p], `${p} is complete at the destination`);
    assert.deepEqual(await partFiles(t.dst), []);
    // Exactly the files the ledger has as done are there; the others are absent.
    const done = (await ledger(id)).filter((r) => r.status === 'done').map((r) => rel(r.dst_path)).sort();
    assert.deepEqual(done, Object.keys(copied).sort());
    assert.equal(e.nodes_done, n);

    const { execution_id: second } = await act(t.taskId, 'run');
    assert.notEqual(second, id);
    const e2 = await finished(second);
    assert.equal(e2.status, 'done', JSON.stringify(e2));
    assert.deepEqual(await hashTree(t.dst), source);
    const rows = await ledger(second);
    assert.equal(rows.length, 120);
    const skipped = rows.filter((r) => r.status === 'skipped').map((r) => rel(r.src_path)).sort();
    assert.deepEqual(skipped, Object.keys(copied).sort(), 'the second run skips exactly what the first copied');
    assert.equal(rows.filter((r) => r.status === 'done').length, 120 - n);
  });

  it('stop finalizes too: a move with remove_root_folder removes the folders it emptied, keeps the others', async () => {
    const files = smallTree(120, 16 * KiB);
    const shares = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(shares.src!.path, files);
    const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { workflow_action: 'move', options: { parallel: 1, remove_root_folder: true } }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { execution_id: id } = await act(r.body.id, 'run');
    // d0/s0 holds the first 8 files of the walk: once 12 are done it has been emptied.
    await until(id, (e) => e.nodes_done >= 12, 'a first folder moved', 15_000);
    await act(r.body.id, 'stop');
    const e = await finished(id);
    assert.equal(e.status, 'stopped_by_user', JSON.stringify(e));
    const left = Object.keys(await hashTree(shares.src!.path));
    assert.ok(left.length > 0 && left.length < 120, `stopped mid-run (${left.length} files left)`);
    assert.ok(!left.some((p) => p.startsWith('d0/s0/')));
    for (const dir of await listDirs(shares.src!.path)) {
      assert.ok(left.some((p) => p.startsWith(`${dir}/`)), `${dir} was emptied by the move and should have been removed`);
    }
  });

  it('force_stop aborts large transfers at once: no temporary file left, only complete files visible', async () => {
    const files: Record<string, number> = {};
    for (let i = 0; i < 6; i++) files[`big/f${i}.bin`] = 32 * MiB;
    const t = await setup(files, { parallel: 2, file_checksum: 'xxhash64' });
    const source = await hashTree(t.src);
    const { execution_id: id } = await act(t.taskId, 'run');
    await waitFor(async () => (await partFiles(t.dst)).length > 0, 'a transfer in flight', 15_000, 5);
    const t0 = Date.now();
    await act(t.taskId, 'force_stop');
    const e = await exec(id);
    assert.equal(e.status, 'stopped_by_user');
    assert.equal(e.progress & STOPPED_BY_USER, STOPPED_BY_USER);
    assert.ok(e.finished_at);
    await waitFor(async () => (await partFiles(t.dst)).length === 0, 'temporary files removed', 5_000, 10);
    await waitFor(async () => {
      const q = await batchStates(id);
      return q.queued === undefined && q.leased === undefined;
    }, 'the execution\'s batches cancelled', 5_000);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5_000, `stopped in ${elapsed} ms`);
    const copied = await hashTree(t.dst);
    assert.ok(Object.keys(copied).length < 6, `force_stop landed mid-run (${Object.keys(copied).length} of 6 copied)`);
    for (const [p, h] of Object.entries(copied)) assert.equal(h, source[p], `${p} is complete at the destination`);
    assert.equal((await exec(id)).status, 'stopped_by_user');
  });

  it('after a force_stop, without full_report, the ledger keeps failures only', async () => {
    const t = await setup(smallTree(120, 64 * KiB), { parallel: 1 });
    const { execution_id: id } = await act(t.taskId, 'run');
    await until(id, (e) => e.nodes_done >= 3, 'first files done', 15_000);
    await act(t.taskId, 'force_stop');
    await waitFor(async () => (await ledger(id)).every((r) => r.status === 'failed'), 'the successes pruned from the ledger', 10_000);
    assert.ok(Object.keys(await hashTree(t.dst)).length >= 3, 'files were copied, and are not listed');
  });

  it('after a force_stop the mover still runs at most its slots (2) transfers at once', async () => {
    // Batches of two 32 MiB files (batchBytes 64 MiB): the first fills both slots, the next two are
    // claimed and wait for a slot. force_stop cancels those waits; a cancelled wait must not give back
    // a slot it never held (which would raise the mover's concurrency for good).
    const stopped = await setup(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.bin`, 32 * MiB])), {});
    const { execution_id: first } = await act(stopped.taskId, 'run');
    await waitFor(async () => (await partFiles(stopped.dst)).length > 0, 'a transfer in flight', 15_000, 5);
    await act(stopped.taskId, 'force_stop');
    await waitFor(async () => !(await batchStates(first)).leased && (await partFiles(stopped.dst)).length === 0, 'the stop to settle', 5_000);

    const t = await setup(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`g${i}.bin`, 8 * MiB])), { file_checksum: 'xxhash64' });
    const { execution_id: id } = await act(t.taskId, 'run');
    let most = 0;
    await waitFor(async () => {
      most = Math.max(most, (await partFiles(t.dst)).length);
      return TERMINAL.includes((await exec(id)).status);
    }, 'the copy to finish', 30_000, 2);
    assert.ok(most >= 1, 'transfers were observed');
    assert.ok(most <= 2, `at most 2 transfers at once, saw ${most}`);
    assert.equal((await exec(id)).status, 'done');
  });

  it('priority: a low-priority execution still progresses while a high-priority one runs, and the high one finishes first', async () => {
    // 480 files each: the high one's run must outlast the stats writer's interval (50 ms) by far, or
    // the low one's first batch — claimed second, by fair share — can be done but not yet counted when
    // the high one ends; and the low one, which gets one claim in twelve while both have batches, must
    // have far more left than a drain-watch tick's worth when the high one ends (both seen once the
    // movers kept their slots full, issue #14).
    const HIGH = 480;
    const high = await setup(smallTree(HIGH, 64 * KiB), { priority: 10 });
    const low = await setup(smallTree(HIGH, 64 * KiB), { priority: 0 });
    const { execution_id: hi } = await act(high.taskId, 'run');
    // The high one's walk is over before the low one starts: its queue cannot run dry while the movers
    // outpace the walk (the low one would then take the claims and could finish first).
    await waitFor(async () => {
      const h = await exec(hi);
      return (h.nodes_todo === HIGH || TERMINAL.includes(h.status)) && h;
    }, 'the high-priority execution to have planned every file', 30_000, 5);
    const { execution_id: lo } = await act(low.taskId, 'run');
    // Read the low one first: if the high one is still far from done afterwards, the low one
    // progressed while the high one was running (a starved one would wait for its queue to drain).
    const seen = await waitFor(async () => {
      const l = await exec(lo);
      const h = await exec(hi);
      if (TERMINAL.includes(h.status)) throw new Error(`the high-priority execution finished before the low one progressed: ${JSON.stringify(l)}`);
      return l.nodes_done > 0 && { low: l.nodes_done, high: h.nodes_done };
    }, 'the low-priority execution to progress', 30_000, 10);
    // (Not "before half of the high one": on a fast machine the high one can do half its files in the
    // time the low one's walk takes to hand its first batch to the queue.)
    assert.ok(seen.high < HIGH, `the low one progressed while the high one ran (high had ${seen.high} of ${HIGH} done)`);
    const [h, l] = [await finished(hi), await finished(lo)];
    assert.equal(h.status, 'done');
    assert.equal(l.status, 'done');
    assert.ok(h.finished_at < l.finished_at, `high finished ${h.finished_at}, low ${l.finished_at}`);
    assert.deepEqual(await hashTree(high.dst), await hashTree(high.src));
    assert.deepEqual(await hashTree(low.dst), await hashTree(low.src));
  });
});

describe('control actions vs the engine\'s progress flags (sqlite)', () => {
  let b: Booted;
  before(async () => {
    b = await boot();
  });
  after(async () => b?.stop());

  it('pause does not erase INIT_DONE/PROCESS_STARTED that the engine sets while the action is applied', async () => {
    // The interleaving is injected: the engine's end-of-walk write (addProgress) lands between the
    // action's read of the execution and its compare-and-set. Losing INIT_DONE there would leave the
    // resumed execution waiting for a walk that already ended.
    const shares = await nasWithShares(b.admin, ['src', 'dst']);
    const task = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
    const { execution_id: id } = (await b.admin.put(`/tasks/${task.body.id}/action/run`)).body;
    const db = b.barge.store.db;
    await db.updateTable('task_executions').set({ state: 'calculating', progress: 1 }).where('id', '=', id).execute();
    const repo = (b.barge.services.executions as any).executions;
    const findActive = repo.findActive.bind(repo);
    let interleave = true;
    repo.findActive = async (taskId: string) => {
      const row = await findActive(taskId);
      if (interleave) {
        interleave = false;
        await repo.addProgress(id, 2 | 4);
      }
      return row;
    };
    assert.equal((await b.admin.put(`/tasks/${task.body.id}/action/pause`)).status, 200);
    const row = await db.selectFrom('task_executions').select(['state', 'progress']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.state, 'paused');
    assert.equal(Number(row.progress), 1 | 2 | 4 | PAUSED);
    const resumed = await b.admin.put(`/tasks/${task.body.id}/action/resume`);
    assert.equal(resumed.status, 200);
    assert.equal((await b.admin.get(`/task_executions/${id}`)).body.status, 'in_progress');
  });
});
