/**
 * Pause, resume, stop and force_stop of tape runs (#12), end to end on the real server with a virtual
 * library whose robot takes 0.4 s a move and whose cartridges are small (a run changes cartridges
 * every ~65 files): the tests act mid-run when the first files are committed, while the robot works.
 *
 * - Archive: pause commits the open session and frees the drive (another execution uses it
 *   meanwhile); resume queues again and finishes with no file twice in the indexes. stop ends
 *   `stopped_by_user` with whole sessions only (what was written counts); force_stop ends at once,
 *   its open session cut off (never counted, written over by the next archive).
 * - Restore: pause frees the drive; resume does not rewrite the files already restored. stop ends
 *   with complete files; force_stop leaves no partial or temporary file at the destination.
 * On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, waitFor, type Booted } from './helpers/barge.js';
import { nasWithShares } from './helpers/fixtures.js';
import { gnuTarVersion } from './helpers/gnu-tar.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { allFiles, driveFree, execution, filesDone, finished, poolOnTape, runTask, twice, type TapeLab, tapeLab } from './helpers/tape-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape control tests skipped`);
const KiB = 1024;

/** 300 files of 2,000 bytes (3.5 KiB each on tape): five cartridges of 256 KiB. */
const TREE: Record<string, number> = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`set/d${i % 5}/f${String(i).padStart(3, '0')}.bin`, 2000]));
const FILES = Object.keys(TREE).length;

