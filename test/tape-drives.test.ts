/**
 * Tape runs sharing cartridges across drives, and an archive that streams (#12), end to end on the
 * real server with a two-drive virtual library whose robot takes 0.5 s a move:
 *
 * - two restores wanting the one cartridge, one per drive: the second waits for the cartridge (its
 *   `log` names it and the execution holding it) and both complete, identical;
 * - two archives into a pool with one writable cartridge: the second waits for it rather than failing;
 * - an archive writes while its walk goes on: files are committed while it is still `calculating`,
 *   `nodes_todo`/`size_todo` grow to the totals at INIT_DONE, and what is walked ahead of what is
 *   committed stays within the batches in flight (the walk is never held whole).
 * On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { defaultEngineConfig } from '../src/engine/in-process.js';
import { nasWithShares } from './helpers/fixtures.js';
import { gnuTarVersion } from './helpers/gnu-tar.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { TERMINAL, execution, finished, poolOnTape, runTask, twice, type TapeLab, tapeLab } from './helpers/tape-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape drive tests skipped`);
const MiB = 1024 * 1024;
/** The engine's batch (in-process.ts): a session holds at most this many files. */
const BATCH_FILES = defaultEngineConfig().batchFiles;
/** Files of the streaming archive: three batches (what four cartridges of 1 MiB hold), so that the walk could run ahead if it were let. */
const BIG = 3 * BATCH_FILES;

