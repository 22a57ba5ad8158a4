/**
 * The tape workflow actions (#12) end to end on the real server with a virtual library in a temporary
 * folder: `get_index` rebuilds a wiped catalog from the cartridges' index records (and drops rows the
 * media do not have), after which a restore gives back identical bytes; `format` refuses a cartridge
 * holding data without `overwrite`, and write-protected or ejected ones always, and erases with it;
 * `ejection` takes cartridges out of the library; `run` refuses missing or unknown barcodes and
 * endpoints that do not fit, naming why. On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { gnuTarVersion, tarNames } from './helpers/gnu-tar.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { runTask, ended, refusedAtRun } from './helpers/tape-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape action tests skipped`);
const KiB = 1024;
const INDEX = /^\.barge-index\//;

/** 120 files of 2,000–4,900 bytes (≈ 450 KB on tape): two or three cartridges of 256 KiB. */
const TREE: Record<string, number> = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`arc/d${i % 4}/f${i}.bin`, 2000 + ((i * 97) % 2900)]));

for (const dialect of dialects()) {
  describe(`tape workflow actions (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lib: any;
    let s: Record<string, { id: string; path: string }>;
    let pool: string;
    const tapes: Record<string, any> = {};

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-actions-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['src', 'dst']);
      const r = await b.admin.post('/tape_libraries', {
        name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 8, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 6,
        capacity_bytes: 256 * KiB, load_seconds: 0, seek_mb_per_second: 0,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      lib = r.body;
      for (const t of (await b.admin.get(`/tape_libraries/${lib.id}/tapes?limit=100`)).body.tapes) tapes[t.barcode] = t;
      const p = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      pool = p.body.id;
      for (const barcode of ['BRG001L8', 'BRG002L8', 'BRG003L8', 'BRG004L8']) assert.equal((await b.admin.put(`/tapes/${tapes[barcode].id}`, { pool_id: pool })).status, 200);
      await makeTree(s.src!.path, TREE);
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const cartridge = (barcode: string) => join(lib.path, 'cartridges', `${barcode}.tar`);




    const files = async (execution: string) => (await b.admin.get(`/task_executions/${execution}/files?limit=100`)).body.files as any[];

    /** The catalog as comparable lines: barcode, session, path, offset, size, checksum. */
    async function catalog(): Promise<string[]> {
      const rows = await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .select(['t.barcode', 'f.session_no', 'f.path', 'f.data_offset', 'f.size', 'f.checksum']).execute();
      return rows.map((r) => `${r.barcode} ${r.session_no} ${r.path} ${r.data_offset} ${r.size} ${r.checksum}`).sort();
    }

    it('refuses at run, naming why: no barcodes, unknown barcodes, endpoints that do not fit, a non-admin owner', async () => {
      const refused = (body: Record<string, unknown>, status: number, why: RegExp, client = b.admin) => refusedAtRun(b, body, status, why, client);
      await refused({ workflow_action: 'format' }, 422, /options\.barcodes is missing/);
      await refused({ workflow_action: 'ejection', options: { barcodes: [] } }, 422, /options\.barcodes is missing/);
      await refused({ workflow_action: 'get_index' }, 422, /options\.barcodes is missing/);
      await refused({ workflow_action: 'format', options: { barcodes: ['BRG001L8', 'NOPE01L8'] } }, 422, /unknown barcode NOPE01L8/);
      await refused({ workflow_action: 'ejection', options: { barcodes: ['BRG001L8'] }, sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] }, 422, /takes no endpoint/);
      await refused({ workflow_action: 'duplication', options: { barcodes: ['BRG001L8'] }, sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }], destinations: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] }, 422, /copies go to another pool/);
      const user = await makeUser(b.admin);
      await refused({ workflow_action: 'format', options: { barcodes: ['BRG001L8'] } }, 403, /admin/, user.client);
      assert.deepEqual(await tarNames(cartridge('BRG001L8')), [], 'nothing ran');
    });

    it('get_index rebuilds a wiped catalog from the cartridges; a restore then gives back identical bytes', async () => {
      const arc = await runTask(b, { workflow_action: 'copy', sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/arc'] }], destinations: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] });
      const a = await ended(b, arc.execution);
      assert.equal(a.status, 'done', JSON.stringify(a));
      const before = await catalog();
      assert.equal(before.length, 120);
      const used = [...new Set(before.map((l) => l.split(' ')[0]))];
      assert.ok(used.length >= 2, `the archive spans cartridges: ${used.join(', ')}`);
      // The catalog is lost; a row the media do not have is made up.
      await b.barge.store.db.deleteFrom('tape_files').execute();
      await b.barge.store.db.insertInto('tape_files').values({
        tape_id: tapes.BRG004L8.id, session_no: 7, path: 'ghost.bin', data_offset: 512, header_offset: 0, size: 3, checksum: '0000000000000000', algorithm: 'xxhash64',
        mtime_ms: 0, mode: 420, execution_id: null, recorded_at: '2020-01-01T00:00:00.000Z',
      }).execute();
      const gi = await runTask(b, { workflow_action: 'get_index', sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] });
      const g = await ended(b, gi.execution);
      assert.equal(g.status, 'done', JSON.stringify(g));
      assert.equal(g.nodes_done, 4, 'every cartridge of the pool read');
      assert.deepEqual(await catalog(), before, 'the same rows as the archive wrote, and the ghost gone');
      const log = g.log as string[];
      for (const barcode of used) assert.ok(log.some((l) => l.startsWith(`index of ${barcode}:`) && /[1-9]\d* added to the catalog/.test(l)), JSON.stringify(log));
      assert.ok(log.some((l) => l.startsWith('index of BRG004L8:') && /1 missing from the medium and removed from the catalog \(ghost\.bin\)/.test(l)), JSON.stringify(log));
      // Read again with barcodes after spoiling one row's checksum: only that row differs, and is corrected.
      const spoiled = before.find((l) => l.startsWith(`${used[0]} `))!.split(' ');
      await b.barge.store.db.updateTable('tape_files').set({ checksum: 'ffffffffffffffff' }).where('tape_id', '=', tapes[used[0]!].id).where('path', '=', spoiled[2]!).execute();
      const again = await ended(b, (await runTask(b, { workflow_action: 'get_index', options: { barcodes: [used[0]] } })).execution);
      assert.equal(again.status, 'done', JSON.stringify(again));
      assert.ok((again.log as string[]).some((l) => l.includes(` 0 added to the catalog, 1 corrected (${spoiled[2]}), 0 missing`)), JSON.stringify(again.log));
      assert.deepEqual(await catalog(), before);
      const back = await ended(b, (await runTask(b, { workflow_action: 'copy', sources: [{ type: 'tape', pool_id: pool, node_paths: ['/arc'] }], destinations: [{ type: 'nas', storage_id: s.dst!.id, node_paths: ['/'] }] })).execution);
      assert.equal(back.status, 'done', JSON.stringify(back));
      assert.deepEqual(await hashTree(s.dst!.path), await hashTree(s.src!.path), 'identical bytes');
    });

    it('format refuses a cartridge holding data without overwrite and a write-protected one; with overwrite it erases', async () => {
      const withData = (await catalog())[0]!.split(' ')[0]!;
      const tarBefore = await tarNames(cartridge(withData));
      assert.ok(tarBefore.length > 0);
      assert.equal((await b.admin.put(`/tapes/${tapes.BRG006L8.id}`, { write_protect: true })).status, 200);
      const no = await ended(b, (await runTask(b, { workflow_action: 'format', options: { barcodes: [withData, 'BRG006L8'] } })).execution);
      assert.equal(no.status, 'error', JSON.stringify(no));
      const f = await files(no.id);
      const by = Object.fromEntries(f.map((r) => [r.src_path, r]));
      assert.equal(by[withData].error_class, 'holds_data');
      assert.match(by[withData].error, /holds data .*options\.overwrite: true/);
      assert.equal(by.BRG006L8.error_class, 'write_protected');
      assert.deepEqual(await tarNames(cartridge(withData)), tarBefore, 'nothing erased');

      const yes = await ended(b, (await runTask(b, { workflow_action: 'format', options: { barcodes: [withData], overwrite: true } })).execution);
      assert.equal(yes.status, 'done', JSON.stringify(yes));
      assert.deepEqual(await tarNames(cartridge(withData)), [], 'a blank archive');
      assert.ok(!(await catalog()).some((l) => l.startsWith(`${withData} `)), 'its catalog rows are gone');
      const t = (await b.admin.get(`/tapes/${tapes[withData].id}`)).body;
      assert.equal(t.sessions, 0, JSON.stringify(t));
      assert.ok(t.used < 2 * KiB && t.location === 'slot', JSON.stringify(t));
      const sessionsBefore = tarBefore.filter((n) => INDEX.test(n)).length;
      assert.ok((yes.log as string[]).some((l) => l.startsWith(`formatted ${withData}: erased ${sessionsBefore} session(s)`)), `the log counts what was there before: ${JSON.stringify(yes.log)}`);
      // Other cartridges keep their files; tar lists exactly their catalog rows.
      for (const barcode of new Set((await catalog()).map((l) => l.split(' ')[0]!))) {
        const listed = (await tarNames(cartridge(barcode))).filter((n) => !INDEX.test(n)).sort();
        assert.deepEqual(listed, (await catalog()).filter((l) => l.startsWith(`${barcode} `)).map((l) => l.split(' ')[2]).sort());
      }
    });

    it('ejection takes cartridges out of the library; an ejected one is never formatted', async () => {
      const e = await ended(b, (await runTask(b, { workflow_action: 'ejection', options: { barcodes: ['BRG005L8'] } })).execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      const t = (await b.admin.get(`/tapes/${tapes.BRG005L8.id}`)).body;
      assert.deepEqual([t.location, t.ejected], ['offline', true], JSON.stringify(t));
      assert.ok((e.log as string[]).includes('ejected BRG005L8'), JSON.stringify(e.log));
      const again = await ended(b, (await runTask(b, { workflow_action: 'ejection', options: { barcodes: ['BRG005L8'] } })).execution);
      assert.equal(again.status, 'done', 'already out: nothing to do');
      const fmt = await ended(b, (await runTask(b, { workflow_action: 'format', options: { barcodes: ['BRG005L8'], overwrite: true } })).execution);
      assert.equal(fmt.status, 'error', JSON.stringify(fmt));
      assert.equal((await files(fmt.id))[0].error_class, 'offline');
      const drive = (await b.admin.get(`/tape_libraries/${lib.id}/tape_drives`)).body.tape_drives[0];
      assert.deepEqual([drive.task_id, drive.barcode], [null, null], 'the drive is free and empty after the actions');
    });
  });
}
