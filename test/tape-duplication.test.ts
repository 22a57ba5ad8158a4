/**
 * Tape `duplication` and the drive options (#12) end to end on the real server with a virtual library
 * in a temporary folder: an archive over several cartridges of a source pool is duplicated, through
 * the drives `selected_drive` / `selected_drive_2` name, onto smaller cartridges of another pool (so
 * the copies spill from one target to the next); each copy's `tar -tf` lists exactly the files the
 * catalog places there, each copy is `secondary_of` the cartridge it copies, and with every primary
 * ejected a restore gives back identical bytes from the copies. A second run copies nothing again.
 * `run` refuses a one-drive library, a drive number the library does not have, one drive for both
 * halves, and a destination that is the source pool. On SQLite, and on PostgreSQL when
 * BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, waitFor, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { gnuTarVersion, tarNames } from './helpers/gnu-tar.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { startChild, type ChildBarge } from './helpers/child-barge.js';
import { readState, writeState } from '../src/storage/tape/virtual-library-state.js';
import { Cartridge } from '../src/storage/tape/cartridge.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape duplication tests skipped`);
const KiB = 1024;
const INDEX = /^\.barge-index\//;
const SOURCES = ['BRG001L8', 'BRG002L8', 'BRG003L8', 'BRG004L8'];
const TARGETS = ['BRG005L8', 'BRG006L8', 'BRG007L8', 'BRG008L8', 'BRG009L8', 'BRG010L8', 'BRG011L8', 'BRG012L8', 'BRG013L8', 'BRG014L8'];

/** 120 files of 2,000–4,900 bytes (≈ 600 KB on tape): three cartridges of 256 KiB. */
const TREE: Record<string, number> = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`arc/d${i % 4}/f${i}.bin`, 2000 + ((i * 97) % 2900)]));

