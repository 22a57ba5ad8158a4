/**
 * The `barge` binary, end to end against a real server: sign-in and the config file (mode 0600,
 * BARGE_CONFIG / XDG_CONFIG_HOME), aliases, API keys, env overrides, expired sessions, usage and API
 * errors (exit codes, no stack traces) and the bash completion script.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ADMIN_PASSWORD, boot, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertFailure, cliSandbox, runBarge, signedInSandbox, type CliSandbox } from './helpers/cli.js';

// Each test has its own sandbox (config file), so they run concurrently: every run is a real process.
describe('barge CLI: login, aliases, errors', { concurrency: true }, () => {
  let b: Booted;
  let cli: CliSandbox;
  before(async () => {
    b = await boot();
    cli = await signedInSandbox(b.url);
  });
  after(async () => {
    await cli?.cleanup();
    await b?.stop();
  });

  it('logs in with --password-stdin and keeps the session in a 0600 file; a wrong password changes nothing', async () => {
    const s = await cliSandbox();
    try {
      const out = await s.ok(['login', '--url', `${b.url}/api/v2/`, '--user', 'admin', '--password-stdin'], { input: `${ADMIN_PASSWORD}\n` });
      assert.match(out, /Logged in to http:\/\/127\.0\.0\.1:\d+ as admin \(alias "default"/);
      assert.equal((await stat(s.configPath)).mode & 0o777, 0o600);
      const config = JSON.parse(await readFile(s.configPath, 'utf8'));
      assert.equal(config.current, 'default');
      assert.equal(config.aliases.default.url, b.url, 'the /api/v2 suffix and trailing slash are dropped');
      assert.equal(config.aliases.default.auth.type, 'jwt');
      const me = await s.json(['user', 'me']);
      assert.equal(me.username, 'admin');
      assert.equal(me.is_admin, true);
      const before = await readFile(s.configPath, 'utf8');
      assertFailure(await s.run(['login', '--alias', 'wrong', '--user', 'admin', '--password-stdin'], { input: 'not-the-password' }), 1, 'Invalid username or password');
      assert.equal(await readFile(s.configPath, 'utf8'), before);
    } finally {
      await s.cleanup();
    }
  });

  it('keeps several aliases; --alias picks one per command; use / logout / remove', async () => {
    const cli = await signedInSandbox(b.url);
    const u = await makeUser(b.admin);
    const out = await cli.ok(['login', '--alias', 'other', '--user', u.username, '--password', 'user-password-1']);
    assert.match(out, /alias "other"/);
    assert.match(out, /current alias is "default"/);
    const list = await cli.json(['alias', 'list']);
    assert.equal(list.current, 'default');
    assert.deepEqual(list.aliases.map((a: any) => [a.name, a.user, a.url]), [['default', 'admin', b.url], ['other', u.username, b.url]]);
    assert.ok(!JSON.stringify(list).includes('eyJ'), 'alias list never prints a token');
    assert.equal((await cli.json(['--alias', 'other', 'user', 'me'])).username, u.username);
    assert.equal((await cli.json(['user', 'me', '--alias', 'other'])).username, u.username, 'global flags work after the command too');
    const table = await cli.ok(['alias', 'list']);
    assert.match(table, /^\*\s+default\s/m);
    assert.match(table, new RegExp(`^\\s+other\\s.*user ${u.username}`, 'm'));

    await cli.ok(['alias', 'use', 'other']);
    assert.equal((await cli.json(['user', 'me'])).username, u.username);

    await cli.ok(['logout']);
    assertFailure(await cli.run(['user', 'me']), 1, 'not logged in, run barge login');
    await cli.ok(['alias', 'remove', 'other']);
    assertFailure(await cli.run(['--alias', 'other', 'task', 'list']), 2, 'unknown alias "other"');
    assert.equal((await cli.json(['user', 'me'])).username, 'admin', 'removing the current alias falls back to default');
    assert.equal((await stat(cli.configPath)).mode & 0o777, 0o600, 'rewrites keep the mode');
    await cli.cleanup();
  });

  it('creates an API key shown once and logs in with it; admins create users', async () => {
    const cli = await signedInSandbox(b.url);
    const created = await cli.json(['key', 'create', '--name', unique('ci'), '--scope', 'tasks/index', '--scope', 'users/me']);
    assert.match(created.key, /^brg_/);
    const listed = await cli.json(['key', 'list']);
    const again = listed.api_keys.find((k: any) => k.id === created.id);
    assert.ok(again.key.startsWith('****') && again.key.endsWith(created.key.slice(-4)), 'masked afterwards');
    await cli.ok(['login', '--alias', 'keyed', '--url', b.url, '--api-key', created.key]);
    const config = JSON.parse(await readFile(cli.configPath, 'utf8'));
    assert.deepEqual(config.aliases.keyed.auth, { type: 'api_key', key: created.key });
    assert.equal((await cli.json(['--alias', 'keyed', 'task', 'list'])).count >= 0, true);
    // The key's scopes are the server's business: outside them, the API's 403 message comes through.
    assertFailure(await cli.run(['--alias', 'keyed', 'storage', 'nas', 'list']), 1, 'This API key lacks the scope nas/index');
    assertFailure(await cli.run(['login', '--alias', 'badkey', '--url', b.url, '--api-key', 'brg_nope']), 1, 'Invalid API key');

    // Admins manage users; the password comes from stdin, never the command line.
    const username = unique('carol');
    const id = (await cli.ok(['user', 'create', '--username', username, '--password-stdin', '--email', 'carol@example.com'], { input: 'carol-password-1\n' })).trim();
    const users = await cli.json(['user', 'list', '--filter', `username=${username}`]);
    assert.deepEqual(users.users.map((u: any) => [u.id, u.email, u.is_admin]), [[id, 'carol@example.com', false]]);
    const signIn = await b.api.post('/users/sign_in', { user: { username, password: 'carol-password-1' } });
    assert.equal(signIn.status, 201, 'the password from stdin (without its newline) is the one set');
    await cli.cleanup();
  });

  it('BARGE_URL and BARGE_TOKEN override the stored alias', async () => {
    const key = await b.admin.post('/users/me/api_keys', { name: unique('env'), api_key_scopes: [{ controller: '*', action: '*' }] });
    const empty = await cliSandbox();
    try {
      assertFailure(await empty.run(['task', 'list']), 1, 'no Barge server configured');
      const me = await empty.json(['user', 'me'], { env: { BARGE_URL: b.url, BARGE_TOKEN: key.body.key } });
      assert.equal(me.username, 'admin');
    } finally {
      await empty.cleanup();
    }
  });

  it('uses $XDG_CONFIG_HOME/barge/config.json when BARGE_CONFIG is not set', async () => {
    const xdg = await cliSandbox({ useXdg: true });
    try {
      await xdg.ok(['login', '--url', b.url, '--user', 'admin', '--password-stdin'], { input: ADMIN_PASSWORD });
      assert.equal((await stat(xdg.configPath)).mode & 0o777, 0o600);
      assert.equal((await stat(dirname(xdg.configPath))).mode & 0o777, 0o700);
    } finally {
      await xdg.cleanup();
    }
  });

  it('says "session expired, run barge login" for an expired session', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const stale = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 })}.c2ln`;
    const s = await cliSandbox();
    try {
      await writeFile(s.configPath, JSON.stringify({ current: 'default', aliases: { default: { url: b.url, auth: { type: 'jwt', token: stale, username: 'admin' } } } }), { mode: 0o600 });
      assertFailure(await s.run(['task', 'list']), 1, 'session expired, run barge login');
      // A token the server refuses (signed with another key) reads the same way.
      const forged = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 600 })}.c2ln`;
      assertFailure(await s.run(['task', 'list'], { env: { BARGE_URL: b.url, BARGE_TOKEN: forged } }), 1, /session expired, run barge login \(Invalid or expired token\)/);
    } finally {
      await s.cleanup();
    }
  });

  it('usage errors exit 2 with a message and no stack trace; --debug adds one', async () => {
    assertFailure(await cli.run(['copy', 'only-one:/']), 2, 'copy needs at least one source and a destination');
    assertFailure(await cli.run(['copy', 'no-colon', 'dst:/']), 2, '"no-colon" is not STORAGE:PATH');
    assertFailure(await cli.run(['task', 'list', '--limit', 'ten']), 2, "option '--limit <n>' argument 'ten' is invalid");
    assertFailure(await cli.run(['copy', 'a:/', 'b:/', '--checksum', 'sha1']), 2, 'Allowed choices are crc32, md5, xxhash64');
    assertFailure(await cli.run(['task', 'lsit']), 2, "unknown command 'lsit'");
    assertFailure(await cli.run(['task', 'show']), 2, "missing required argument 'task'");
    const debug = await cli.run(['copy', 'only-one:/', '--debug']);
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, /^\s+at .+:\d+:\d+\)?$/m, '--debug prints the stack');
    const help = await cli.run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: barge/);
  });

  it("API errors print the API's own message (model_error.messages, data_management_error.detail) and exit 1", async () => {
    const bad = { name: unique('bad'), workflow_type: 'data_migration', workflow_action: 'copy', options: { parallel: 0 } };
    const expected = await b.admin.post('/tasks', bad);
    assert.equal(expected.status, 422);
    const r = await cli.run(['task', 'create', '--name', bad.name, '--option', 'parallel=0']);
    assertFailure(r, 1, expected.body.messages[0]);

    const t = await b.admin.post('/tasks', { name: unique('idle'), workflow_type: 'data_migration', workflow_action: 'copy' });
    const refused = await b.admin.put(`/tasks/${t.body.id}/action/pause`);
    assert.equal(typeof refused.body.detail, 'string');
    assertFailure(await cli.run(['task', 'pause', t.body.id]), 1, refused.body.detail);
    assertFailure(await cli.run(['task', 'show', 'no-such-task']), 1, 'Task not found');
  });

  it('reports an unreachable server without a stack trace', async () => {
    const r = await runBarge(['task', 'list'], { PATH: process.env.PATH ?? '', HOME: cli.home, BARGE_URL: 'http://127.0.0.1:9', BARGE_TOKEN: 'x' });
    assertFailure(r, 1, 'cannot reach Barge at http://127.0.0.1:9');
  });

  it('prints a bash completion script that completes commands, sub-commands and flag values', async () => {
    const script = await cli.ok(['completion', 'bash']);
    for (const word of ['serve', 'login', 'logout', 'alias', 'copy', 'move', 'task', 'exec', 'storage', 'user', 'group', 'key', 'tape', 'completion']) assert.match(script, new RegExp(`\\b${word}\\b`));
    assert.match(script, /^complete -o default -F _barge barge$/m);
    const bash = spawnSync('bash', ['-c', `${script}\nc() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _barge; echo "\${COMPREPLY[*]}"; }\nc barge ta\nc barge task ""\nc barge storage sh\nc barge copy a:/ b:/ --checksum x\nc barge task list --so\ncomplete -p barge`], { encoding: 'utf8' });
    assert.equal(bash.status, 0, bash.stderr);
    assert.deepEqual(bash.stdout.trim().split('\n'), [
      'task tape',
      'list show create update delete run dry-run defer run-defer pause resume stop force-stop watch',
      'shares',
      'xxhash64',
      '--sort',
      'complete -o default -F _barge barge',
    ]);
    assertFailure(await cli.run(['completion', 'fish']), 2, 'unsupported shell "fish"');
  });
});
