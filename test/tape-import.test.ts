/**
 * Importing ejected cartridges back (#12, Barge's `POST /tape_libraries/{id}/import`; the CLI's
 * `barge tape import` is in cli-tape.test.ts) on the real server with its engine and a virtual library in a temporary folder: an
 * ejected cartridge returns to its home slot (rows and the changer's `library.json` agree), keeps its
 * pool and what it holds, and is written again by an archive that could not run while it was out;
 * bad lists move nothing; cartridges already in the library are left as they are; admins only.
 * On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { makeTree } from './helpers/trees.js';
import { finished, poolOnTape, runTask, tapeLab, type TapeLab } from './helpers/tape-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const MiB = 1024 * 1024;

for (const dialect of dialects()) {
  describe(`tape import (${dialect})`, () => {
    let b: Booted;
    let root: string;
    let lab: TapeLab;
    let pool: string;
    let s: Record<string, { id: string; path: string }>;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'barge-tape-import-'));
      b = await boot({ dialect, engine: true, env: { BARGE_TAPE_ROOTS: root } });
      const l = await tapeLab(b, root, { drives: 1, tapes: [1, 2], capacity: 4 * MiB, loadSeconds: 0 });
      lab = l;
      pool = l.poolIds[0]!;
      s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a/f${i}.bin`, 1000])));
    });
    after(async () => {
      await b?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const state = async () => JSON.parse(await readFile(join(lab.lib.path, 'library.json'), 'utf8'));
    const tape = async (barcode: string) => (await b.admin.get(`/tapes?barcode=${barcode}`)).body.tapes[0];
    const archive = () => runTask(b, { workflow_action: 'copy', sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/a'] }], destinations: [{ type: 'tape', pool_id: pool, node_paths: ['/'] }] });

    it('brings an ejected cartridge back to its home slot, in its pool with what it holds; an archive writes to it again', async () => {
      const [barcode] = lab.pools.get(pool)!;
      const first = await archive();
      assert.equal((await finished(b, lab, first.execution)).status, 'done');
      const home = (await state()).slots.indexOf(barcode);
      assert.ok(home >= 0);
      assert.equal((await b.admin.post(`/tape_libraries/${lab.lib.id}/eject`, { barcodes: [barcode] })).status, 200);
      // Out of the library: an archive into its pool has no cartridge to write.
      const refused = await archive();
      const e = await finished(b, lab, refused.execution);
      assert.equal(e.status, 'error', JSON.stringify(e));
      assert.match(e.error, /ejected/);

      const r = await b.admin.post(`/tape_libraries/${lab.lib.id}/import`, { barcodes: [barcode] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.count, 1);
      assert.deepEqual(r.body.tapes.map((t: any) => [t.barcode, t.location, t.location_index, t.ejected, t.pool_id]), [[barcode, 'slot', home, false, pool]]);
      const row = await tape(barcode!);
      assert.deepEqual([row.location, row.location_index, row.ejected, row.sessions], ['slot', home, false, 1]);
      const st = await state();
      assert.equal(st.slots[home], barcode);
      assert.ok(!st.offline.includes(barcode));
      assert.match((await b.admin.get(`/tapes/${row.id}/mount`)).body.message, new RegExp(`in slot ${home}`));

      const again = await archive();
      const e2 = await finished(b, lab, again.execution);
      assert.equal(e2.status, 'done', JSON.stringify(e2));
      assert.equal((await tape(barcode!)).sessions, 2, 'written again after the import');
      assert.equal((await poolOnTape(lab, pool)).paths.length, 40, 'both archives on it, the first kept');
      // Importing a cartridge that is in the library changes nothing.
      const noop = await b.admin.post(`/tape_libraries/${lab.lib.id}/import`, { tape_library: { barcodes: [barcode] } });
      assert.equal(noop.status, 200, JSON.stringify(noop.body));
      assert.deepEqual(noop.body.tapes.map((t: any) => [t.barcode, t.location]), [[barcode, 'slot']]);
    });

    it('moves nothing for a bad list: blank, not a list, unknown or another library\'s barcodes; 404 for no library', async () => {
      const [x, y] = lab.pools.get(lab.poolIds[1]!)!;
      assert.equal((await b.admin.post(`/tape_libraries/${lab.lib.id}/eject`, { barcodes: [x] })).status, 200);
      const before = await state();
      assertModelError(await b.admin.post(`/tape_libraries/${lab.lib.id}/import`, {}), 422, 'barcodes', 'blank');
      assertModelError(await b.admin.post(`/tape_libraries/${lab.lib.id}/import`, { tape_library: { barcodes: 'X' } }), 422, 'barcodes', 'invalid');
      const unknown = await b.admin.post(`/tape_libraries/${lab.lib.id}/import`, { barcodes: [x, 'NOPE01L8'] });
      assertModelError(unknown, 422, 'barcodes', 'not_found');
      assert.deepEqual(unknown.body.details.barcodes[0].value, ['NOPE01L8']);
      assertModelError(await b.admin.post(`/tape_libraries/${unique('nope')}/import`, { barcodes: [x] }), 404);
      assert.deepEqual(await state(), before);
      assert.equal((await tape(x!)).location, 'offline');
      // Admins only.
      const u = await makeUser(b.admin);
      assertModelError(await u.client.post(`/tape_libraries/${lab.lib.id}/import`, { barcodes: [x] }), 403);
      assert.equal((await tape(x!)).location, 'offline');
      assert.equal((await tape(y!)).location, 'slot');
    });
  });
}
