/**
 * `barge storage grant|revoke|privileges|guest` and `barge group …` (#15), the real binary against a
 * real server with the engine on: a grant lets a user copy from a share and a revoke stops the same
 * user's next run with the API's reason; grants through a group; grant on an existing grantee changes
 * its entry; pools, the guest right, `--json` bodies, and usage (exit 2) versus API refusals (exit 1).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { boot, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { assertFailure, namedShares, signedInSandbox, type CliSandbox } from './helpers/cli.js';

const PASSWORD = 'user-password-1';

describe('barge CLI: storage privileges and groups', { concurrency: true }, () => {
  let b: Booted;
  let admin: CliSandbox;
  const sandboxes: CliSandbox[] = [];
  /** A signed-in sandbox for a new non-admin user. */
  const userCli = async (): Promise<{ username: string; id: string; cli: CliSandbox }> => {
    const u = await makeUser(b.admin, unique('user'), PASSWORD);
    const cli = await signedInSandbox(b.url, u.username, PASSWORD);
    sandboxes.push(cli);
    return { username: u.username, id: u.id, cli };
  };

  before(async () => {
    b = await boot({ engine: true });
    admin = await signedInSandbox(b.url);
  });
  after(async () => {
    for (const s of sandboxes) await s.cleanup();
    await admin?.cleanup();
    await b?.stop();
  });

  it("a grant lets a user copy from a share; a revoke stops that user's next run with the API's reason", async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'a.txt': 'alpha', 'dir/b.bin': 70_000 });
    const alice = await userCli();
    const task = unique('alice-copy');

    // Before any grant the shares are closed to her (guest right none): she cannot even see them.
    assertFailure(await alice.cli.run(['copy', `${s.src!.name}:/`, `${s.dst!.name}:/out`, '--name', task]), 1, `unknown storage "${s.src!.name}"`);

    const granted = await admin.json(['storage', 'grant', s.src!.name, '--user', alice.username, '--right', 'read']);
    assert.deepEqual([granted.name, granted.type, granted.privilege], [alice.username, 'user', 'read']);
    assert.match(await admin.ok(['storage', 'grant', s.dst!.name, '--user', alice.username, '--right', 'read_write']), new RegExp(`^user ${alice.username}: read_write on NAS share ${s.dst!.name} \\(granted\\)$`, 'm'));

    const copied = await alice.cli.run(['copy', `${s.src!.name}:/`, `${s.dst!.name}:/out`, '--name', task, '--watch']);
    assert.equal(copied.code, 0, `${copied.stdout}\n${copied.stderr}`);
    assert.deepEqual(await hashTree(join(s.dst!.path, 'out')), await hashTree(s.src!.path));

    assert.match(await admin.ok(['storage', 'revoke', s.src!.name, '--user', alice.username]), /revoked \(was read\)/);
    assert.deepEqual((await admin.json(['storage', 'privileges', s.src!.name])).privileges, []);
    const refused = await alice.cli.run(['task', 'run', task]);
    assertFailure(refused, 1, `Task ${task} cannot run: NAS share ${s.src!.name}: read needed, the task owner has no right`);
    assert.equal(refused.stdout, '', 'no execution id');

    assertFailure(await admin.run(['storage', 'revoke', s.src!.name, '--user', alice.username]), 1, `user ${alice.username} has no privilege on NAS share ${s.src!.name}`);
  });

  it('grant on an existing grantee changes its entry; privileges lists users and groups (table and --json)', async () => {
    const s = await namedShares(b.admin, ['data']);
    const share = s.data!;
    const bob = await userCli();
    const first = await admin.json(['storage', 'grant', share.name, '--user', bob.username, '--right', 'read']);
    const changed = await admin.json(['storage', 'grant', share.id, '--user', bob.username, '--right', 'none']);
    assert.equal(changed.id, first.id, 'the same privilege, updated (an id names the share too)');
    assert.equal(changed.privilege, 'none');
    assert.match(await admin.ok(['storage', 'grant', share.name, '--user', bob.username, '--right', 'read_write']), /\(changed\)$/m);

    const team = unique('team');
    assert.match((await admin.ok(['group', 'create', '--name', team])).trim(), /^[0-9a-f-]{36}$/);
    await admin.ok(['storage', 'grant', share.name, '--group', team, '--right', 'read']);
    const listed = await admin.json(['storage', 'privileges', share.name]);
    assert.equal(listed.count, 2);
    assert.deepEqual(listed.privileges.map((p: any) => [p.type, p.name, p.privilege]).sort(), [['group', team, 'read'], ['user', bob.username, 'read_write']]);
    const api = await b.admin.get(`/nas_shares/${share.id}/privileges`);
    assert.deepEqual(listed.privileges.map((p: any) => p.id).sort(), api.body.privileges.map((p: any) => p.id).sort(), "--json is the API's body");

    const table = await admin.run(['storage', 'privileges', share.name]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^ID\s+TYPE\s+NAME\s+PRIVILEGE$/);
    assert.match(lines[1] as string, new RegExp(`\\sgroup\\s+${team}\\s+read$`));
    assert.match(lines[2] as string, new RegExp(`\\suser\\s+${bob.username}\\s+read_write$`));
    assert.match(table.stderr, /^guest right \(every other user\): none$/m);

    const teamEntry = listed.privileges.find((p: any) => p.type === 'group');
    assert.deepEqual(await admin.json(['storage', 'revoke', share.name, '--group', team]), { deleted: teamEntry.id });
    assert.deepEqual((await b.admin.get(`/nas_shares/${share.id}/privileges`)).body.privileges.map((p: any) => p.name), [bob.username]);

    assertFailure(await admin.run(['storage', 'grant', share.name, '--user', 'nobody-here', '--right', 'read']), 1, 'No user named nobody-here');
    assertFailure(await admin.run(['storage', 'grant', share.name, '--group', 'no-such-group', '--right', 'read']), 1, 'No group named no-such-group');
    assertFailure(await admin.run(['storage', 'privileges', 'no-such-storage']), 1, 'unknown storage "no-such-storage"');
  });

  it('a group grant (group create --user) lets its members copy; removing a member stops their runs', async () => {
    const s = await namedShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'x.txt': 'x' });
    const carol = await userCli();
    const dave = await userCli();
    const team = unique('lab');
    const created = await admin.json(['group', 'create', '--name', team, '--comment', 'the lab', '--user', carol.username, '--user', dave.username]);
    assert.deepEqual([created.name, created.comment, created.users], [team, 'the lab', [carol.username, dave.username].sort()]);
    await admin.ok(['storage', 'grant', s.src!.name, '--group', team, '--right', 'read']);
    await admin.ok(['storage', 'grant', s.dst!.name, '--group', team, '--right', 'read_write']);

    // The user's own view names the group (table and JSON).
    assert.match(await carol.cli.ok(['user', 'me']), new RegExp(`^groups\\s+${team}$`, 'm'));
    assert.deepEqual((await carol.cli.json(['user', 'me'])).groups, [team]);
    assert.match(await admin.ok(['user', 'show', carol.id]), new RegExp(`^groups\\s+${team}$`, 'm'));

    const task = unique('lab-copy');
    const id = (await carol.cli.ok(['task', 'create', '--name', task, '--source', `${s.src!.name}:/`, '--destination', `${s.dst!.name}:/in`])).trim();
    const run = await carol.cli.run(['task', 'run', task, '--watch']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(await hashTree(join(s.dst!.path, 'in')), await hashTree(s.src!.path));

    const shown = await admin.run(['group', 'show', team]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^users\\s+${[carol.username, dave.username].sort().join(', ')}$`, 'm'));
    assert.match(shown.stdout, /^comment\s+the lab$/m);

    const updated = await admin.json(['group', 'update', created.id, '--remove-user', carol.username]);
    assert.deepEqual(updated.users, [dave.username]);
    assertFailure(await carol.cli.run(['task', 'run', id]), 1, `Task ${task} cannot run: NAS share ${s.src!.name}: read needed, the task owner has no right`);
    assert.deepEqual((await carol.cli.json(['user', 'me'])).groups, []);

    await admin.ok(['group', 'update', team, '--add-user', carol.username, '--comment', 'back']);
    const again = await admin.json(['group', 'show', team]);
    assert.deepEqual([again.comment, again.users], ['back', [carol.username, dave.username].sort()]);
    assert.deepEqual((await admin.json(['group', 'update', team, '--user', dave.username])).users, [dave.username], '--user replaces the members');

    const renamed = unique('lab2');
    await admin.ok(['group', 'update', team, '--name', renamed]);
    const list = await admin.json(['group', 'list', '--filter', `name=${renamed}`]);
    assert.deepEqual(list.groups.map((g: any) => g.id), [created.id]);
    assert.match(await admin.ok(['group', 'list', '--filter', `name=${renamed}`]), new RegExp(`^${created.id}\\s+${renamed}\\s+1\\s+back\\s`, 'm'));

    assert.deepEqual(await admin.json(['group', 'delete', renamed]), { deleted: created.id });
    assertFailure(await admin.run(['group', 'show', renamed]), 1, `unknown group "${renamed}"`);
    assert.deepEqual((await admin.json(['storage', 'privileges', s.src!.name])).privileges, [], 'the group\'s privileges went with it');
  });

  it('the guest right opens a share to every user; pools and buckets take privileges too', async () => {
    const s = await namedShares(b.admin, ['open']);
    const erin = await userCli();
    assert.equal((await erin.cli.json(['storage', 'shares', 'list', '--filter', `name=${s.open!.name}`])).count, 0);
    const guest = await admin.json(['storage', 'guest', s.open!.name, '--right', 'read']);
    assert.deepEqual([guest.id, guest.guest_right], [s.open!.id, 'read']);
    const seen = await erin.cli.json(['storage', 'shares', 'list', '--filter', `name=${s.open!.name}`]);
    assert.deepEqual(seen.nas_shares.map((x: any) => [x.id, x.guest_right]), [[s.open!.id, 'read']]);
    const table = await admin.ok(['storage', 'shares', 'list', '--filter', `name=${s.open!.name}`]);
    assert.match(table, /^ID\s+NAME\s+NAS\s+PATH\s+POOL\s+GUEST\s+UPDATED$/m);
    assert.match(table, new RegExp(`\\s${s.open!.name}\\s.*\\sread\\s`));
    assert.match(await admin.ok(['storage', 'guest', s.open!.name, '--right', 'none']), /^guest_right\s+none$/m);

    const pool = unique('pool');
    const poolId = (await admin.ok(['storage', 'pools', 'create', '--name', pool, '--type', 'primary', '--content', 'nas', '--guest-right', 'read'])).trim();
    assert.equal((await b.admin.get(`/pools/${poolId}`)).body.guest_right, 'read');
    const p = await admin.json(['storage', 'grant', `pool:${pool}`, '--user', erin.username, '--right', 'read_write']);
    assert.equal((await b.admin.get(`/pools/${poolId}/privileges/${p.id}`)).body.privilege, 'read_write');
    assert.equal((await admin.json(['storage', 'privileges', `pool:${poolId}`])).count, 1, 'pool:ID works too');
    assertFailure(await admin.run(['storage', 'privileges', pool]), 1, `unknown storage "${pool}": no NAS share or cloud bucket`);

    // A bucket and a share with the same name: share:/bucket: pick one.
    const conn = await b.admin.post('/cloud_connectors', { name: unique('conn'), provider: 'minio', url: 'http://127.0.0.1:9' });
    const name = unique('both');
    const bucket = await b.admin.post(`/cloud_connectors/${conn.body.id}/cloud_buckets`, { name });
    assert.equal(bucket.status, 201, JSON.stringify(bucket.body));
    const share = (await b.admin.post(`/nas/${(await b.admin.post('/nas', { name: unique('nas'), type: 'local' })).body.id}/nas_shares`, { name, path: s.open!.path })).body;
    assertFailure(await admin.run(['storage', 'grant', name, '--user', erin.username, '--right', 'read']), 1, `storage name "${name}" is ambiguous`);
    await admin.ok(['storage', 'grant', `bucket:${name}`, '--user', erin.username, '--right', 'read']);
    assert.equal((await b.admin.get(`/cloud_buckets/${bucket.body.id}/privileges`)).body.count, 1);
    assert.equal((await b.admin.get(`/nas_shares/${share.id}/privileges`)).body.count, 0);
  });

  it('usage errors exit 2 before any request; refusals of the API exit 1 with its message', async () => {
    const s = await namedShares(b.admin, ['u']);
    const frank = await userCli();
    const share = s.u!.name;
    assertFailure(await admin.run(['storage', 'grant', share, '--user', frank.username, '--group', 'g', '--right', 'read']), 2, 'use either --user or --group, not both');
    assertFailure(await admin.run(['storage', 'grant', share, '--right', 'read']), 2, 'name who: --user USERNAME or --group GROUP');
    assertFailure(await admin.run(['storage', 'grant', share, '--user', frank.username]), 2, "required option '--right <right>' not specified");
    assertFailure(await admin.run(['storage', 'grant', share, '--user', frank.username, '--right', 'write']), 2, 'Allowed choices are none, read, read_write');
    assertFailure(await admin.run(['storage', 'revoke', share]), 2, 'name who');
    assertFailure(await admin.run(['storage', 'guest', share]), 2, "required option '--right <right>'");
    assertFailure(await admin.run(['storage', 'grant', '--user', frank.username, '--right', 'read']), 2, "missing required argument 'storage'");
    assertFailure(await admin.run(['group', 'create']), 2, "required option '--name <name>' not specified");
    assertFailure(await admin.run(['group', 'update', 'x']), 2, 'nothing to update');
    assertFailure(await admin.run(['group', 'update', 'x', '--user', 'a', '--add-user', 'b']), 2, '--user replaces the members');
    assertFailure(await admin.run(['group', 'lsit']), 2, "unknown command 'lsit'");
    for (const args of [['storage', 'grant'], ['storage', 'revoke'], ['storage', 'privileges'], ['storage', 'guest'], ['group'], ['group', 'update']]) {
      const help = await admin.run([...args, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^Usage: barge ${args.join(' ')}`, 'm'));
    }

    // Only admins manage privileges and groups: the API's 403 comes through (she may read the share).
    await admin.ok(['storage', 'guest', share, '--right', 'read']);
    assertFailure(await frank.cli.run(['storage', 'privileges', share]), 1, 'Only an admin can see or change storage privileges');
    assertFailure(await frank.cli.run(['storage', 'grant', share, '--user', frank.username, '--right', 'read_write']), 1, 'Only an admin can see or change storage privileges');
    assertFailure(await frank.cli.run(['group', 'list']), 1, 'Only an admin can manage groups');
    assertFailure(await frank.cli.run(['group', 'create', '--name', unique('g')]), 1, 'Only an admin can manage groups');
    assertFailure(await admin.run(['group', 'create', '--name', unique('g'), '--user', 'nobody-here']), 1, 'No user named nobody-here');
  });

  it('bash completion covers the new commands and their --right values', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = await admin.ok(['completion', 'bash']);
    const bash = spawnSync('bash', ['-c', `${script}\nc() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _barge; echo "\${COMPREPLY[*]}"; }\nc barge gr\nc barge group ""\nc barge storage g\nc barge storage grant src --right r\nc barge storage grant src --\nc barge group update lab --add`], { encoding: 'utf8' });
    assert.equal(bash.status, 0, bash.stderr);
    const lines = bash.stdout.trim().split('\n');
    assert.deepEqual([...lines.slice(0, 4), lines[5]], ['group', 'list show create update delete', 'grant guest', 'read read_write', '--add-user']);
    assert.deepEqual(new Set(lines[4]?.split(' ')), new Set(['--user', '--group', '--right', '--help', '--alias', '--json', '--debug', '--version']), 'flags of grant, then the global ones');
  });

  it('storage shares update --quota sets the quota cache_cleaning keeps a share under: units, none, and a usage error for nonsense', async () => {
    const s = await namedShares(b.admin, ['quota']);
    const id = s.quota!.id;
    assert.equal((await admin.json(['storage', 'shares', 'update', id, '--quota', '1.5GiB'])).quota_bytes, 1.5 * 1024 ** 3);
    assert.equal((await b.admin.get(`/nas_shares/${id}`)).body.quota_bytes, 1.5 * 1024 ** 3);
    assert.equal((await admin.json(['storage', 'shares', 'update', id, '--quota', '4096'])).quota_bytes, 4096);
    assert.equal((await admin.json(['storage', 'shares', 'update', id, '--quota', 'none'])).quota_bytes, null);
    assertFailure(await admin.run(['storage', 'shares', 'update', id, '--quota', 'lots']), 2, '"lots" is not a size');
    assert.equal((await b.admin.get(`/nas_shares/${id}`)).body.quota_bytes, null, 'a usage error sends nothing');
  });
});