const tree = (dir: string, n: number, size: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${dir}/f${String(i).padStart(4, '0')}.bin`, size]));

for (const dialect of dialects()) {
  describe(`tape runs across two drives, and a streaming archive (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lab: TapeLab;
    let s: Record<string, { id: string; path: string }>;
    let pools: string[];

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-drives-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['src', 'dst1', 'dst2']);
      // Pools: [0] one cartridge (restores), [1] one cartridge (archives), [2] four (the streaming archive).
      const l = await tapeLab(b, root, { drives: 2, tapes: [1, 1, 4], capacity: 1 * MiB, loadSeconds: 0.5 });
      lab = l;
      pools = l.poolIds;
      await makeTree(s.src!.path, { ...tree('r', 100, 3000), ...tree('a1', 60, 3000), ...tree('a2', 60, 3000), ...tree('big', BIG, 500) });
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const archive = (dir: string, poolId: string) => runTask(b, {
      workflow_action: 'copy', sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: [`/${dir}`] }], destinations: [{ type: 'tape', pool_id: poolId, node_paths: ['/'] }],
    });
    const logOf = async (id: string) => (await execution(b, id)).log as string[];

    it('two restores wanting one cartridge, a drive each: the second waits for it, then both complete', async () => {
      const a = await archive('r', pools[0]!);
      assert.equal((await finished(b, lab, a.execution)).status, 'done');
      const [barcode] = lab.pools.get(pools[0]!)!;
      const tapeRow = async () => (await b.admin.get(`/tape_libraries/${lab.lib.id}/tapes`)).body.tapes.find((t: any) => t.barcode === barcode);
      const drivesRead = async () => ((await b.admin.get(`/tape_libraries/${lab.lib.id}/tape_drives`)).body.tape_drives as any[]).reduce((a, d) => a + d.bytes_read, 0);
      const tapeRead = async () => Number((await b.barge.store.db.selectFrom('tapes').select('bytes_read').where('barcode', '=', barcode!).executeTakeFirstOrThrow()).bytes_read);
      const [mountsBefore, readBefore, drivesBefore] = [(await tapeRow()).mount_count, await tapeRead(), await drivesRead()];
      const restore = (share: string) => runTask(b, {
        workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pools[0], node_paths: ['/r'] }], destinations: [{ type: 'nas', storage_id: s[share]!.id, node_paths: ['/'] }],
      });
      const [r1, r2] = [await restore('dst1'), await restore('dst2')];
      const [e1, e2] = [await finished(b, lab, r1.execution), await finished(b, lab, r2.execution)];
      assert.equal(e1.status, 'done', JSON.stringify(e1));
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      const want = Object.fromEntries(Object.entries(await hashTree(s.src!.path)).filter(([p]) => p.startsWith('r/')));
      assert.deepEqual(await hashTree(s.dst1!.path), want);
      assert.deepEqual(await hashTree(s.dst2!.path), want);
      const [first, second] = e1.finished_at <= e2.finished_at ? [e1, e2] : [e2, e1];
      const waited = (await logOf(second.id)).filter((l) => l.startsWith('waiting for cartridge'));
      // The robot's 0.5 s per move keeps the first on the cartridge well after the second started.
      assert.ok(second.started_at < first.finished_at, `the two runs overlapped: ${JSON.stringify([first, second].map((e) => [e.started_at, e.finished_at]))}`);
      const firstDrive = (await logOf(first.id)).find((l) => /^using drive \d/.test(l))!.match(/drive (\d)/)![1];
      assert.deepEqual(waited, [`waiting for cartridge ${barcode}: it is in drive ${firstDrive}, used by execution ${first.id}`], JSON.stringify(await logOf(second.id)));
      const after = await tapeRow();
      assert.equal(after.mount_count - mountsBefore, 2, 'loaded once for each restore, one after the other');
      // What was read counts on the cartridge and on the drives (/tape_stats' lifetime_mbytes_read comes from it).
      assert.equal(await tapeRead() - readBefore, 2 * 100 * 3000);
      assert.equal(await drivesRead() - drivesBefore, 2 * 100 * 3000);
    });

    it('two archives into a pool whose one writable cartridge is in the other drive: the second waits for it, both complete', async () => {
      const [a1, a2] = [await archive('a1', pools[1]!), await archive('a2', pools[1]!)];
      const [e1, e2] = [await finished(b, lab, a1.execution), await finished(b, lab, a2.execution)];
      assert.equal(e1.status, 'done', JSON.stringify(e1));
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      const onTape = await poolOnTape(lab, pools[1]!);
      assert.deepEqual([...onTape.paths].sort(), [...Object.keys(tree('a1', 60, 0)), ...Object.keys(tree('a2', 60, 0))].sort());
      const [first, second] = e1.finished_at <= e2.finished_at ? [e1, e2] : [e2, e1];
      assert.ok(second.started_at < first.finished_at, `the two runs overlapped: ${JSON.stringify([first, second].map((e) => [e.started_at, e.finished_at]))}`);
      const log = await logOf(second.id);
      assert.ok(log.some((l) => l.startsWith(`waiting for a writable cartridge: ${lab.pools.get(pools[1]!)![0]} is in drive`) && l.endsWith(`used by execution ${first.id}`)), JSON.stringify(log));
    });

    it('an archive writes while it walks: counted while calculating, totals growing to INIT_DONE, the walk never far ahead', async () => {
      const run = await archive('big', pools[2]!);
      const seen: Array<{ status: string; todo: number; done: number; failed: number; size: number }> = [];
      for (;;) {
        const e = await execution(b, run.execution);
        seen.push({ status: e.status, todo: e.nodes_todo, done: e.nodes_done, failed: e.files_failed, size: e.size_todo });
        if (TERMINAL.includes(e.status)) break;
        await new Promise((r) => setTimeout(r, 20)); // sampling interval of the observation, not a wait for a state
      }
      const e = await finished(b, lab, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.deepEqual([e.nodes_todo, e.nodes_done, e.size_todo], [BIG, BIG, BIG * 500]);
      const calculating = seen.filter((o) => o.status === 'calculating');
      assert.ok(calculating.some((o) => o.done > 0 && o.todo < BIG), `files committed while the walk went on: ${JSON.stringify(seen.filter((o, i) => i === 0 || o.done !== seen[i - 1]!.done))}`);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.todo >= seen[i - 1]!.todo, 'nodes_todo only grows');
      const ahead = Math.max(...calculating.map((o) => o.todo - o.done - o.failed));
      assert.ok(ahead <= 2 * BATCH_FILES, `walked ahead of what is committed: at most a screened batch and an open session (${ahead})`);
      const onTape = await poolOnTape(lab, pools[2]!);
      assert.deepEqual(twice(onTape.paths), []);
      assert.equal(onTape.paths.length, BIG);
    });
  });
}
