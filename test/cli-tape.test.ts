/**
 * `barge tape …` (#12), the real binary against a booted server with a virtual library in a temporary
 * folder: a library is created from flags; libraries, drives and cartridges are listed as the API's
 * bodies (`--json`) and as tables (fill, location, flags), filtered by library or pool; a library is
 * named by name or id, a tape by barcode or id; `tape eject` takes cartridges out of the library
 * (grouped by library) and the rows say so, `tape import` brings them back; missing flags, unknown names and non-admins are refused
 * with the reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertFailure, signedInSandbox, type CliSandbox } from './helpers/cli.js';

const MiB = 1024 * 1024;

/** A borderless table as rows of header → cell, cut at the headers' columns (cells may hold spaces). */
function readTable(out: string): Array<Record<string, string>> {
  const [head, ...lines] = out.trimEnd().split('\n');
  const names = (head ?? '').split(/\s+/).filter(Boolean);
  const starts = names.map((n) => (head as string).indexOf(n));
  return lines.map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1]).trim()])));
}

describe('barge CLI: tape', () => {
  let b: Booted;
  let root: string;
  let admin: CliSandbox;
  let user: CliSandbox | undefined;
  const name = unique('vtl');
  let libId: string;
  let libPath: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'barge-cli-tape-'));
    b = await boot({ env: { BARGE_TAPE_ROOTS: root } });
    admin = await signedInSandbox(b.url);
    libPath = join(root, 'lib');
    libId = (await admin.ok([
      'tape', 'library', 'create', '--name', name, '--path', libPath, '--slots', '6', '--drives', '2', '--mailslots', '1', '--tape-type', 'data_lto8',
      '--tapes', '4', '--capacity-bytes', String(4 * MiB), '--load-seconds', '0', '--seek-mb-per-second', '0', '--barcode-prefix', 'CLI',
    ])).trim();
  });
  after(async () => {
    await user?.cleanup();
    await admin?.cleanup();
    await b?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('library create takes the body\'s fields as flags; list and show (by name or id)', async () => {
    const lib = (await b.admin.get(`/tape_libraries/${libId}`)).body;
    assert.deepEqual([lib.name, lib.slots, lib.drives, lib.mailslots, lib.tape_type, lib.capacity_bytes, lib.load_seconds, lib.barcode_prefix], [name, 6, 2, 1, 'data_lto8', 4 * MiB, 0, 'CLI']);
    const body = await admin.json(['tape', 'library', 'list']);
    assert.deepEqual([body.count, body.tape_libraries[0].id], [1, libId]);
    const rows = readTable(await admin.ok(['tape', 'library', 'list']));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'NAME', 'TYPE', 'TAPE_TYPE', 'SLOTS', 'DRIVES', 'MAILSLOTS', 'CAPACITY', 'STATUS', 'PATH']);
    assert.deepEqual([rows[0]!.NAME, rows[0]!.SLOTS, rows[0]!.DRIVES, rows[0]!.CAPACITY, rows[0]!.STATUS], [name, '6', '2', '4.00 MiB', 'online']);
    assert.deepEqual(await admin.json(['tape', 'library', 'show', name]), lib);
    assert.equal((await admin.json(['tape', 'library', 'show', libId])).name, name);
    assert.match(await admin.ok(['tape', 'library', 'show', name]), /^tape_type\s+data_lto8$/m);
    assertFailure(await admin.run(['tape', 'library', 'show', 'nope']), 1, 'unknown tape library "nope"');
    assertFailure(await admin.run(['tape', 'library', 'create', '--name', 'x', '--slots', '2']), 2, 'missing --path, --drives, --tape-type');
    const bad = await admin.run(['tape', 'library', 'create', '--name', unique('x'), '--path', 'relative', '--slots', '2', '--drives', '1', '--tape-type', 'data_lto8']);
    assertFailure(bad, 1, /Path/i);
  });

  it('drive list|show: what each drive holds and serves, per library', async () => {
    const body = await admin.json(['tape', 'drive', 'list', '--library', name]);
    assert.equal(body.count, 2);
    const rows = readTable(await admin.ok(['tape', 'drive', 'list', '--library', name, '--sort', 'index']));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'INDEX', 'NAME', 'STATUS', 'BARCODE', 'TASK', 'EXECUTION', 'MOUNTS', 'BANDWIDTH']);
    assert.deepEqual(rows.map((r) => [r.INDEX, r.STATUS, r.BARCODE, r.TASK, r.EXECUTION, r.MOUNTS]), [['0', 'online', '-', '-', '-', '0'], ['1', 'online', '-', '-', '-', '0']]);
    const one = await admin.json(['tape', 'drive', 'show', body.tape_drives[0].id]);
    assert.deepEqual(one, (await b.admin.get(`/tape_drives/${body.tape_drives[0].id}`)).body);
    assert.equal((await admin.json(['tape', 'drive', 'list'])).count, 2);
  });

  it('tape list|show: location, fill and flags; by library, by pool; a tape by barcode or id', async () => {
    const rows = readTable(await admin.ok(['tape', 'tape', 'list', '--library', name, '--sort', 'barcode']));
    assert.deepEqual(Object.keys(rows[0]!), ['BARCODE', 'ID', 'LOCATION', 'POOL', 'USED', 'SESSIONS', 'FLAGS']);
    assert.deepEqual(rows.map((r) => [r.BARCODE, r.LOCATION, r.USED, r.FLAGS]), [0, 1, 2, 3].map((i) => [`CLI00${i + 1}L8`, `slot ${i}`, '0 B / 4.00 MiB (0%)', 'scratch']));
    const pool = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const tape = (await b.admin.get('/tapes?barcode=CLI002L8')).body.tapes[0];
    assert.equal((await b.admin.put(`/tapes/${tape.id}`, { pool_id: pool.body.id, locked: true, write_protect: true })).status, 200);
    const inPool = await admin.json(['tape', 'tape', 'list', '--pool', pool.body.id]);
    assert.deepEqual(inPool.tapes.map((t: any) => t.barcode), ['CLI002L8']);
    const row = readTable(await admin.ok(['tape', 'tape', 'list', '--pool', pool.body.id]))[0]!;
    assert.deepEqual([row.BARCODE, row.POOL, row.FLAGS], ['CLI002L8', pool.body.id, 'locked,write_protect,scratch']);
    assert.deepEqual(await admin.json(['tape', 'tape', 'show', 'CLI002L8']), { ...tape, pool_id: pool.body.id, tape_pool_id: pool.body.id, locked: true, write_protect: true, updated_at: inPool.tapes[0].updated_at });
    assert.equal((await admin.json(['tape', 'tape', 'show', tape.id])).barcode, 'CLI002L8');
    assert.equal((await admin.json(['tape', 'tape', 'list', '--filter', 'location=slot'])).count, 4);
    assertFailure(await admin.run(['tape', 'tape', 'show', 'NOPE99L8']), 1, 'unknown tape "NOPE99L8"');
    assertFailure(await admin.run(['tape', 'tape', 'list', '--library', name, '--pool', pool.body.id]), 2, 'not both');
  });

  it('eject BARCODE…: through the mailslot, out of the library; refused for non-admins and unknown barcodes', async () => {
    const rows = readTable(await admin.ok(['tape', 'eject', 'CLI003L8', 'CLI004L8']));
    assert.deepEqual(rows.map((r) => [r.BARCODE, r.LOCATION, r.FLAGS]), [['CLI003L8', 'offline', 'scratch,ejected'], ['CLI004L8', 'offline', 'scratch,ejected']]);
    const listed = await admin.json(['tape', 'tape', 'list', '--filter', 'ejected=true', '--sort', 'barcode']);
    assert.deepEqual(listed.tapes.map((t: any) => [t.barcode, t.location]), [['CLI003L8', 'offline'], ['CLI004L8', 'offline']]);
    const state = JSON.parse(await readFile(join(libPath, 'library.json'), 'utf8'));
    assert.deepEqual([state.offline, state.mailslots], [['CLI003L8', 'CLI004L8'], [null]]);
    const json = await admin.json(['tape', 'eject', 'CLI003L8']);
    assert.deepEqual([json.count, json.tapes[0].ejected], [1, true]);
    assertFailure(await admin.run(['tape', 'eject', 'CLI001L8', 'NOPE99L8']), 1, 'unknown tape "NOPE99L8"');
    assert.equal((await b.admin.get('/tapes?barcode=CLI001L8')).body.tapes[0].location, 'slot', 'nothing moved');
    const u = await makeUser(b.admin);
    user = await signedInSandbox(b.url, u.username, 'user-password-1');
    assertFailure(await user.run(['tape', 'library', 'list']), 1, 'Only an admin can see tape libraries');
    assert.equal((await user.json(['tape', 'tape', 'list'])).count, 0, 'a user sees the tapes of pools they may read: none');
    assertFailure(await user.run(['tape', 'eject', 'CLI001L8']), 1, 'unknown tape "CLI001L8"');
  });

  it('import BARCODE…: back from offline to the home slots; refused for non-admins', async () => {
    assertFailure(await (user as CliSandbox).run(['tape', 'import', 'CLI003L8']), 1, 'unknown tape "CLI003L8"');
    const rows = readTable(await admin.ok(['tape', 'import', 'CLI003L8', 'CLI004L8']));
    assert.deepEqual(rows.map((r) => [r.BARCODE, r.LOCATION, r.FLAGS]), [['CLI003L8', 'slot 2', 'scratch'], ['CLI004L8', 'slot 3', 'scratch']]);
    const state = JSON.parse(await readFile(join(libPath, 'library.json'), 'utf8'));
    assert.deepEqual([state.offline, state.slots.slice(2, 4)], [[], ['CLI003L8', 'CLI004L8']]);
    const json = await admin.json(['tape', 'import', 'CLI003L8']);
    assert.deepEqual([json.count, json.tapes[0].location, json.tapes[0].ejected], [1, 'slot', false]);
  });
});
