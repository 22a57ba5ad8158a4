/**
 * Tape through the API (#12), on the real server with a virtual library in a temporary folder: a
 * library is created with its cartridge files (plain tar archives) inside the allowed root only;
 * libraries, drives, tapes, where a tape is and its counters are read back with the list
 * conventions; tapes join pools of content tape; write protection reaches the cartridge file; a
 * library whose tapes hold data cannot be deleted. Admins and other users, API-key scopes. On SQLite,
 * and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { gnuTarVersion, tarNames } from './helpers/gnu-tar.js';
import { VirtualTapeLibrary } from '../src/storage/tape/virtual-library.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape API tests skipped`);
const MiB = 1024 * 1024;

for (const dialect of dialects()) {
  describe(`tape libraries, drives and tapes (${dialect})`, { skip: noTar }, () => {
    let b: Booted;
    let root: string;
    let lib: any;

    const libraryBody = (extra: Record<string, unknown> = {}) => ({
      name: unique('vtl'), type: 'virtual', path: join(root, unique('lib')), slots: 8, drives: 2, mailslots: 1, tape_type: 'data_lto8', tapes: 5,
      capacity_bytes: 4 * MiB, load_seconds: 0, seek_mb_per_second: 0, ...extra,
    });

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-root-'));
      b = await boot({ dialect, env: { BARGE_TAPE_ROOTS: root } });
      const r = await b.admin.post('/tape_libraries', libraryBody({ name: unique('main'), barcode_prefix: 'BRG' }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      lib = r.body;
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const tapesOf = async (query = '') => {
      const r = await b.admin.get(`/tape_libraries/${lib.id}/tapes${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.tapes as any[];
    };

    it('creates the library: its files under path (one blank tar archive per cartridge), drives and tapes', async () => {
      assert.deepEqual({ ...lib, id: 'ID', name: 'N', path: 'P', serial: 'S', created_at: 'T', updated_at: 'T' }, {
        id: 'ID', name: 'N', type: 'virtual', path: 'P', comment: null, status: 'online', vendor: 'Barge', product: 'Virtual tape library (data_lto8)', serial: 'S',
        slots: 8, storage_slots: 8, drives: 2, mailslots: 1, io_slots: 1, tape_type: 'data_lto8', capacity_bytes: 4 * MiB, load_seconds: 0, seek_mb_per_second: 0,
        barcode_prefix: 'BRG', created_at: 'T', updated_at: 'T',
      });
      const cartridges = (await readdir(join(lib.path, 'cartridges'))).sort();
      assert.equal(cartridges.length, 5);
      for (const c of cartridges) assert.deepEqual(await tarNames(join(lib.path, 'cartridges', c)), [], `${c} is an empty archive`);
      const tapes = await tapesOf();
      assert.deepEqual(tapes.map((t) => [t.barcode, t.location, t.location_index]), [0, 1, 2, 3, 4].map((i) => [`BRG00${i + 1}L8`, 'slot', i]));
      assert.deepEqual(cartridges, tapes.map((t) => `${t.barcode}.tar`));
      const t = tapes[0];
      assert.deepEqual({ ...t, id: 'ID', date_in: 'T', date_move: 'T', created_at: 'T', updated_at: 'T' }, {
        id: 'ID', tape_library_id: lib.id, pool_id: null, tape_pool_id: null, barcode: 'BRG001L8', location: 'slot', location_index: 0, type: 'data_lto8',
        locked: false, scratch: true, cleaning: false, write_protect: false, mounted: false, ejected: false, known: true, mount_count: 0,
        date_in: 'T', date_move: 'T', free: 4 * MiB, max: 4 * MiB, used: 0, last_size_update: null, hash: null, sessions: 0, secondary_of: null, created_at: 'T', updated_at: 'T',
      });
      const drives = (await b.admin.get(`/tape_libraries/${lib.id}/tape_drives`)).body;
      assert.equal(drives.count, 2);
      assert.deepEqual(drives.tape_drives.map((d: any) => [d.index, d.status, d.barcode, d.task_id, d.mount_count, d.bandwidth]), [[0, 'online', null, null, 0, 0], [1, 'online', null, null, 0, 0]]);
      assert.equal(drives.tape_drives[0].product, 'Virtual LTO8 drive');
    });

    it('refuses bad input with 422s naming each attribute; never a 500', async () => {
      const missing = await b.admin.post('/tape_libraries', {});
      assertModelError(missing, 422);
      assert.deepEqual(Object.keys(missing.body.details).sort(), ['drives', 'name', 'path', 'slots', 'tape_type']);
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ tape_type: 'data_lto4' })), 422, 'tape_type', 'inclusion');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ type: 'scsi' })), 422, 'type', 'inclusion');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ slots: '5' })), 422, 'slots', 'not_an_integer');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ tapes: 9 })), 422, 'tapes', 'less_than_or_equal_to');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ drives: 0 })), 422, 'drives', 'greater_than_or_equal_to');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ capacity_bytes: 1000 })), 422, 'capacity_bytes', 'greater_than_or_equal_to');
      assertModelError(await b.admin.post('/tape_libraries', { tape_library: { ...libraryBody(), slots: 1.5 } }), 422, 'slots', 'not_an_integer');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ barcode_prefix: 'br' })), 422, 'barcode_prefix');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ path: 'relative/dir' })), 422, 'path', 'invalid');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ name: lib.name })), 422, 'name', 'taken');
      const outside = await mkdtemp(join(tmpdir(), 'barge-tape-outside-'));
      try {
        const r = await b.admin.post('/tape_libraries', libraryBody({ path: join(outside, 'lib') }));
        assertModelError(r, 422, 'path', 'invalid');
        assert.equal(r.body.details.path[0].reason, 'path_not_allowed');
        assert.deepEqual(await readdir(outside), [], 'nothing written outside the root');
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
      const used = join(root, unique('used'));
      await mkdir(used);
      await writeFile(join(used, 'x'), 'x');
      const r = await b.admin.post('/tape_libraries', libraryBody({ path: used }));
      assert.equal(r.body.details.path[0].reason, 'path_not_empty');
      assertModelError(await b.admin.post('/tape_libraries', libraryBody({ path: lib.path })), 422, 'path');
      const blocker = join(root, unique('a-file'));
      await writeFile(blocker, 'in the way');
      const blocked = await b.admin.post('/tape_libraries', libraryBody({ path: join(blocker, 'lib') }));
      assertModelError(blocked, 422, 'path', 'invalid');
      assert.equal(blocked.body.details.path[0].reason, 'io');
    });

    it('numbers barcodes after those taken, per prefix; a wrapped body is accepted', async () => {
      const r = await b.admin.post('/tape_libraries', { tape_library: libraryBody({ tapes: 2, tape_type: 'data_lto9', slots: 2, drives: 1 }) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const tapes = (await b.admin.get(`/tape_libraries/${r.body.id}/tapes`)).body.tapes;
      assert.deepEqual(tapes.map((t: any) => [t.barcode, t.type, t.max]), [['BRG006L9', 'data_lto9', 4 * MiB], ['BRG007L9', 'data_lto9', 4 * MiB]]);
      const other = await b.admin.post('/tape_libraries', libraryBody({ tapes: 1, barcode_prefix: 'VLT', capacity_bytes: undefined, tape_type: 'data_lto6' }));
      assert.equal(other.status, 201, JSON.stringify(other.body));
      const t = (await b.admin.get(`/tape_libraries/${other.body.id}/tapes`)).body.tapes[0];
      assert.deepEqual([t.barcode, t.max], ['VLT001L6', 2.5e12], 'the generation\'s native capacity by default');
      assert.equal((await b.admin.delete(`/tape_libraries/${r.body.id}`)).status, 204);
      assert.equal((await b.admin.delete(`/tape_libraries/${other.body.id}`)).status, 204);
    });

    it('lists and shows with the list conventions: libraries, drives (flat and nested), tapes, counters', async () => {
      const libs = (await b.admin.get(`/tape_libraries?name=${encodeURIComponent(lib.name)}`)).body;
      assert.deepEqual([libs.count, libs.tape_libraries[0].id], [1, lib.id]);
      assert.deepEqual((await b.admin.get(`/tape_libraries/${lib.id}`)).body, lib);
      assertModelError(await b.admin.get('/tape_libraries/nope'), 404, 'id', 'not_found');
      const drives = (await b.admin.get(`/tape_drives?tape_library_id=${lib.id}&sort_by=index:desc`)).body.tape_drives;
      assert.deepEqual(drives.map((d: any) => d.index), [1, 0]);
      assert.deepEqual((await b.admin.get(`/tape_drives/${drives[0].id}`)).body, drives[0]);
      assert.deepEqual((await b.admin.get(`/tape_libraries/${lib.id}/tape_drives/${drives[0].id}`)).body, drives[0]);
      assertModelError(await b.admin.get(`/tape_libraries/${unique('other')}/tape_drives/${drives[0].id}`), 404);
      assert.deepEqual((await tapesOf('?barcode=><BRG002L8|BRG004L8&sort_by=barcode:desc')).map((t) => t.barcode), ['BRG004L8', 'BRG002L8']);
      assert.equal((await tapesOf(`?free=>=${4 * MiB}&mounted=false`)).length, 5);
      assertModelError(await b.admin.get('/tapes?mounted=maybe&sort_by=color'), 422);
      const tape = (await tapesOf())[2];
      assert.deepEqual((await b.admin.get(`/tapes/${tape.id}`)).body, tape);
      assert.deepEqual((await b.admin.get(`/tapes/${tape.id}/mount`)).body, {
        mounted: false, message: `BRG003L8 is in slot 2 of library ${lib.name}`, barcode: 'BRG003L8', location: 'slot', location_index: 2, tape_library_id: lib.id, tape_drive_id: null,
      });
      const stat1 = (await b.admin.get(`/tapes/${tape.id}/tape_stat`)).body;
      assert.deepEqual(stat1, {
        tape_id: tape.id, barcode: 'BRG003L8', log_time: tape.updated_at, mounts: 0, datasets_written: 0, lifetime_mbytes_written: 0, lifetime_mbytes_read: 0,
        total_native_capacity: 4, total_used_native_capacity: 0, write_protect: false, worm: false,
      });
      const stats = (await b.admin.get(`/tape_stats?tape_library_id=${lib.id}`)).body;
      assert.equal(stats.count, 5);
      assert.deepEqual(stats.tape_stats[2], stat1);
    });

    it('a drive names the cartridge it holds and the execution using it; mount tells where a tape is', async () => {
      const tape = (await tapesOf())[1];
      const drive = (await b.admin.get(`/tape_libraries/${lib.id}/tape_drives?index=1`)).body.tape_drives[0];
      // What the engine's tape integration will record when it loads a cartridge for an execution.
      await b.barge.store.db.updateTable('tapes').set({ location: 'drive', location_index: 1, mounted: 1 }).where('id', '=', tape.id).execute();
      await b.barge.store.db.updateTable('tape_drives').set({ execution_id: 'exec-1', task_id: 'task-1' }).where('id', '=', drive.id).execute();
      const d = (await b.admin.get(`/tape_drives/${drive.id}`)).body;
      assert.deepEqual([d.barcode, d.execution_id, d.task_id], [tape.barcode, 'exec-1', 'task-1']);
      assert.deepEqual((await b.admin.get(`/tape_drives?barcode=${tape.barcode}`)).body.tape_drives.map((x: any) => x.id), [drive.id]);
      const m = (await b.admin.get(`/tapes/${tape.id}/mount`)).body;
      assert.deepEqual([m.mounted, m.location, m.location_index, m.tape_drive_id], [true, 'drive', 1, drive.id]);
      assertModelError(await b.admin.delete(`/tape_libraries/${lib.id}`), 422, 'id', 'restrict_dependent_destroy');
      await b.barge.store.db.updateTable('tapes').set({ location: 'slot', location_index: 1, mounted: 0 }).where('id', '=', tape.id).execute();
      await b.barge.store.db.updateTable('tape_drives').set({ execution_id: null, task_id: null }).where('id', '=', drive.id).execute();
    });

    it('tapes join pools of content tape only; users see the tapes of pools they may read', async () => {
      const tapePool = (await b.admin.post('/pools', { name: unique('tp'), type: 'active_archive', content: 'tape' })).body;
      const nasPool = (await b.admin.post('/pools', { name: unique('np'), type: 'primary', content: 'nas' })).body;
      const [t1, t2, t3] = await tapesOf();
      assertModelError(await b.admin.put(`/tapes/${t1.id}`, { pool_id: nasPool.id }), 422, 'pool_id', 'inclusion');
      assertModelError(await b.admin.put(`/tapes/${t1.id}`, { pool_id: unique('nope') }), 422, 'pool_id', 'not_found');
      const u = await b.admin.put(`/tapes/${t1.id}`, { pool_id: tapePool.id, locked: true, barcode: 'IGNORED' });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.deepEqual([u.body.pool_id, u.body.tape_pool_id, u.body.locked, u.body.barcode], [tapePool.id, tapePool.id, true, t1.barcode]);
      const added = await b.admin.post(`/pools/${tapePool.id}/tapes`, { barcode: t2.barcode });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.pool_id, tapePool.id);
      assertModelError(await b.admin.post(`/pools/${nasPool.id}/tapes`, { tape_id: t3.id }), 422, 'pool_id', 'inclusion');
      assertModelError(await b.admin.post(`/pools/${tapePool.id}/tapes`, {}), 422, 'tape_id', 'blank');
      assert.deepEqual((await b.admin.get(`/pools/${tapePool.id}/tapes`)).body.tapes.map((t: any) => t.barcode), [t1.barcode, t2.barcode]);
      assert.deepEqual((await b.admin.get(`/tapes?pool_id=${tapePool.id}`)).body.count, 2);

      const user = await makeUser(b.admin);
      assert.deepEqual((await user.client.get('/tapes')).body, { count: 0, tapes: [] });
      assertModelError(await user.client.get(`/pools/${tapePool.id}/tapes`), 404);
      assertModelError(await user.client.get(`/tapes/${t1.id}`), 404);
      await b.admin.put(`/pools/${tapePool.id}`, { guest_right: 'read' });
      assert.deepEqual((await user.client.get('/tapes')).body.tapes.map((t: any) => t.barcode), [t1.barcode, t2.barcode]);
      assert.equal((await user.client.get(`/tapes/${t1.id}/mount`)).status, 200);
      assert.equal((await user.client.get('/tape_stats')).body.count, 2);
      assertModelError(await user.client.get(`/tapes/${t3.id}`), 404, 'id', 'not_found');
      assertModelError(await user.client.put(`/tapes/${t1.id}`, { locked: false }), 403);
      assertModelError(await user.client.post(`/pools/${tapePool.id}/tapes`, { tape_id: t3.id }), 403);
      assertModelError(await user.client.get('/tape_libraries'), 403);
      assertModelError(await user.client.get('/tape_drives'), 403);
      assertModelError(await user.client.get(`/tape_libraries/${lib.id}/tapes`), 403);
      assertModelError(await user.client.post('/tape_libraries', libraryBody()), 403);

      const key = await b.admin.post('/users/me/api_keys', { name: unique('key'), api_key_scopes: [{ controller: 'tapes', action: 'index' }] });
      const k = b.api.withAuth(key.body.key);
      assert.equal((await k.get('/tapes')).status, 200);
      assert.equal((await k.get('/tape_libraries')).status, 403, 'the key\'s scope covers tapes / index only');
      // Leave the tapes free for the tests that follow.
      for (const t of [t1, t2]) await b.admin.put(`/tapes/${t.id}`, { pool_id: null, locked: false });
    });

    it('write_protect sets the cartridge\'s tab: its file refuses writes', async () => {
      const t = (await tapesOf())[3];
      const file = join(lib.path, 'cartridges', `${t.barcode}.tar`);
      const r = await b.admin.put(`/tapes/${t.id}`, { write_protect: true });
      assert.equal(r.body.write_protect, true);
      assert.equal((await stat(file)).mode & 0o222, 0);
      const vtl = await VirtualTapeLibrary.open(lib.path);
      const d = await vtl.acquireDrive({ owner: 'test' });
      await d.load(t.barcode);
      await assert.rejects(d.openWrite(), { code: 'write_protected' });
      await d.unload();
      d.release();
      assert.equal((await b.admin.put(`/tapes/${t.id}`, { write_protect: false })).body.write_protect, false);
      assert.notEqual((await stat(file)).mode & 0o222, 0);
      assertModelError(await b.admin.put(`/tapes/${t.id}`, { write_protect: 'yes' }), 422, 'write_protect');
    });

    it('a library whose cartridges hold data is not deleted; once they are blank it goes with its files', async () => {
      const body = libraryBody({ tapes: 2, slots: 2, drives: 1 });
      const r = await b.admin.post('/tape_libraries', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const [c1, c2] = ((await b.admin.get(`/tape_libraries/${r.body.id}/tapes`)).body.tapes as any[]).map((t) => t.barcode as string);
      const vtl = await VirtualTapeLibrary.open(r.body.path);
      const d = await vtl.acquireDrive({ owner: 'test' });
      await d.load(c1!);
      const s = await d.openWrite();
      await s.writeFile({ path: 'precious', size: 3, mtimeMs: 1_700_000_000_000, mode: 0o644 }, [Buffer.from('abc')]);
      await s.close();
      const refused = await b.admin.delete(`/tape_libraries/${r.body.id}`);
      assertModelError(refused, 422, 'id', 'restrict_dependent_destroy');
      assert.deepEqual((await tarNames(join(r.body.path, 'cartridges', `${c1}.tar`))).filter((n) => !n.startsWith('.barge')), ['precious'], 'the data is still there');
      // The store knows of data too (what the engine records): refused from the rows alone.
      await b.barge.store.db.updateTable('tapes').set({ used_bytes: 4096, sessions: 1 }).where('barcode', '=', c2!).execute();
      const again = await b.admin.delete(`/tape_libraries/${r.body.id}`);
      assert.deepEqual(again.body.details.id[0].barcodes, [c2]);
      await b.barge.store.db.updateTable('tapes').set({ used_bytes: 0, sessions: 0 }).where('barcode', '=', c2!).execute();
      await d.format({ overwrite: true });
      await d.unload();
      d.release();
      assert.equal((await b.admin.delete(`/tape_libraries/${r.body.id}`)).status, 204);
      await assert.rejects(stat(r.body.path), { code: 'ENOENT' });
      assertModelError(await b.admin.get(`/tape_libraries/${r.body.id}`), 404);
      assert.equal((await b.admin.get(`/tapes?barcode=${c1}`)).body.count, 0, 'its tapes went with it');
    });
  });
}