for (const dialect of dialects()) {
  describe(`tape runs: pause, resume, stop, force_stop (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lab: TapeLab;
    let s: Record<string, { id: string; path: string }>;
    let pool: { paused: string; stopped: string; forced: string };

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-control-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['src', 'back', 'back2', 'back3', 'back4']);
      const l = await tapeLab(b, root, { drives: 1, tapes: [6, 6, 6], capacity: 256 * KiB, loadSeconds: 0.4 });
      lab = l;
      pool = { paused: l.poolIds[0]!, stopped: l.poolIds[1]!, forced: l.poolIds[2]! };
      await makeTree(s.src!.path, TREE);
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const archive = (poolId: string) => runTask(b, {
      workflow_action: 'copy', options: { full_report: true }, sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/set'] }], destinations: [{ type: 'tape', pool_id: poolId, node_paths: ['/'] }],
    });
    const restore = (poolId: string, paths: string[], share: string) => runTask(b, {
      workflow_action: 'copy', options: { full_report: true }, sources: [{ type: 'tape', pool_id: poolId, node_paths: paths }], destinations: [{ type: 'nas', storage_id: s[share]!.id, node_paths: ['/'] }],
    });
    const control = async (task: string, action: string) => {
      const r = await b.admin.put(`/tasks/${task}/action/${action}`);
      assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
    };
    const catalogOf = async (executionId: string) => (await b.barge.store.db.selectFrom('tape_files').select('path').where('execution_id', '=', executionId).execute()).map((r) => r.path).sort();
    const doneFiles = async (id: string) => ((await b.admin.get(`/task_executions/${id}/files?status=done&limit=1000`)).body.files as any[]);
    const srcHashes = async (prefix: string) => Object.fromEntries(Object.entries(await hashTree(s.src!.path)).filter(([p]) => p.startsWith(prefix)));

    it('archive: pause commits and frees the drive for another execution; resume finishes with no file twice', async () => {
      const run = await archive(pool.paused);
      await filesDone(b, run.execution);
      await control(run.id, 'pause');
      await driveFree(b, lab, run.execution);
      const drives = (await b.admin.get(`/tape_libraries/${lab.lib.id}/tape_drives`)).body.tape_drives as any[];
      assert.deepEqual(drives.map((d) => [d.task_id, d.barcode]), [[null, null]], 'paused: the cartridge is unloaded and the drive names nobody');
      const paused = await execution(b, run.execution);
      assert.equal(paused.status, 'paused');
      const committed = await doneFiles(run.execution);
      assert.ok(committed.length > 0 && committed.length < FILES, `paused mid-run (${committed.length} files committed)`);
      assert.deepEqual(await catalogOf(run.execution), committed.map((f) => f.dst_path.split(':')[1]).sort(), 'the session open at the pause was committed: the catalog has exactly the files done');

      // Meanwhile another execution uses the drive: a restore of a file the paused archive committed.
      const member = committed[0].dst_path.split(':')[1] as string;
      const other = await restore(pool.paused, [`/${member}`], 'back4');
      const oe = await finished(b, lab, other.execution, 30_000);
      assert.equal(oe.status, 'done', JSON.stringify(oe));
      assert.equal((await execution(b, run.execution)).status, 'paused', 'still paused while the other ran');
      assert.equal((await doneFiles(run.execution)).length, committed.length, 'nothing written while paused');

      await control(run.id, 'resume');
      const e = await finished(b, lab, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, FILES);
      const onTape = await poolOnTape(lab, pool.paused);
      assert.equal(onTape.torn, 0);
      assert.deepEqual(twice(onTape.paths), [], 'no file twice in the indexes');
      assert.deepEqual([...onTape.paths].sort(), Object.keys(TREE).sort(), 'every file once');
      assert.ok((e.log as string[]).some((l) => /^paused/.test(l)) && (e.log as string[]).some((l) => l === 'resumed'), JSON.stringify(e.log));
    });

    it('archive: stop ends stopped_by_user after committing what is written; whole sessions only', async () => {
      const run = await archive(pool.stopped);
      await filesDone(b, run.execution);
      await control(run.id, 'stop');
      const e = await finished(b, lab, run.execution);
      assert.equal(e.status, 'stopped_by_user', JSON.stringify(e));
      const done = await doneFiles(run.execution);
      assert.ok(done.length > 0 && done.length < FILES, `stopped mid-run (${done.length} files)`);
      assert.equal(e.nodes_done, done.length);
      const onTape = await poolOnTape(lab, pool.stopped);
      assert.equal(onTape.torn, 0, 'the last session was closed, not torn');
      assert.deepEqual([...onTape.paths].sort(), done.map((f) => f.dst_path.split(':')[1]).sort(), 'the indexes hold exactly the files counted');
      assert.deepEqual(await catalogOf(run.execution), [...onTape.paths].sort());
    });

    it('archive: force_stop ends at once; the open session never counts and the next archive writes over it', async () => {
      const run = await archive(pool.forced);
      await filesDone(b, run.execution);
      await control(run.id, 'force_stop');
      assert.equal((await execution(b, run.execution)).status, 'stopped_by_user');
      await driveFree(b, lab, run.execution);
      const counted = (await catalogOf(run.execution));
      assert.ok(counted.length > 0 && counted.length < FILES, `force-stopped mid-run (${counted.length} files)`);
      const onTape = await poolOnTape(lab, pool.forced);
      assert.deepEqual([...onTape.paths].sort(), counted, 'only committed sessions are on the medium as sessions');
      // The next archive into the pool starts over anything left of the cut session.
      const again = await archive(pool.forced);
      const e2 = await finished(b, lab, again.execution);
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      const after = await poolOnTape(lab, pool.forced);
      assert.equal(after.torn, 0, 'nothing torn is left');
      assert.deepEqual([...(await catalogOf(again.execution))], Object.keys(TREE).sort());
      assert.equal(after.paths.length, counted.length + FILES, 'the force-stopped run\'s committed files, then the new run\'s');
    });

    it('restore: pause frees the drive; resume does not rewrite the files already restored', async () => {
      const run = await restore(pool.paused, ['/set'], 'back');
      await filesDone(b, run.execution);
      await control(run.id, 'pause');
      await driveFree(b, lab, run.execution);
      assert.equal((await execution(b, run.execution)).status, 'paused');
      const before = await doneFiles(run.execution);
      assert.ok(before.length > 0 && before.length < FILES, `paused mid-run (${before.length} files)`);
      const inodes = new Map<string, number>();
      for (const f of before) inodes.set(f.dst_path, (await stat(join(s.back!.path, f.dst_path))).ino);
      await control(run.id, 'resume');
      const e = await finished(b, lab, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, FILES);
      for (const [p, ino] of inodes) assert.equal((await stat(join(s.back!.path, p))).ino, ino, `${p} was not written again`);
      assert.deepEqual(await hashTree(s.back!.path), await srcHashes('set/'));
    });

    it('restore: stop ends stopped_by_user with complete files only', async () => {
      const run = await restore(pool.paused, ['/set'], 'back2');
      await filesDone(b, run.execution);
      await control(run.id, 'stop');
      const e = await finished(b, lab, run.execution);
      assert.equal(e.status, 'stopped_by_user', JSON.stringify(e));
      const got = await hashTree(s.back2!.path);
      assert.ok(Object.keys(got).length > 0 && Object.keys(got).length < FILES, `stopped mid-run (${Object.keys(got).length} files)`);
      const want = await srcHashes('set/');
      for (const [p, h] of Object.entries(got)) assert.equal(h, want[p], `${p} is whole`);
      assert.equal(e.nodes_done, Object.keys(got).length);
    });

    it('restore: force_stop leaves no partial or temporary file at the destination', async () => {
      const run = await restore(pool.paused, ['/set'], 'back3');
      await filesDone(b, run.execution);
      await control(run.id, 'force_stop');
      await driveFree(b, lab, run.execution);
      assert.equal((await execution(b, run.execution)).status, 'stopped_by_user');
      const names = await allFiles(s.back3!.path);
      assert.ok(names.length > 0 && names.length < FILES, `force-stopped mid-run (${names.length} files)`);
      assert.deepEqual(names.filter((n) => /\.barge-|\.part$/.test(n)), [], 'no temporary file');
      const got = await hashTree(s.back3!.path);
      const want = await srcHashes('set/');
      for (const [p, h] of Object.entries(got)) assert.equal(h, want[p], `${p} is whole`);
      // Nothing moves afterwards.
      await waitFor(async () => (await execution(b, run.execution)).finished_at, 'finished_at', 10_000);
    });
  });
}
