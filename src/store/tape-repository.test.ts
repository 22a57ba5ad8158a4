/**
 * The tape tables (migration 0016) on a real migrated store of each dialect: a library inserted with
 * its drives and tapes or not at all, taken names and barcodes, the loaded cartridge joined to its
 * drive, what blocks a delete, cascades, a deleted pool letting its tapes go, and the catalog of
 * files on tape (idempotent per session, read in tape order).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './db.js';
import { openTestStore, testDialects } from './test-stores.js';
import { TapeRepository } from './tape-repository.js';
import { TapeFileRepository } from './tape-file-repository.js';
import type { TapeDriveRow, TapeFileRow, TapeLibraryRow, TapeRow } from './schema.js';
import { parseListQuery } from '../domain/list-query.js';
import { TAPE_LIST } from '../services/tape-service.js';
import { UniqueTaken } from '../domain/conflicts.js';

const T0 = '2026-01-01T00:00:00.000Z';

function library(id: string, name = id): TapeLibraryRow {
  return {
    id, name, type: 'virtual', path: `/tmp/${id}`, comment: null, slots: 4, drives: 2, mailslots: 1, tape_type: 'data_lto8', capacity_bytes: 1000,
    load_seconds: 0, seek_mb_per_second: 0, barcode_prefix: 'BRG', status: 'online', created_at: T0, updated_at: T0,
  };
}
function drive(lib: string, i: number): TapeDriveRow {
  return {
    id: `${lib}-d${i}`, tape_library_id: lib, drive_index: i, name: `d${i}`, serial: `s${i}`, status: 'online', execution_id: null, task_id: null,
    mount_count: 0, bandwidth: 0, bytes_written: 0, bytes_read: 0, created_at: T0, updated_at: T0,
  };
}
function tape(lib: string, barcode: string, slot: number, extra: Partial<TapeRow> = {}): TapeRow {
  return {
    id: `${lib}-${barcode}`, tape_library_id: lib, pool_id: null, barcode, type: 'data_lto8', location: 'slot', location_index: slot, home_slot: slot,
    locked: 0, scratch: 1, cleaning: 0, write_protect: 0, mounted: 0, ejected: 0, mount_count: 0, capacity_bytes: 1000, used_bytes: 0, free_bytes: 1000,
    sessions: 0, hash: null, secondary_of: null, bytes_written: 0, bytes_read: 0, date_in: T0, date_move: T0, last_size_update: null, created_at: T0, updated_at: T0, ...extra,
  };
}
function file(tapeId: string, session: number, path: string, offset: number): TapeFileRow {
  return { tape_id: tapeId, session_no: session, path, data_offset: offset, header_offset: offset - 1536, size: 10, checksum: 'abc', algorithm: 'xxhash64', mtime_ms: 1.5, mode: 0o644, execution_id: null, recorded_at: T0 };
}

for (const dialect of testDialects()) {
  describe(`tape repositories (${dialect})`, () => {
    let store: Store;
    let done: () => Promise<void>;
    let repo: TapeRepository;
    let files: TapeFileRepository;
    before(async () => {
      ({ store, done } = await openTestStore(dialect, 'tape'));
      repo = new TapeRepository(store.db, store.dialect);
      files = new TapeFileRepository(store.db);
      await repo.insertLibrary(library('L1'), [drive('L1', 0), drive('L1', 1)], [tape('L1', 'BRG001L8', 0), tape('L1', 'BRG002L8', 1), tape('L1', 'BRG003L8', 2)]);
    });
    after(async () => done?.());

    const q = (query: Record<string, unknown> = {}) => parseListQuery(query, TAPE_LIST);

    it('inserts a library with its drives and tapes, or nothing when a name or barcode is taken', async () => {
      await assert.rejects(repo.insertLibrary(library('L2', 'L1'), [drive('L2', 0)], []), (e: unknown) => e instanceof UniqueTaken && e.attribute === 'name');
      await assert.rejects(repo.insertLibrary(library('L3'), [drive('L3', 0)], [tape('L3', 'BRG009L8', 0), tape('L3', 'BRG001L8', 1)]), (e: unknown) => e instanceof UniqueTaken && e.attribute === 'barcode');
      assert.equal(await repo.findLibrary('L3'), undefined, 'nothing of the failed library is left');
      assert.equal((await repo.listDrives(parseListQuery({}, { filters: {}, sortable: [] }))).count, 2);
      assert.deepEqual((await repo.barcodesWithPrefix('BRG')).sort(), ['BRG001L8', 'BRG002L8', 'BRG003L8']);
    });

    it('joins the loaded cartridge to its drive', async () => {
      await repo.updateTape('L1-BRG002L8', { location: 'drive', location_index: 1, mounted: 1 });
      const d = await repo.findDrive('L1-d1');
      assert.equal(d?.barcode, 'BRG002L8');
      assert.equal((await repo.findDrive('L1-d0'))?.barcode, null);
      const all = await repo.listDrives(parseListQuery({}, { filters: {}, sortable: [] }), 'L1');
      assert.deepEqual(all.rows.map((r) => [r.drive_index, r.barcode]), [[0, null], [1, 'BRG002L8']]);
      await repo.updateTape('L1-BRG002L8', { location: 'slot', location_index: 1, mounted: 0 });
    });

    it('filters tapes on booleans, sizes and Nodeum\'s names', async () => {
      await repo.updateTape('L1-BRG003L8', { used_bytes: 600, free_bytes: 400, scratch: 0, sessions: 1 });
      assert.deepEqual((await repo.listTapes(q({ free: '<500' }))).rows.map((t) => t.barcode), ['BRG003L8']);
      assert.deepEqual((await repo.listTapes(q({ scratch: 'true', sort_by: 'barcode:desc' }))).rows.map((t) => t.barcode), ['BRG002L8', 'BRG001L8']);
      assert.equal((await repo.listTapes(q({ used: '>0', max: '1000' }))).count, 1);
      assert.deepEqual((await repo.libraryInUse('L1')).tapesWithData, ['BRG003L8']);
      await repo.updateTape('L1-BRG003L8', { used_bytes: 0, free_bytes: 1000, scratch: 1, sessions: 0 });
    });

    it('records the files of a session once, and reads them in tape order', async () => {
      const rows = [file('L1-BRG001L8', 1, 'b', 3072), file('L1-BRG001L8', 1, 'a', 1536), file('L1-BRG002L8', 1, 'a', 1536)];
      await files.recordSession(rows);
      await files.recordSession(rows);
      assert.deepEqual((await files.onTape('L1-BRG001L8')).map((f) => [f.path, f.data_offset]), [['a', 1536], ['b', 3072]]);
      assert.deepEqual((await files.onTape('L1-BRG001L8', 10, 1536)).map((f) => f.path), ['b']);
      assert.deepEqual((await files.locate(['b', 'a'])).map((f) => [f.barcode, f.path]), [['BRG001L8', 'a'], ['BRG001L8', 'b'], ['BRG002L8', 'a']]);
      assert.deepEqual(await files.countOnTape('L1-BRG001L8'), { files: 2, bytes: 20 });
      assert.equal((await files.locate(['a']))[0]?.mtime_ms, 1.5);
      assert.deepEqual((await repo.libraryInUse('L1')).tapesWithData, ['BRG001L8', 'BRG002L8'], 'catalogued files count as data');
      await files.forgetTape('L1-BRG002L8');
      assert.deepEqual(await files.countOnTape('L1-BRG002L8'), { files: 0, bytes: 0 });
    });

    it('a deleted pool lets its tapes go; a deleted library takes its drives, tapes and files', async () => {
      await store.db.insertInto('pools').values({ id: 'p1', name: 'p1', comment: null, type: 'active_archive', content: 'tape', guest_right: 'none', created_at: T0, updated_at: T0 }).execute();
      await repo.updateTape('L1-BRG001L8', { pool_id: 'p1' });
      await store.db.deleteFrom('pools').where('id', '=', 'p1').execute();
      assert.equal((await repo.findTape('L1-BRG001L8'))?.pool_id, null);
      await repo.deleteLibrary('L1');
      assert.equal((await repo.listTapes(q())).count, 0);
      assert.equal((await store.db.selectFrom('tape_drives').selectAll().execute()).length, 0);
      assert.equal((await store.db.selectFrom('tape_files').selectAll().execute()).length, 0);
    });
  });
}
