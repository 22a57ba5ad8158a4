/**
 * `barge mover list` (#10), the real binary against a real server whose engine is on: its mover is
 * listed online with what it reaches and what it moved, as the API's body (`--json`) and as a table;
 * list filters apply; a non-admin is refused with the API's reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { assertFailure, signedInSandbox, type CliSandbox } from './helpers/cli.js';

/** A borderless table as rows of header → cell, cut at the headers' columns (cells may hold spaces). */
function readTable(out: string): Array<Record<string, string>> {
  const [head, ...lines] = out.trimEnd().split('\n');
  const names = (head ?? '').split(/\s+/).filter(Boolean);
  const starts = names.map((n) => (head as string).indexOf(n));
  return lines.map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1]).trim()])));
}

describe('barge CLI: mover list', () => {
  let b: Booted;
  let admin: CliSandbox;
  let user: CliSandbox | undefined;
  /** The in-process engine's mover: named host:pid of this test process (BARGE_MOVER_NAME unset). */
  const name = `${hostname()}:${process.pid}`;

  before(async () => {
    b = await boot({ engine: true });
    admin = await signedInSandbox(b.url);
    // Something moved, so the files and bytes columns say something: 3 files of 1 KiB.
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'a.bin': 1024, 'b.bin': 1024, 'd/c.bin': 1024 });
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    // The mover reports its totals on its heartbeat (every second).
    await waitFor(async () => {
      const m = await b.admin.get(`/movers/${encodeURIComponent(name)}`);
      return m.status === 200 && m.body.files_done === 3 && m.body.state === 'online';
    }, 'the mover to report the copy', 15_000);
  });
  after(async () => {
    await user?.cleanup();
    await admin?.cleanup();
    await b?.stop();
  });

  it('--json prints the API body: the engine\'s mover, online, with what it reaches and moved', async () => {
    const body = await admin.json(['mover', 'list']);
    assert.equal(body.count, 1);
    const [m] = body.movers;
    assert.deepEqual(
      [m.name, m.host, m.pid, m.state, m.slots, m.storages, m.files_done, m.bytes_done],
      [name, hostname(), process.pid, 'online', 8, '*', 3, 3072],
    );
    assert.ok(Date.now() - Date.parse(m.last_heartbeat_at) < 15_000, m.last_heartbeat_at);
    assert.equal(typeof m.bandwidth, 'number');
  });

  it('prints a table: name, state, host:pid, slots, storages, files, bytes moved, last heard', async () => {
    const out = await admin.ok(['mover', 'list']);
    const rows = readTable(out);
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['NAME', 'STATE', 'HOST', 'SLOTS', 'STORAGES', 'BANDWIDTH', 'FILES', 'MOVED', 'HEARD'], out);
    assert.equal(rows.length, 1, out);
    const r = rows[0]!;
    assert.deepEqual([r.NAME, r.STATE, r.HOST, r.SLOTS, r.STORAGES, r.FILES, r.MOVED], [name, 'online', `${hostname()}:${process.pid}`, '8', '*', '3', '3.00 KiB'], out);
    assert.match(r.HEARD as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('applies list filters, and refuses a non-admin with the API\'s reason', async () => {
    assert.equal((await admin.json(['mover', 'list', '--filter', 'state=offline'])).count, 0);
    assert.equal((await admin.json(['mover', 'list', '--filter', 'state=online'])).movers[0].name, name);
    const r = await admin.run(['mover', 'list', '--filter', 'state=offline']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /no movers/);
    const u = await makeUser(b.admin);
    user = await signedInSandbox(b.url, u.username, 'user-password-1');
    assertFailure(await user.run(['mover', 'list']), 1, 'Only an admin can see the movers');
  });
});
