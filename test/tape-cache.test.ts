/**
 * Tape cache actions (#12) end to end on the real server with a virtual library in a temporary
 * folder: `cache_cleaning` evicts a primary share's archived files, oldest access first, until the
 * share is below `rehydration_usage_threshold` % of its `quota_bytes` — never a file without a
 * verified tape copy or changed since its archive — and the catalog (`/files`) shows them evicted;
 * `rehydratation` brings them back identical, leaving a path that holds a file again alone;
 * `check_consistency` on tape re-reads the cartridges and reports exactly the file corrupted in
 * place. Refusals at run name why. On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { runTask, ended, refusedAtRun } from './helpers/tape-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const KiB = 1024;
const SIZE = 16 * KiB;

/** Eight cold files, one hot, one changed after the archive; `fresh.bin` is written after it (no copy). */
const ARCHIVED = [...Array.from({ length: 8 }, (_, i) => `cold/a${i}.bin`), 'hot.bin', 'changed.bin'];

for (const dialect of dialects()) {
  describe(`tape cache_cleaning, rehydratation, check_consistency (${dialect})`, () => {
    let b: Booted;
    let root: string;
    let lib: any;
    let s: Record<string, { id: string; path: string }>;
    let pool: string;
    let archivedHashes: Record<string, string>;
    /** A whole second some hours before the process's clock: times the test gives files (exact, so the archive's mtime is the file's). */
    const base = Math.floor(Date.now() / 1000) - 36_000;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-cache-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      s = await nasWithShares(b.admin, ['primary', 'other']);
      const r = await b.admin.post('/tape_libraries', {
        name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 6, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 3,
        capacity_bytes: 1024 * KiB, load_seconds: 0, seek_mb_per_second: 0,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      lib = r.body;
      const p = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
      pool = p.body.id;
      for (const t of (await b.admin.get(`/tape_libraries/${lib.id}/tapes?limit=100`)).body.tapes) assert.equal((await b.admin.put(`/tapes/${t.id}`, { pool_id: pool })).status, 200);
      await makeTree(s.primary!.path, Object.fromEntries(ARCHIVED.map((f) => [f, SIZE])));
      for (const [i, f] of ARCHIVED.entries()) await utimes(join(s.primary!.path, f), base + i, base + i);
      const arc = await runTask(b, { workflow_action: 'copy', options: { file_checksum: 'xxhash64' }, sources: [{ type: 'nas', storage_id: s.primary!.id, node_paths: ['/'] }], destinations: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] });
      const a = await ended(b, arc.execution);
      assert.equal(a.status, 'done', JSON.stringify(a));
      archivedHashes = await hashTree(s.primary!.path);
      // After the archive: changed.bin gets new bytes (same size), fresh.bin appears; both are the oldest-accessed files.
      await writeFile(join(s.primary!.path, 'changed.bin'), Buffer.alloc(SIZE, 7));
      await writeFile(join(s.primary!.path, 'fresh.bin'), Buffer.alloc(SIZE, 9));
      await utimes(join(s.primary!.path, 'changed.bin'), base - 100, base + 500);
      await utimes(join(s.primary!.path, 'fresh.bin'), base - 200, base + 600);
      // Access times: a0 the oldest of the cold files, hot.bin the newest of all (mtimes unchanged).
      for (const [i, f] of ARCHIVED.entries()) if (f !== 'changed.bin') await utimes(join(s.primary!.path, f), f === 'hot.bin' ? base + 10_000 : base + 100 + i * 10, base + i);
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });




    const share = (id = s.primary!.id) => [{ type: 'nas', storage_id: id, node_paths: ['/'] }];
    const present = async (rel: string) => stat(join(s.primary!.path, rel)).then(() => true, () => false);
    const evictedRows = async () => ((await b.admin.get(`/files?storage_id=${s.primary!.id}&limit=100`)).body.files as any[]).filter((f) => f.evicted);

    it('a share takes a quota_bytes (a Barge addition), and cache_cleaning is refused without one or without a 0–100 threshold', async () => {
      await refusedAtRun(b, { workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 50 }, sources: share(s.other!.id) }, 422, /has no quota: set its quota_bytes/);
      const bad = await b.admin.put(`/nas_shares/${s.other!.id}`, { quota_bytes: -1 });
      assert.equal(bad.status, 422, JSON.stringify(bad.body));
      const q = await b.admin.put(`/nas_shares/${s.other!.id}`, { quota_bytes: 1_000_000 });
      assert.equal(q.status, 200, JSON.stringify(q.body));
      assert.equal((await b.admin.get(`/nas_shares/${s.other!.id}`)).body.quota_bytes, 1_000_000);
      await refusedAtRun(b, { workflow_action: 'cache_cleaning', sources: share(s.other!.id) }, 422, /rehydration_usage_threshold is missing/);
      const over = await b.admin.post('/tasks', { name: unique('t'), workflow_type: 'active_archive', workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 150 }, sources: share(s.other!.id) });
      assert.equal(over.status, 422, 'a threshold over 100 is refused when the task is saved');
      await refusedAtRun(b, { workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 50 }, sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] }, 422, /one primary share/);
      await refusedAtRun(b, { workflow_action: 'check_consistency', sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }], destinations: share() }, 422, /takes no destination/);
      const user = await makeUser(b.admin);
      await refusedAtRun(b, { workflow_action: 'check_consistency', options: { barcodes: ['BRG001L8'] } }, 403, /admin/, user.client);
      // Evicting changes the share: reading it is not enough.
      assert.equal((await b.admin.post(`/nas_shares/${s.other!.id}/privileges`, { name: user.username, type: 'user', privilege: 'read' })).status, 201);
      const readOnly = await user.client.post('/tasks', { name: unique('t'), workflow_type: 'active_archive', workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 50 }, sources: share(s.other!.id) });
      assert.equal(readOnly.status, 422, JSON.stringify(readOnly.body));
      assert.match(JSON.stringify(readOnly.body), /read_write needed/);
    });

    it('cache_cleaning evicts the oldest-accessed archived files until the share is below the threshold, never one without a verified copy', async () => {
      // 11 files of 16 KiB = 176 KiB used; quota 200 KiB at 50% → below 100 KiB: a0…a4 go (176 − 5 × 16 = 96 KiB).
      assert.equal((await b.admin.put(`/nas_shares/${s.primary!.id}`, { quota_bytes: 200 * KiB })).status, 200);
      const run = await runTask(b, { workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 50, full_report: true }, sources: share() });
      const e = await ended(b, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      const gone = ['cold/a0.bin', 'cold/a1.bin', 'cold/a2.bin', 'cold/a3.bin', 'cold/a4.bin'];
      for (const f of gone) assert.equal(await present(f), false, `${f} evicted`);
      for (const f of ['cold/a5.bin', 'cold/a6.bin', 'cold/a7.bin', 'hot.bin', 'changed.bin', 'fresh.bin']) assert.equal(await present(f), true, `${f} kept`);
      assert.equal(e.nodes_done, 5);
      const log = (e.log as string[]).join('\n');
      assert.match(log, /9 file\(s\) with a verified copy on tape, 1 without one \(\/fresh\.bin\), 1 changed since archived \(\/changed\.bin\)/);
      const ledger = (await b.admin.get(`/task_executions/${run.execution}/files?limit=100`)).body.files as any[];
      assert.deepEqual(ledger.map((f) => f.src_path).sort(), gone.map((f) => `/${f}`));
      // The catalog keeps where they went.
      const rows = await evictedRows();
      assert.deepEqual(rows.map((r) => r.file_path).sort(), gone.map((f) => `/${f}`));
      const tapeIds = new Set(((await b.admin.get(`/tape_libraries/${lib.id}/tapes?limit=100`)).body.tapes as any[]).map((t) => t.id));
      for (const r of rows) {
        assert.ok(tapeIds.has(r.stored_storage_id), JSON.stringify(r));
        assert.equal(`/${r.stored_path}`, r.file_path);
        assert.equal(r.size, SIZE);
      }
      // A cartridge holding evicted files' copies is never formatted, even with overwrite.
      const barcode = (await b.barge.store.db.selectFrom('tapes').select('barcode').where('id', '=', rows[0].stored_storage_id).executeTakeFirstOrThrow()).barcode;
      const fmt = await ended(b, (await runTask(b, { workflow_action: 'format', options: { barcodes: [barcode], overwrite: true } })).execution);
      assert.equal(fmt.status, 'error', JSON.stringify(fmt));
      const why = (await b.admin.get(`/task_executions/${fmt.id}/files?status=failed`)).body.files as any[];
      assert.equal(why[0].error_class, 'holds_evicted', JSON.stringify(why));
      assert.equal((await evictedRows()).length, gone.length);
      // Already below the threshold: a second run evicts nothing.
      const again = await ended(b, (await runTask(b, { workflow_action: 'cache_cleaning', options: { rehydration_usage_threshold: 50 }, sources: share() })).execution);
      assert.equal(again.status, 'done', JSON.stringify(again));
      assert.equal(again.nodes_done, 0);
      assert.equal(await present('cold/a5.bin'), true);
    });

    it('rehydratation brings the evicted files back identical, leaves a path that holds a file again alone, and the catalog forgets the evictions', async () => {
      await writeFile(join(s.primary!.path, 'cold/a4.bin'), 'written again after the eviction');
      const run = await runTask(b, { workflow_action: 'rehydratation', sources: [{ type: 'nas', storage_id: s.primary!.id, node_paths: ['/cold'] }] });
      const e = await ended(b, run.execution);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, 4);
      const now = await hashTree(s.primary!.path);
      for (const i of [0, 1, 2, 3]) assert.equal(now[`cold/a${i}.bin`], archivedHashes[`cold/a${i}.bin`], `cold/a${i}.bin identical`);
      assert.equal(await readFile(join(s.primary!.path, 'cold/a4.bin'), 'utf8'), 'written again after the eviction');
      assert.equal((await stat(join(s.primary!.path, 'cold/a0.bin'))).mtimeMs, (base + 0) * 1000, 'mtime as archived');
      assert.deepEqual(await evictedRows(), []);
    });

    it('check_consistency on tape re-reads every file and reports exactly the one corrupted in place', async () => {
      const rows = await b.barge.store.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .select(['t.barcode', 'f.path', 'f.data_offset', 'f.size']).execute();
      assert.equal(rows.length, ARCHIVED.length);
      const victim = rows.find((r) => r.path === 'cold/a6.bin')!;
      const fh = await open(join(lib.path, 'cartridges', `${victim.barcode}.tar`), 'r+');
      try {
        const at = Number(victim.data_offset) + 100;
        const buf = Buffer.alloc(4);
        await fh.read(buf, 0, 4, at);
        for (let i = 0; i < 4; i++) buf[i] = buf[i]! ^ 0xff;
        await fh.write(buf, 0, 4, at);
      } finally {
        await fh.close();
      }
      const byPool = await ended(b, (await runTask(b, { workflow_action: 'check_consistency', sources: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] })).execution);
      assert.equal(byPool.status, 'finished_with_warnings', JSON.stringify(byPool));
      assert.equal(byPool.nodes_done, ARCHIVED.length - 1);
      const failed = (await b.admin.get(`/task_executions/${byPool.id}/files?status=failed&limit=100`)).body.files as any[];
      assert.equal(failed.length, 1, JSON.stringify(failed));
      assert.equal(failed[0].src_path, `${victim.barcode}:cold/a6.bin`);
      assert.equal(failed[0].error_class, 'checksum_mismatch');
      // By barcode, on a sub-path of the pool: only the files there, all sound.
      const byBarcode = await ended(b, (await runTask(b, { workflow_action: 'check_consistency', options: { barcodes: [victim.barcode] }, sources: [{ type: 'tape', pool_id: pool, node_paths: ['/cold/a5.bin'] }] })).execution);
      assert.equal(byBarcode.status, 'done', JSON.stringify(byBarcode));
      assert.equal(byBarcode.nodes_done, 1);
    });
  });
}
