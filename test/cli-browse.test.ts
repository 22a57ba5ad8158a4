/**
 * `barge ls STORAGE:PATH` (#13), the real binary against a real server: a share named like in `copy`,
 * the API's body with `--json`, a table otherwise (folders first, sizes and modes readable), the list
 * flags, and the API's refusals (a path leaving the storage, a missing one, an unknown storage).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, type Booted } from './helpers/barge.js';
import { makeTree } from './helpers/trees.js';
import { assertFailure, namedShares, signedInSandbox, type CliSandbox } from './helpers/cli.js';

/** A borderless table as rows of header → cell, cut at the headers' columns. */
function readTable(out: string): Array<Record<string, string>> {
  const [head, ...lines] = out.trimEnd().split('\n');
  const names = (head ?? '').split(/\s+/).filter(Boolean);
  const starts = names.map((n) => (head as string).indexOf(n));
  return lines.map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1]).trim()])));
}

describe('barge CLI: ls', () => {
  let b: Booted;
  let cli: CliSandbox;
  let share: { id: string; name: string; path: string };

  before(async () => {
    b = await boot();
    cli = await signedInSandbox(b.url);
    share = (await namedShares(b.admin, ['ls'])).ls!;
    await makeTree(share.path, { 'docs/a.txt': 'alpha', 'big.bin': 3 * 1024 * 1024, 'z.txt': 'z' });
    await chmod(join(share.path, 'z.txt'), 0o600);
    const when = new Date('2024-02-03T04:05:06.000Z');
    await utimes(join(share.path, 'z.txt'), when, when);
  });
  after(async () => {
    await cli?.cleanup();
    await b?.stop();
  });

  it('--json prints the API body of the folder', async () => {
    const body = await cli.json(['ls', `${share.name}:/`]);
    assert.deepEqual([body.count, body.path, body.files.map((f: any) => [f.path, f.type])], [3, '/', [['/docs', 'folder'], ['/big.bin', 'file'], ['/z.txt', 'file']]]);
    const sub = await cli.json(['ls', `${share.id}:/docs`]);
    assert.deepEqual(sub.files.map((f: any) => f.name), ['a.txt'], 'a storage id works like its name');
  });

  it('prints a table: folders first (with a slash), sizes, dates, modes, owners', async () => {
    const out = await cli.ok(['ls', `${share.name}:`]);
    const rows = readTable(out);
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['NAME', 'TYPE', 'SIZE', 'MODIFIED', 'MODE', 'OWNER'], out);
    assert.deepEqual(rows.map((r) => [r.NAME, r.TYPE, r.SIZE]), [['docs/', 'folder', '-'], ['big.bin', 'file', '3.00 MiB'], ['z.txt', 'file', '1 B']], out);
    const z = rows[2]!;
    assert.deepEqual([z.MODIFIED, z.MODE, z.OWNER], ['2024-02-03 04:05:06', '0600', `${process.getuid!()}:${process.getgid!()}`]);
  });

  it('takes the list flags', async () => {
    const r = await cli.run(['ls', `${share.name}:/`, '--sort', 'size:desc', '--limit', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readTable(r.stdout).map((x) => x.NAME), ['big.bin']);
    assert.match(r.stderr, /rows 1–1 of 3/);
    assert.deepEqual((await cli.json(['ls', `${share.name}:/`, '--filter', 'name=~%.txt'])).files.map((f: any) => f.name), ['z.txt']);
  });

  it('says why a path cannot be listed, with the API\'s words', async () => {
    assertFailure(await cli.run(['ls', `${share.name}:/../etc`]), 1, 'leads outside the storage');
    assertFailure(await cli.run(['ls', `${share.name}:/nope`]), 1, 'not found');
    assertFailure(await cli.run(['ls', `${share.name}:/z.txt`]), 1, 'is not a folder');
    assertFailure(await cli.run(['ls', 'no-such-storage:/']), 1, 'unknown storage "no-such-storage"');
    assertFailure(await cli.run(['ls', 'no-colon']), 2, 'is not STORAGE:PATH');
  });
});
