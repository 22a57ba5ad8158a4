/**
 * The `barge` binary against a real server with the engine on: task list (filters, sort, --json),
 * create/show/update/delete, a watched copy that really copies the tree, exit code 3 for a run with
 * a failed file, the file ledger, deferred runs, and the storage commands that copy/move rely on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { boot, type Booted } from './helpers/barge.js';
import { unique } from './helpers/fixtures.js';
import { hashTree, makeTree, exists } from './helpers/trees.js';
import { assertFailure, namedShares, signedInSandbox, type CliSandbox } from './helpers/cli.js';

describe('barge CLI: tasks, copies, executions, storages', { concurrency: true }, () => {
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

  it('lists tasks with --filter and --sort (pipe-delimited), as JSON and as a table', async () => {
    const tag = unique('raw');
    const mk = (name: string, action: string) => b.admin.post('/tasks', { name, workflow_type: 'data_migration', workflow_action: action });
    for (const [name, action] of [[`${tag}-b`, 'copy'], [`${tag}-a`, 'copy'], [`${tag}-c`, 'move'], [`other-${tag}`, 'scan']]) {
      assert.equal((await mk(name as string, action as string)).status, 201);
    }
    const body = await cli.json(['task', 'list', '--filter', `name=~${tag}-%`, '--sort', 'workflow_action:desc|name']);
    assert.equal(body.count, 3);
    assert.deepEqual(body.tasks.map((t: any) => t.name), [`${tag}-c`, `${tag}-a`, `${tag}-b`]);

    const two = await cli.json(['task', 'list', '--filter', `name=~${tag}-%`, '--filter', 'workflow_action=copy', '--sort', 'name', '--limit', '1', '--offset', '1']);
    assert.equal(two.count, 2, 'repeated --filter flags all apply');
    assert.deepEqual(two.tasks.map((t: any) => t.name), [`${tag}-b`]);

    const r = await cli.run(['task', 'list', '--filter', `name=~%${tag}%`, '--sort', 'name:desc', '--limit', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^ID\s+NAME\s+ACTION\s+TYPE\s+LAST RUN\s+DONE\s+UPDATED$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/)[1]), [`${tag}-c`, `${tag}-b`]);
    assert.match(r.stderr, /rows 1–2 of 4/);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours');

    assertFailure(await cli.run(['task', 'list', '--sort', 'nope']), 1, 'Sort by nope is not supported');
  });

  it('creates a task from flags, shows, updates and deletes it', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    const name = unique('cli-task');
    const id = (
      await cli.ok(['task', 'create', '--name', name, '--source', `${s.src!.name}:/a`, '--source', `${s.src!.name}:/b`, '--destination', `${s.dst!.name}:/out`,
        '--checksum', 'md5', '--conflict', 'overwrite', '--parallel', '3', '--metadata', 'team=ops', '--metadata', 'ticket=42', '--no-recursive', '--ignore-hidden'])
    ).trim();
    const shown = await cli.json(['task', 'show', id]);
    assert.equal(shown.name, name);
    assert.equal(shown.workflow_action, 'copy');
    assert.deepEqual(shown.options, { file_checksum: 'md5', conflict_resolution: 'overwrite', parallel: 3, recursive: false, ignore_hidden: true });
    assert.deepEqual(shown.metadata, { task: { team: 'ops', ticket: '42' } });
    assert.deepEqual(shown.sources.map((e: any) => [e.type, e.storage_id, e.node_paths]), [['nas', s.src!.id, ['/a', '/b']]]);
    assert.deepEqual(shown.destinations.map((e: any) => [e.type, e.storage_id, e.node_paths]), [['nas', s.dst!.id, ['/out']]]);

    const table = await cli.ok(['task', 'show', name]);
    assert.match(table, new RegExp(`^id\\s+${id}$`, 'm'));
    assert.match(table, /^destinations\s+nas \S+:\/out$/m);

    const file = join(cli.home, 'patch.json');
    await writeFile(file, JSON.stringify({ comment: 'from a file', options: { parallel: 5 } }));
    const updated = await cli.json(['task', 'update', id, '--file', file, '--reset-file-date']);
    assert.equal(updated.comment, 'from a file');
    assert.equal(updated.options.parallel, 5);
    assert.equal(updated.options.reset_file_date, true);
    assert.equal(updated.options.file_checksum, 'md5', 'options merge');

    assert.match(await cli.ok(['task', 'delete', id]), /Deleted task/);
    assert.equal((await b.admin.get(`/tasks/${id}`)).status, 404);
    assertFailure(await cli.run(['task', 'create', '--source', `${s.src!.name}:/`]), 2, 'a task needs a name');
  });

  it('copy --watch copies the tree, verifies checksums and exits 0', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'a.bin': 300_000, 'dir/b.bin': 200_000, 'dir/deep/c.txt': 'hello', 'empty.txt': '' });
    const r = await cli.run(['copy', `${s.src!.name}:/`, `${s.dst!.name}:/out`, '--checksum', 'xxhash64', '--watch', '--name', unique('watched'), '--metadata', 'origin=test']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(await hashTree(join(s.dst!.path, 'out')), await hashTree(s.src!.path));
    assert.match(r.stdout, /^done: 4 files, .* 0 failed$/m);
    const execId = /^execution (\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(execId, r.stdout);
    // Not a terminal: plain progress lines, no bars or escape codes.
    assert.match(r.stderr, /^state: done$/m);
    assert.match(r.stderr, /^done 100%/m);
    assert.doesNotMatch(r.stderr + r.stdout, /\x1b\[/);

    const exec = await cli.json(['exec', 'show', execId as string]);
    assert.equal(exec.status, 'done');
    const task = (await b.admin.get(`/tasks/${exec.task_id}`)).body;
    assert.equal(task.options.file_checksum, 'xxhash64');
    assert.deepEqual(task.metadata, { task: { origin: 'test' } });
  });

  it('exits 3 when a file fails (a file where a folder is needed) and lists the failures', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'ok.txt': 'fine', 'bad/x.txt': 'x' });
    await writeFile(join(s.dst!.path, 'bad'), 'a file where a folder is needed');
    const r = await cli.run(['copy', `${s.src!.name}:/`, `${s.dst!.name}:/`, '--watch']);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^finished_with_warnings: /m);
    assert.match(r.stdout, /failed \/bad\/x\.txt/);
    const execId = /^execution (\S+)$/m.exec(r.stdout)?.[1] as string;
    assert.match(r.stdout, new RegExp(`barge exec files ${execId} --status failed`));
    const files = await cli.json(['exec', 'files', execId, '--status', 'failed']);
    assert.deepEqual(files.files.map((f: any) => f.src_path).sort(), ['/bad', '/bad/x.txt']);
    assert.equal(await exists(join(s.dst!.path, 'ok.txt')), true);
  });

  it('without --watch prints the execution id; defer / run-defer (exit 4 on error); exec list by task', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'f.txt': 'moved' });
    const execId = (await cli.ok(['move', `${s.src!.name}:/f.txt`, `${s.dst!.name}:/`])).trim();
    assert.match(execId, /^[0-9a-f-]{36}$/);
    const task = (await b.admin.get(`/task_executions/${execId}`)).body.task_id as string;
    const done = await cli.run(['task', 'watch', task]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(await exists(join(s.dst!.path, 'f.txt')), true);
    assert.equal(await exists(join(s.src!.path, 'f.txt')), false, 'move removes the source');

    const deferId = (await cli.ok(['task', 'defer', task])).trim();
    assert.match(deferId, /\S{20,}/);
    // The deferred run moves again, but the source is gone now: the execution ends in error, exit 4.
    const again = await cli.run(['task', 'run-defer', deferId, '--watch', '--json']);
    assert.equal(again.code, 4, again.stdout + again.stderr);
    assert.equal(JSON.parse(again.stdout).status, 'error');
    assertFailure(await cli.run(['task', 'run-defer', deferId]), 1, 'Unknown, expired or already used defer_id');
    const list = await cli.json(['exec', 'list', '--task', task]);
    assert.equal(list.count, 2);
  });

  it('manages storages; copy names unknown or ambiguous storages clearly', async () => {
    const nasId = (await cli.ok(['storage', 'nas', 'create', '--name', unique('nas'), '--type', 'local'])).trim();
    const dir = join(cli.home, 'share');
    await makeTree(dir, { 'x.txt': 'x' });
    const name = unique('share');
    const shareId = (await cli.ok(['storage', 'shares', 'create', '--nas', nasId, '--name', name, '--path', dir])).trim();
    const listed = await cli.json(['storage', 'shares', 'list', '--nas', nasId]);
    assert.deepEqual(listed.nas_shares.map((x: any) => [x.id, x.name, x.path]), [[shareId, name, dir]]);
    // A share's mount account: the username as a flag, the password only from stdin; never printed back.
    const withAccount = await cli.json(['storage', 'shares', 'update', shareId, '--username', 'svc-barge', '--password-stdin'], { input: 'pa55-w0rd-secret\n' });
    assert.equal(withAccount.username, 'svc-barge');
    assert.ok(!JSON.stringify(withAccount).includes('pa55-w0rd-secret'), 'the password is never returned');
    const shown = await cli.ok(['storage', 'shares', 'show', shareId]);
    assert.ok(shown.includes('svc-barge') && !shown.includes('pa55-w0rd-secret'));
    const sealed = await b.barge.store.db.selectFrom('nas_shares').select('password_enc').where('id', '=', shareId).executeTakeFirstOrThrow();
    assert.ok(sealed.password_enc && !sealed.password_enc.includes('pa55-w0rd-secret'), 'the password reached the store, sealed');
    const mount = await cli.json(['storage', 'shares', 'mount', name]);
    assert.deepEqual([mount.mounted, mount.readable, mount.writable], [true, true, true]);

    // Share names are unique, but a cloud bucket may have the same name as a share.
    const conn = await b.admin.post('/cloud_connectors', { name: unique('conn'), provider: 'minio', url: 'http://127.0.0.1:9' });
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
    const bucket = await b.admin.post(`/cloud_connectors/${conn.body.id}/cloud_buckets`, { name });
    assert.equal(bucket.status, 201, JSON.stringify(bucket.body));
    assertFailure(await cli.run(['copy', `${name}:/`, `${name}:/copy`]), 1, `storage name "${name}" is ambiguous (NAS share ${shareId}, cloud bucket ${bucket.body.id})`);
    assert.equal((await cli.json(['storage', 'shares', 'mount', shareId])).mounted, true, 'an id picks one');
    assertFailure(await cli.run(['copy', `no-such-storage:/`, `${name}:/copy`]), 1, 'unknown storage "no-such-storage"');

    assert.match(await cli.ok(['storage', 'shares', 'delete', shareId]), /Deleted NAS share/);
    assert.equal((await b.admin.get(`/nas_shares/${shareId}`)).status, 404);
    assertFailure(await cli.run(['storage', 'pools', 'create', '--name', 'p']), 2, 'missing --type');
  });
});
