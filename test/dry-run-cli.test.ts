/**
 * The `barge` binary previewing runs (issue #11): `barge copy … --dry-run` creates the task, plans it
 * and prints each planned file with the totals and the ETA, writing nothing; `barge task dry-run`
 * previews an existing task; `--json` gives the execution and its planned files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { utimes } from 'node:fs/promises';
import { boot, type Booted } from './helpers/barge.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { namedShares, signedInSandbox, type CliSandbox } from './helpers/cli.js';

describe('barge CLI: dry runs', () => {
  let b: Booted;
  let cli: CliSandbox;
  before(async () => {
    b = await boot({ engine: true });
    cli = await signedInSandbox(b.url);
  });
  after(async () => {
    await cli?.cleanup();
    await b?.stop();
  });

  it('copy --dry-run prints the plan (a table, totals, ETA) and writes nothing; the task stays to be run', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'a.txt': 'alpha', 'taken.txt': 'new version', 'dir/b.bin': 4096 });
    await makeTree(s.dst!.path, { 'taken.txt': 'old' });
    const old = new Date(1_500_000_000_000);
    await utimes(join(s.dst!.path, 'taken.txt'), old, old);
    const before = await hashTree(s.dst!.path);
    const r = await cli.run(['copy', `${s.src!.name}:/`, `${s.dst!.name}:/`, '--conflict', 'rename', '--dry-run']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^OPERATION\s+SIZE\s+SOURCE\s+DESTINATION\s+NOTE$/);
    assert.match(r.stdout, /^copy\s+5 B\s+\/a\.txt\s+\/a\.txt/m);
    assert.match(r.stdout, /^copy\s+4\.00 KiB\s+\/dir\/b\.bin\s+\/dir\/b\.bin/m);
    assert.match(r.stdout, /^rename\s+11 B\s+\/taken\.txt\s+\/taken \(1\)\.txt\s+taken\.txt exists at the destination/m);
    assert.match(r.stdout, /^dry run done: 3 file\(s\), 4\.02 KiB to write; 0 skipped, 0 failed — copy 2 \(4\.00 KiB\), rename 1 \(11 B\)$/m);
    assert.match(r.stdout, /^ETA: unknown \(no ETA: no finished transfer on these storages/m);
    assert.match(r.stderr, /nothing was written; run it for real: barge task run \S+/);
    assert.deepEqual(await hashTree(s.dst!.path), before);

    // The task it created runs for real; a preview of it then has nothing left but skips, and an ETA of 0.
    const taskId = /barge task run (\S+)/.exec(r.stderr)?.[1] as string;
    assert.equal((await cli.run(['task', 'run', taskId, '--watch'])).code, 0);
    const again = await cli.json(['task', 'dry-run', taskId]);
    assert.equal(again.execution.dry_run, true);
    assert.equal(again.execution.status, 'done');
    assert.deepEqual(again.files.map((f: any) => [f.src_path, f.operation]), [['/a.txt', 'skip'], ['/dir/b.bin', 'skip'], ['/taken.txt', 'skip']]);
    assert.equal(again.execution.plan.files, 0);
    assert.equal(again.execution.plan.eta_seconds, 0);
  });

  it('task dry-run on an action it cannot preview exits 1 with the API\'s reason', async () => {
    const s = await namedShares(b.admin, ['src']);
    const t = await b.admin.post('/tasks', { name: `scan-${Date.now()}`, workflow_type: 'data_migration', workflow_action: 'scan', sources: [{ type: 'nas', storage_id: s.src!.id, node_paths: ['/'] }] });
    const r = await cli.run(['task', 'dry-run', t.body.id]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /dry run previews copy, move, erase/);
  });
});