for (const dialect of dialects()) {
  describe(`tape duplication and selected drives (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lib: any;
    let small: any;
    let s: Record<string, { id: string; path: string }>;
    let srcPool: string;
    let dstPool: string;
    let onePool: string;
    const tapes: Record<string, any> = {};

    async function newPool(barcodes: string[]): Promise<string> {
      const p = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      for (const barcode of barcodes) assert.equal((await b.admin.put(`/tapes/${tapes[barcode].id}`, { pool_id: p.body.id })).status, 200);
      return p.body.id;
    }

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-dup-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['src', 'dst']);
      const r = await b.admin.post('/tape_libraries', {
        name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 16, drives: 3, mailslots: 1, tape_type: 'data_lto8', tapes: 14,
        capacity_bytes: 256 * KiB, load_seconds: 0, seek_mb_per_second: 0,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      lib = r.body;
      const one = await b.admin.post('/tape_libraries', {
        name: unique('vtl1'), type: 'virtual', path: join(root, 'one'), slots: 4, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 2, barcode_prefix: 'ONE',
        capacity_bytes: 256 * KiB, load_seconds: 0, seek_mb_per_second: 0,
      });
      assert.equal(one.status, 201, JSON.stringify(one.body));
      small = one.body;
      for (const l of [lib, small]) for (const t of (await b.admin.get(`/tape_libraries/${l.id}/tapes?limit=100`)).body.tapes) tapes[t.barcode] = t;
      // The copies' cartridges are shorter (a library may hold several media): copies of one source spill over two.
      const state = await readState(lib.path);
      for (const barcode of TARGETS) state.cartridges[barcode]!.capacity_bytes = 128 * KiB;
      await writeState(lib.path, state);
      await b.barge.store.db.updateTable('tapes').set({ capacity_bytes: 128 * KiB, free_bytes: 128 * KiB }).where('barcode', 'in', TARGETS).execute();
      srcPool = await newPool(SOURCES);
      dstPool = await newPool(TARGETS);
      onePool = await newPool(['ONE001L8']);
      await makeTree(s.src!.path, TREE);
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const cartridge = (barcode: string) => join(lib.path, 'cartridges', `${barcode}.tar`);

    async function task(body: Record<string, unknown>): Promise<string> {
      const t = await b.admin.post('/tasks', { name: unique('t'), workflow_type: 'offline_archive', ...body });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      return t.body.id;
    }

    async function runTask(body: Record<string, unknown>): Promise<string> {
      const r = await b.admin.put(`/tasks/${await task(body)}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.execution_id;
    }

    const finished = (id: string) => waitFor(async () => {
      const e = await b.admin.get(`/task_executions/${id}`);
      return e.body.finished_at ? e.body : undefined;
    }, 'the execution to finish', 120_000, 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await b.admin.get(`/task_executions/${id}`)).body)}`);
    });

    /** The catalog: barcode, session, path, size, checksum per row. */
    async function catalog(): Promise<Array<{ barcode: string; path: string; size: number; checksum: string; secondary_of: string | null }>> {
      const rows = await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .select(['t.barcode', 'f.path', 'f.size', 'f.checksum', 't.secondary_of']).execute();
      return rows.map((r) => ({ ...r, size: Number(r.size) }));
    }

    const drives = async () => Object.fromEntries(((await b.admin.get(`/tape_libraries/${lib.id}/tape_drives`)).body.tape_drives as any[]).map((d) => [d.index, d]));
    const dup = { workflow_action: 'duplication', sources: [{ type: 'tape', pool_id: '', node_paths: ['/'] }], destinations: [{ type: 'tape', pool_id: '', node_paths: ['/'] }] };
    const duplication = (options: Record<string, unknown>, from = srcPool, to = dstPool) => ({
      ...dup, options, sources: [{ ...dup.sources[0], pool_id: from }], destinations: [{ ...dup.destinations[0], pool_id: to }],
    });

    it('refuses at run, naming why: one drive, a drive the library lacks, one drive for both, copies into the source pool', async () => {
      const refused = async (body: Record<string, unknown>, why: RegExp) => {
        const r = await b.admin.put(`/tasks/${await task(body)}/action/run`);
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.match(JSON.stringify(r.body), why);
      };
      await refused({ ...duplication({ barcodes: ['ONE001L8'] }), sources: [] }, /needs two drives .* has 1/);
      await refused(duplication({ selected_drive: '3' }), /options\.selected_drive is 3, but tape library .* has 3 drives/);
      await refused(duplication({ selected_drive_2: 'two' }), /options\.selected_drive_2 must be a drive's number/);
      await refused(duplication({ selected_drive: '1', selected_drive_2: '1' }), /both drive 1/);
      await refused(duplication({}, srcPool, srcPool), /copies go to another pool/);
      await refused({ ...duplication({}), destinations: [] }, /has no destination|one destination/);
      await refused({ workflow_action: 'copy', options: { selected_drive: '5' }, sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/arc'] }], destinations: [{ type: 'tape', pool_id: onePool, node_paths: ['/'] }] }, /options\.selected_drive is 5, but tape library .* has 1 drive\b/);
      await refused({ workflow_action: 'format', options: { barcodes: ['BRG001L8'], selected_drive: '9' } }, /options\.selected_drive is 9/);
      assert.deepEqual(await tarNames(cartridge('BRG001L8')), [], 'nothing ran');
    });

    it('duplicates a pool spanning cartridges through the selected drives; with the primaries ejected a restore reads the copies', async () => {
      // The archive uses drive 1 (selected_drive) and nothing else.
      const arc = await finished(await runTask({ workflow_action: 'copy', options: { selected_drive: '1' }, sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/arc'] }], destinations: [{ type: 'tape', pool_id: srcPool, node_paths: ['/'] }] }));
      assert.equal(arc.status, 'done', JSON.stringify(arc));
      assert.ok((arc.log as string[]).includes(`using drive 1 of tape library ${lib.name}`), JSON.stringify(arc.log));
      assert.ok(!(arc.log as string[]).some((l) => /selected_drive ignored/.test(l)), JSON.stringify(arc.log));
      let d = await drives();
      assert.ok(d[1].bytes_written > 0 && d[0].bytes_written === 0 && d[2].bytes_written === 0, JSON.stringify(d));
      const primaries = await catalog();
      const used = [...new Set(primaries.map((r) => r.barcode))].sort();
      assert.ok(used.length >= 2, `the archive spans cartridges: ${used.join(', ')}`);

      const e = await finished(await runTask(duplication({ selected_drive: '2', selected_drive_2: '0' })));
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, 120, JSON.stringify(e));
      const log = e.log as string[];
      assert.ok(log.includes(`duplication: reading on drive 2, writing on drive 0 of tape library ${lib.name}`), JSON.stringify(log));
      assert.ok(!log.some((l) => / ignored/.test(l)), JSON.stringify(log));
      d = await drives();
      assert.ok(d[0].bytes_written > 0 && d[2].bytes_read > 0, `the copy was written on drive 0, read on drive 2: ${JSON.stringify(d)}`);
      assert.ok(d[2].bytes_written === 0 && d[0].bytes_read === 0 && d[1].bytes_read === 0, JSON.stringify(d));
      assert.ok(Object.values(d).every((x: any) => x.task_id === null && x.barcode === null), 'both drives given back, empty');

      // Each copy is secondary_of one source, and tar lists exactly what the catalog places on it.
      const rows = await catalog();
      const copies = rows.filter((r) => r.secondary_of !== null);
      const copyTapes = [...new Set(copies.map((r) => r.barcode))];
      assert.ok(copyTapes.length > used.length, `the copies spill over more (shorter) cartridges: ${copyTapes.join(', ')}`);
      const idOf = Object.fromEntries(Object.values(tapes).map((t: any) => [t.id, t.barcode]));
      for (const barcode of copyTapes) {
        const mine = copies.filter((r) => r.barcode === barcode);
        const of = idOf[mine[0]!.secondary_of!];
        const t = (await b.admin.get(`/tapes/${tapes[barcode].id}`)).body;
        assert.equal(t.secondary_of, tapes[of].id, `${barcode} shows which cartridge it copies`);
        const listed = (await tarNames(cartridge(barcode))).filter((n) => !INDEX.test(n)).sort();
        assert.deepEqual(listed, mine.map((r) => r.path).sort(), `tar -tf ${barcode} = its catalog rows`);
        const source = new Set(primaries.filter((r) => r.barcode === of).map((r) => `${r.path} ${r.size} ${r.checksum}`));
        for (const r of mine) assert.ok(source.has(`${r.path} ${r.size} ${r.checksum}`), `${r.path} on ${barcode} is a file of ${of}`);
      }
      assert.deepEqual(copies.map((r) => `${r.path} ${r.checksum}`).sort(), primaries.map((r) => `${r.path} ${r.checksum}`).sort(), 'every file copied once');
      for (const barcode of TARGETS.filter((x) => !copyTapes.includes(x))) assert.deepEqual(await tarNames(cartridge(barcode)), [], `${barcode} untouched`);

      // Again: everything has its copy; nothing is written.
      const tarsBefore = await Promise.all(copyTapes.map((x) => tarNames(cartridge(x))));
      const again = await finished(await runTask(duplication({})));
      assert.equal(again.status, 'done', JSON.stringify(again));
      assert.equal(again.nodes_done, 120);
      assert.deepEqual(await Promise.all(copyTapes.map((x) => tarNames(cartridge(x)))), tarsBefore, 'no session added');

      // Nodeum's on_tapes_files: each file names its cartridge, then its secondary copy.
      const top = (await b.admin.get(`/pools/${srcPool}/on_tapes_files`)).body;
      assert.equal(top.count, 1, JSON.stringify(top));
      const arcDir = top.on_tapes_files[0];
      assert.deepEqual([arcDir.name, arcDir.type, arcDir.path], ['arc', 'folder', '/arc']);
      assert.deepEqual([...arcDir.barcodes].sort(), [...used, ...copyTapes].sort(), 'a folder lists the cartridges of what is under it');
      const d1 = ((await b.admin.get(`/pools/${srcPool}/on_tapes_files/${arcDir.id}/children`)).body.on_tapes_files as any[]).find((x) => x.name === 'd1');
      const inD1 = (await b.admin.get(`/pools/${srcPool}/on_tapes_files/${d1.id}/children?limit=100`)).body;
      assert.equal(inD1.count, 30, JSON.stringify(inD1));
      for (const f of inD1.on_tapes_files) {
        const primary = primaries.find((r) => `/${r.path}` === f.path)!;
        const copy = copies.find((r) => `/${r.path}` === f.path)!;
        assert.deepEqual([f.type, f.size, f.barcodes, f.secondary_barcodes], ['file', primary.size, [primary.barcode, copy.barcode], [copy.barcode]], JSON.stringify(f));
      }
      assert.equal((await b.admin.get(`/pools/${srcPool}/on_tapes_files/${inD1.on_tapes_files[0].id}/children`)).status, 404, 'a file has no children');
      const user = await makeUser(b.admin);
      assert.equal((await user.client.get(`/pools/${srcPool}/on_tapes_files`)).status, 404, 'a pool the user may not read');

      // A primary whose bytes went bad: the restore reads that file from its copy.
      const bad = (await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id').select(['t.barcode', 'f.path', 'f.data_offset'])
        .where('t.secondary_of', 'is', null).where('f.path', '=', 'arc/d1/f5.bin').executeTakeFirstOrThrow());
      const fh = await open(cartridge(bad.barcode), 'r+');
      await fh.write(Buffer.from('spoiled'), 0, 7, Number(bad.data_offset) + 10);
      await fh.close();
      const one = await finished(await runTask({ workflow_action: 'copy', sources: [{ type: 'tape', pool_id: srcPool, node_paths: ['/arc/d1/f5.bin'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/one'] }] }));
      assert.equal(one.status, 'done', JSON.stringify(one));
      assert.equal(await readFile(join(s.dst!.path, 'one/arc/d1/f5.bin'), 'utf8'), await readFile(join(s.src!.path, 'arc/d1/f5.bin'), 'utf8'), 'the copy\'s bytes');
      assert.ok((one.log as string[]).some((l) => l.startsWith(`arc/d1/f5.bin could not be read from ${bad.barcode} (checksum_mismatch): reading the secondary copy on `)), JSON.stringify(one.log));
      await rm(join(s.dst!.path, 'one'), { recursive: true });

      // The primaries go to the vault; a restore reads the copies and gives back the same bytes.
      const ej = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: used });
      assert.equal(ej.status, 200, JSON.stringify(ej.body));
      const back = await finished(await runTask({ workflow_action: 'copy', sources: [{ type: 'tape', pool_id: srcPool, node_paths: ['/arc'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/'] }] }));
      assert.equal(back.status, 'done', JSON.stringify(back));
      assert.deepEqual(await hashTree(join(s.dst!.path, 'arc')), await hashTree(join(s.src!.path, 'arc')), 'identical bytes from the copies');
      for (const barcode of used) assert.ok((back.log as string[]).some((l) => l.startsWith(`${barcode} is out of the library (offline):`) && / read from secondary copies on /.test(l)), JSON.stringify(back.log));
    });
  });
}

describe('tape duplication: kill -9 while a copy session is written, restart, complete', { skip: noTar }, () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('resumes to the end with no file twice in a copy\'s indexes', async (t) => {
    const MiB = 1024 * KiB;
    const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];
    const root = await mkdtemp(join(tmpdir(), 'barge-tape-dup-crash-'));
    const dataDir = await mkdtemp(join(tmpdir(), 'barge-tape-dup-crash-data-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }), () => rm(dataDir, { recursive: true, force: true }));
    const env = { BARGE_TAPE_ROOTS: root };
    let child: ChildBarge = await startChild(dataDir, env);
    cleanup.push(() => child.kill());
    const shares = await nasWithShares(child.admin, ['src']);
    cleanup.push(() => rm(shares.src!.path, { recursive: true, force: true }));
    // 300 files of 64 KiB (≈ 20 MB) onto cartridges of 8 MiB: three source cartridges, three copies.
    await makeTree(shares.src!.path, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`data/d${i % 6}/f${i}.bin`, 64 * KiB])));
    const lib = await child.admin.post('/tape_libraries', {
      name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 10, drives: 2, mailslots: 1, tape_type: 'data_lto8', tapes: 8,
      capacity_bytes: 8 * MiB, load_seconds: 0, seek_mb_per_second: 0,
    });
    assert.equal(lib.status, 201, JSON.stringify(lib.body));
    const all = (await child.admin.get(`/tape_libraries/${lib.body.id}/tapes`)).body.tapes as any[];
    const pools: string[] = [];
    for (const barcodes of [all.slice(0, 3), all.slice(3)]) {
      const p = await child.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
      for (const tape of barcodes) assert.equal((await child.admin.post(`/pools/${p.body.id}/tapes`, { barcode: tape.barcode })).status, 201);
      pools.push(p.body.id);
    }
    const run = async (body: Record<string, unknown>) => {
      const task = await child.admin.post('/tasks', { name: unique('t'), workflow_type: 'offline_archive', ...body });
      assert.equal(task.status, 201, JSON.stringify(task.body));
      const r = await child.admin.put(`/tasks/${task.body.id}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.execution_id as string;
    };
    const ended = (id: string, ms: number) => waitFor(async () => {
      const r = (await child.admin.get(`/task_executions/${id}`)).body;
      return TERMINAL.includes(r.status) ? r : undefined;
    }, 'the execution to finish', ms, 100);
    const arc = await ended(await run({ workflow_action: 'copy', sources: [{ type: 'nas', storage_id: shares.src!.id, node_paths: ['/data'] }], destinations: [{ type: 'tape', pool_id: pools[0], node_paths: ['/'] }] }), 120_000);
    assert.equal(arc.status, 'done', JSON.stringify(arc));

    const id = await run({ workflow_action: 'duplication', sources: [{ type: 'tape', pool_id: pools[0], node_paths: ['/'] }], destinations: [{ type: 'tape', pool_id: pools[1], node_paths: ['/'] }] });
    const cart = (barcode: string) => Cartridge.open(join(lib.body.path, 'cartridges', `${barcode}.tar`), { barcode, capacityBytes: 8 * MiB });
    const torn = async () => {
      let n = 0;
      for (const tape of all.slice(3)) n += await cart(tape.barcode).then((c) => c.tornMembers, () => 1); // a member cut mid-way reads as torn
      return n;
    };
    // The first copy session is committed (files counted) and the next one is being written: kill now.
    const mid = await waitFor(async () => {
      const e = (await child.admin.get(`/task_executions/${id}`)).body;
      return TERMINAL.includes(e.status) || (e.nodes_done > 0 && (await torn()) > 0) ? e : undefined;
    }, 'a copy session to be written after the first committed', 60_000, 5);
    await child.kill();
    assert.ok(!TERMINAL.includes(mid.status), `killed mid-run (${mid.nodes_done} files done)`);
    const left = await torn();
    assert.ok(left > 0, 'killed while a copy session was written');
    t.diagnostic(`killed with ${mid.nodes_done} files copied and ${left} member(s) of a torn session on the copies`);

    child = await startChild(dataDir, env);
    const e = await ended(id, 120_000);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(e.nodes_done, 300);
    const tapes = (await child.admin.get(`/pools/${pools[1]}/tapes`)).body.tapes as any[];
    const copies = tapes.filter((x) => x.secondary_of !== null);
    assert.ok(copies.length >= 3, JSON.stringify(tapes.map((x) => [x.barcode, x.secondary_of])));
    const everywhere: string[] = [];
    for (const c of copies) {
      const m = await cart(c.barcode);
      const indexed = m.sessions.flatMap((ss) => ss.index.files.map((f) => f.path));
      assert.equal(new Set(indexed).size, indexed.length, `no file twice in the indexes of ${c.barcode}`);
      assert.equal(m.tornMembers, 0, `no torn session left on ${c.barcode}`);
      assert.deepEqual((await tarNames(join(lib.body.path, 'cartridges', `${c.barcode}.tar`))).filter((n) => !INDEX.test(n)).sort(), [...indexed].sort(), `tar -tf ${c.barcode} = its indexes`);
      everywhere.push(...indexed);
    }
    assert.deepEqual(everywhere.sort(), Array.from({ length: 300 }, (_, i) => `data/d${i % 6}/f${i}.bin`).sort(), 'every file copied exactly once');
  });
});
