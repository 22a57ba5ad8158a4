/**
 * Tape in the engine (#12), end to end on the real server with a virtual library in a temporary
 * folder: an archive of 1,000 small files into a tape pool whose cartridges are small enough to need
 * three — `tar -tvf` on each cartridge lists exactly the files the catalog (`tape_files`) places there
 * — a write-protected and an ejected cartridge of the pool are never written, a restore by paths gives
 * back identical bytes, and two executions wanting the library's one drive run one after the other.
 * On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { gnuTarVersion, tarNames } from './helpers/gnu-tar.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { runTask, ended } from './helpers/tape-runs.js';
import { VirtualTapeLibrary } from '../src/storage/tape/virtual-library.js';
import { S3Fixture, cloud, objectHashes, s3TestEnv } from './helpers/s3.js';

const s3env = s3TestEnv();

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape engine tests skipped`);
const KiB = 1024;
const INDEX = /^\.barge-index\//;

/** 1,000 files of 1,000–4,000 bytes in ten folders (≈ 4.5 MB on tape with headers and index). */
const TREE: Record<string, number> = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`proj/d${i % 10}/f${i}.bin`, 1000 + ((i * 37) % 3000)]));

for (const dialect of dialects()) {
  describe(`tape archive and restore in the engine (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lib: any;
    let s: Record<string, { id: string; path: string }>;
    const pools: Record<string, string> = {};
    const tapes: Record<string, any> = {};

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-engine-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['src', 'dst', 'dst2', 'src2']);
      // One drive, eight cartridges of 1.75 MiB: pool A gets BRG001–005, pool B BRG006–008.
      const r = await b.admin.post('/tape_libraries', {
        name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 10, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 8,
        capacity_bytes: 1792 * KiB, load_seconds: 0, seek_mb_per_second: 0,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      lib = r.body;
      for (const t of (await b.admin.get(`/tape_libraries/${lib.id}/tapes?limit=100`)).body.tapes) tapes[t.barcode] = t;
      for (const [name, barcodes] of [['A', ['BRG001L8', 'BRG002L8', 'BRG003L8', 'BRG004L8', 'BRG005L8']], ['B', ['BRG006L8', 'BRG007L8', 'BRG008L8']]] as const) {
        const p = await b.admin.post('/pools', { name: unique(`tapes${name}`), type: 'offline_archive', content: 'tape' });
        assert.equal(p.status, 201, JSON.stringify(p.body));
        pools[name] = p.body.id;
        for (const barcode of barcodes) assert.equal((await b.admin.put(`/tapes/${tapes[barcode].id}`, { pool_id: p.body.id })).status, 200);
      }
      // BRG001 write-protected (its tab), BRG002 out of the library (ejected by an operator).
      assert.equal((await b.admin.put(`/tapes/${tapes.BRG001L8.id}`, { write_protect: true })).status, 200);
      const vtl = await VirtualTapeLibrary.open(lib.path);
      await vtl.moveToMailslot('BRG002L8');
      await vtl.eject('BRG002L8');
      await makeTree(s.src!.path, TREE);
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const cartridge = (barcode: string) => join(lib.path, 'cartridges', `${barcode}.tar`);



    /** The catalog: barcode → paths on it. */
    async function catalog(): Promise<Map<string, string[]>> {
      const rows = await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id').select(['t.barcode', 'f.path', 'f.execution_id', 'f.session_no']).execute();
      const out = new Map<string, string[]>();
      for (const r of rows) out.set(r.barcode, [...(out.get(r.barcode) ?? []), r.path]);
      return out;
    }

    it('archives 1,000 files onto the three writable cartridges of the pool; tar lists exactly what the catalog places on each', async () => {
      const run = await runTask(b, {
        workflow_action: 'copy', sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/proj'] }], destinations: [{ type: 'tape', pool_id: pools.A, node_paths: ['/'] }],
      });
      // While it runs, the drive names the task and the execution using it.
      const seen = new Set<string>();
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const d = (await b.admin.get(`/tape_libraries/${lib.id}/tape_drives`)).body.tape_drives[0];
          if (d.task_id) seen.add(`${d.task_id}/${d.execution_id}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const e = await ended(b, run.execution).finally(() => (watching = false));
      await watch;
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.deepEqual([...seen], [`${run.id}/${run.execution}`], 'the drive named the run while it held it');
      assert.equal(e.nodes_done, 1000);
      assert.equal(e.size_done, Object.values(TREE).reduce((a, n) => a + n, 0));
      const cat = await catalog();
      assert.deepEqual([...cat.keys()].sort(), ['BRG003L8', 'BRG004L8', 'BRG005L8'], 'three cartridges, never the write-protected or the ejected one');
      const all: string[] = [];
      for (const [barcode, paths] of cat) {
        const listed = (await tarNames(cartridge(barcode))).filter((n) => !INDEX.test(n));
        assert.deepEqual([...listed].sort(), [...paths].sort(), `tar -tf ${barcode} lists exactly its catalog rows`);
        all.push(...paths);
      }
      assert.deepEqual(all.sort(), Object.keys(TREE).sort(), 'every file once');
      assert.deepEqual(await tarNames(cartridge('BRG001L8')), []);
      assert.deepEqual(await tarNames(cartridge('BRG002L8')), []);
      const rows = (await b.admin.get(`/pools/${pools.A}/tapes`)).body.tapes as any[];
      for (const t of rows.filter((t) => cat.has(t.barcode))) {
        assert.ok(t.sessions >= 1 && t.used > 0 && t.free < t.max, JSON.stringify(t));
        assert.equal(t.location, 'slot', 'unloaded at the end');
      }
      const drive = (await b.admin.get(`/tape_libraries/${lib.id}/tape_drives`)).body.tape_drives[0];
      assert.deepEqual([drive.task_id, drive.barcode], [null, null], 'the drive is free and empty after the run');
      assert.ok(drive.mount_count >= 3);
    });

    it('restores by paths (a folder and a file) with identical bytes, reading each cartridge once in tape order', async () => {
      const run = await runTask(b, {
        workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pools.A, node_paths: ['/proj/d3', '/proj/d4/f4.bin'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/'] }],
      });
      const e = await ended(b, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      const want = Object.fromEntries(Object.entries(await hashTree(s.src!.path)).filter(([p]) => p.startsWith('proj/d3/') || p === 'proj/d4/f4.bin'));
      assert.equal(Object.keys(want).length, 101);
      assert.deepEqual(await hashTree(s.dst!.path), want);
      // Everything back, across the three cartridges.
      const all = await runTask(b, {
        workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pools.A, node_paths: ['/proj'] }], destinations: [{ type: 'nas', storage_id: s.dst2!.id, node_paths: ['/back'] }],
      });
      const e2 = await ended(b, all.execution);
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      const src = await hashTree(s.src!.path);
      assert.deepEqual(await hashTree(join(s.dst2!.path, 'back')), src);
    });

    it('restores to an S3 bucket through its atomic writer, identical bytes', { skip: 'skip' in s3env ? s3env.skip : false }, async () => {
      const s3 = new S3Fixture(s3env as Exclude<typeof s3env, { skip: string }>, b.admin);
      try {
        const bucket = await s3.bucket('tape');
        const run = await runTask(b, { workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pools.A, node_paths: ['/proj/d5'] }], destinations: [cloud(bucket)] });
        const e = await ended(b, run.execution);
        assert.equal(e.status, 'done', JSON.stringify(e));
        const want = Object.fromEntries(Object.entries(await hashTree(s.src!.path)).filter(([p]) => p.startsWith('proj/d5/')));
        assert.equal(Object.keys(want).length, 100);
        assert.deepEqual(await objectHashes(s3.raw, bucket.name), want);
      } finally {
        await s3.cleanup();
        s3.destroy();
      }
    });

    it('a restore of a path that is not on tape fails that path, saying so', async () => {
      const run = await runTask(b, {
        workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pools.A, node_paths: ['/nowhere'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/x'] }],
      });
      const e = await ended(b, run.execution);
      assert.equal(e.status, 'error', JSON.stringify(e));
      const files = (await b.admin.get(`/task_executions/${run.execution}/files`)).body.files;
      assert.match(files[0].error, /not on any cartridge/);
    });

    it('a move removes each source once its session is committed; a file larger than a cartridge fails alone, kept at the source', async () => {
      const tree: Record<string, number> = { ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`mv/f${i}.bin`, 3000])), 'mv/huge.bin': 2 * 1024 * KiB };
      await makeTree(s.src2!.path, tree);
      const run = await runTask(b, {
        workflow_action: 'move', options: { full_report: true }, sources: [{ type: 'nas', storage_id: s.src2!.id, node_paths: ['/mv'] }], destinations: [{ type: 'tape', pool_id: pools.B, node_paths: ['/moved'] }],
      });
      const e = await ended(b, run.execution);
      assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
      assert.deepEqual([e.nodes_done, e.files_failed], [20, 1]);
      assert.deepEqual(Object.keys(await hashTree(join(s.src2!.path, 'mv'))), ['huge.bin'], 'only the file that failed is left at the source');
      const files = (await b.admin.get(`/task_executions/${run.execution}/files?limit=100`)).body.files as any[];
      const huge = files.find((f) => f.src_path === '/mv/huge.bin');
      assert.equal(huge.status, 'failed');
      assert.equal(huge.error_class, 'too_large');
      assert.match(huge.error, /larger than a cartridge/);
      assert.ok(files.filter((f) => f.status === 'done').every((f) => /^BRG00[678]L8:moved\/mv\/f\d+\.bin$/.test(f.dst_path)), JSON.stringify(files.slice(0, 3)));
      const onTape = (await catalog());
      const moved = [...onTape.values()].flat().filter((p) => p.startsWith('moved/'));
      assert.deepEqual(moved.sort(), Object.keys(tree).filter((p) => p !== 'mv/huge.bin').map((p) => `moved/${p}`).sort());
    });

    it('two executions wanting the one drive run one after the other', async () => {
      await makeTree(s.src2!.path, Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`one/f${i}.bin`, 2000])));
      await makeTree(s.src2!.path, Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`two/f${i}.bin`, 2000])));
      const task = (dir: string) => ({ workflow_action: 'copy', sources: [{ type: 'nas', storage_id: s.src2!.id, node_paths: [`/${dir}`] }], destinations: [{ type: 'tape', pool_id: pools.B, node_paths: ['/'] }] });
      const [r1, r2] = [await runTask(b, task('one')), await runTask(b, task('two'))];
      const [e1, e2] = [await ended(b, r1.execution), await ended(b, r2.execution)];
      assert.equal(e1.status, 'done', JSON.stringify(e1));
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      // Sessions of one execution never interleave with the other's: one drive, held for the whole run.
      const rows = await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id').select(['t.barcode', 'f.session_no', 'f.execution_id'])
        .where('f.execution_id', 'in', [r1.execution, r2.execution]).orderBy('t.barcode').orderBy('f.session_no').execute();
      const order = rows.map((r) => `${r.barcode}:${r.execution_id}`).filter((v, i, a) => a.indexOf(v) === i);
      const owners = order.map((o) => o.split(':')[1]);
      const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
      assert.ok(switches <= 1, `one execution after the other: ${order.join(', ')}`);
      // The execution's log (in the store; the API's view has no log) says it waited, and for whom.
      const log = async (id: string) => (await b.admin.get(`/task_executions/${id}`)).body.log as string[]; // the API shows the engine's notes
      const [first, second] = e1.finished_at <= e2.finished_at ? [e1, e2] : [e2, e1];
      const [firstLog, secondLog] = [await log(first.id), await log(second.id)];
      if (second.started_at < first.finished_at) {
        assert.ok(secondLog.some((l) => l.includes(`waiting for a drive of tape library ${lib.name} (held by execution ${first.id})`)), `the second waited and said so: ${JSON.stringify(secondLog)}`);
      }
      assert.ok(firstLog.some((l) => /using drive 0/.test(l)), JSON.stringify(firstLog));
    });
  });
}
