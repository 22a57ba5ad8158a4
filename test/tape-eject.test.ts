/**
 * Ejecting cartridges (#12, Barge's `POST /tape_libraries/{id}/eject`) on the real server with a
 * virtual library in a temporary folder: the robot takes each cartridge to a mailslot and it leaves
 * the library — rows (`offline`, `ejected`) and the changer's memory (`library.json`) agree; another
 * instance of the same library (the engine's) does not undo it with its own moves; bad lists move
 * nothing (unknown, another library's, in a drive); a move the changer refuses is a 422 with its
 * reason; admins only. On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { VirtualTapeLibrary } from '../src/storage/tape/virtual-library.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const MiB = 1024 * 1024;

for (const dialect of dialects()) {
  describe(`tape eject (${dialect})`, () => {
    let b: Booted;
    let root: string;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-eject-'));
      b = await boot({ dialect, env: { BARGE_TAPE_ROOTS: root } });
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const newLibrary = async (extra: Record<string, unknown> = {}) => {
      const r = await b.admin.post('/tape_libraries', {
        name: unique('vtl'), path: join(root, unique('lib')), slots: 6, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 4,
        capacity_bytes: 4 * MiB, load_seconds: 0, seek_mb_per_second: 0, ...extra,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const tapes = (await b.admin.get(`/tape_libraries/${r.body.id}/tapes?sort_by=barcode`)).body.tapes as any[];
      return { lib: r.body, barcodes: tapes.map((t) => t.barcode as string) };
    };
    const state = async (path: string) => JSON.parse(await readFile(join(path, 'library.json'), 'utf8'));
    const tape = async (barcode: string) => (await b.admin.get(`/tapes?barcode=${barcode}`)).body.tapes[0];

    it('takes cartridges through the mailslot out of the library: ejected, offline, in the rows and the changer', async () => {
      const { lib, barcodes } = await newLibrary();
      // An instance opened before the eject, as the engine's would be: its later moves must not undo it.
      const engineSide = await VirtualTapeLibrary.open(lib.path);
      const [a, c, d] = [barcodes[0]!, barcodes[2]!, barcodes[3]!];
      const r = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [a, c] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.count, 2);
      assert.deepEqual(r.body.tapes.map((t: any) => [t.barcode, t.location, t.location_index, t.ejected, t.mounted]), [[a, 'offline', null, true, false], [c, 'offline', null, true, false]]);
      for (const code of [a, c]) {
        const t = await tape(code);
        assert.deepEqual([t.location, t.ejected], ['offline', true]);
        const mount = (await b.admin.get(`/tapes/${t.id}/mount`)).body;
        assert.match(mount.message, /ejected/);
      }
      let s = await state(lib.path);
      assert.deepEqual(s.offline, [a, c], 'both went out, one after the other through the one mailslot');
      assert.deepEqual(s.mailslots, [null]);
      assert.equal(s.slots[0], null);
      assert.equal(s.slots[1], barcodes[1]);
      // The engine's instance loads and unloads another cartridge: the ejected ones stay out.
      const lease = await engineSide.acquireDrive({ owner: 'test', signal: AbortSignal.timeout(5000) });
      await lease.load(d);
      await lease.unload();
      lease.release();
      s = await state(lib.path);
      assert.deepEqual(s.offline, [a, c]);
      assert.equal(s.slots[3], d);
      assert.deepEqual((await engineSide.inventory()).offline, [a, c]);
      // Ejecting an ejected cartridge changes nothing.
      const again = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { tape_library: { barcodes: [a] } });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body.tapes.map((t: any) => [t.barcode, t.location]), [[a, 'offline']]);
      assert.deepEqual((await state(lib.path)).offline, [a, c]);
    });

    it('moves nothing for a bad list: blank, not a list, unknown or another library\'s barcodes, a cartridge in a drive', async () => {
      const { lib, barcodes } = await newLibrary();
      const other = await newLibrary();
      const before = await state(lib.path);
      assertModelError(await b.admin.post(`/tape_libraries/${lib.id}/eject`, {}), 422, 'barcodes', 'blank');
      assertModelError(await b.admin.post(`/tape_libraries/${lib.id}/eject`, { tape_library: { barcodes: 'X' } }), 422, 'barcodes', 'invalid');
      assertModelError(await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: 'X' }), 422, 'barcodes');
      const unknown = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[0], 'NOPE01L8', other.barcodes[0]] });
      assertModelError(unknown, 422, 'barcodes', 'not_found');
      assert.deepEqual(unknown.body.details.barcodes[0].value, ['NOPE01L8', other.barcodes[0]]);
      assertModelError(await b.admin.post(`/tape_libraries/${unique('nope')}/eject`, { barcodes: [barcodes[0]] }), 404);

      // A cartridge in a drive (rows and changer agree): refused by name, and the others do not move either.
      const changer = await VirtualTapeLibrary.open(lib.path);
      const lease = await changer.acquireDrive({ owner: 'test', signal: AbortSignal.timeout(5000) });
      await lease.load(barcodes[1]!);
      const loaded = await tape(barcodes[1]!);
      await b.barge.store.db.updateTable('tapes').set({ location: 'drive', location_index: 0, mounted: 1 }).where('id', '=', loaded.id).execute();
      const inDrive = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[0], barcodes[1]] });
      assertModelError(inDrive, 422, 'barcodes', 'invalid');
      assert.equal(inDrive.body.details.barcodes[0].reason, 'in_drive');
      assert.match(inDrive.body.messages[0], new RegExp(`${barcodes[1]} \\(drive 0\\)`));
      assert.equal((await tape(barcodes[0]!)).location, 'slot');

      // The rows say slot but the changer has it in a drive (rows behind the hardware): the changer's refusal, by reason.
      await b.barge.store.db.updateTable('tapes').set({ location: 'slot', location_index: 1, mounted: 0 }).where('id', '=', loaded.id).execute();
      const busy = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[1]] });
      assertModelError(busy, 422, 'barcodes', 'invalid');
      assert.equal(busy.body.details.barcodes[0].reason, 'drive_busy');
      await lease.unload();
      lease.release();
      const after = await state(lib.path);
      assert.deepEqual([after.slots, after.mailslots, after.offline], [before.slots, before.mailslots, before.offline]);
    });

    it('a move the changer refuses stops the list there: a full mailslot; a cartridge the rows had in its slot; those ejected before stay ejected', async () => {
      const { lib, barcodes } = await newLibrary();
      // Someone left a cartridge in the one mailslot (the changer moved it; nobody took it out).
      const changer = await VirtualTapeLibrary.open(lib.path);
      await changer.moveToMailslot(barcodes[3]!);
      const r = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[0]] });
      assertModelError(r, 422, 'barcodes', 'invalid');
      assert.equal(r.body.details.barcodes[0].reason, 'no_free_slot');
      assert.equal((await tape(barcodes[0]!)).location, 'slot');
      await changer.eject(barcodes[3]!);
      // The second of the list is in a drive by the changer (rows behind): the first stays ejected, the message says so.
      const lease = await changer.acquireDrive({ owner: 'test', signal: AbortSignal.timeout(5000) });
      await lease.load(barcodes[2]!);
      const half = await b.admin.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[0], barcodes[2]] });
      assertModelError(half, 422, 'barcodes', 'invalid');
      assert.equal(half.body.details.barcodes[0].reason, 'drive_busy');
      assert.match(half.body.messages[0], new RegExp(`ejected before it: ${barcodes[0]}`));
      assert.deepEqual([(await tape(barcodes[0]!)).location, (await tape(barcodes[2]!)).location], ['offline', 'slot']);
      assert.deepEqual((await state(lib.path)).offline, [barcodes[3], barcodes[0]]);
      await lease.unload();
      lease.release();
    });

    it('is admins\' only', async () => {
      const { lib, barcodes } = await newLibrary();
      const u = await makeUser(b.admin);
      const r = await u.client.post(`/tape_libraries/${lib.id}/eject`, { barcodes: [barcodes[0]] });
      assertModelError(r, 403);
      assert.equal((await tape(barcodes[0]!)).location, 'slot');
    });
  });
}
