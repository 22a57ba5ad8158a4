/**
 * `barge user …` (admins manage users; everyone sees `user me`) and `barge key …` (everyone manages
 * their own API keys; the full key is shown once, at creation).
 */
import type { Command } from 'commander';
import type { Context, Runner } from '../context.js';
import { UsageError } from '../errors.js';
import { addListFlags, collect, listQuery, type ListFlags } from '../flags.js';
import { formatDate, printList, printOne, type Column } from '../output.js';
import { ask, readStdin } from '../prompt.js';

type Row = Record<string, any>;

const USER_KEYS = ['id', 'username', 'email', 'is_admin', 'groups', 'created_at', 'updated_at'];

/** One user for people: `groups` (what storage privileges may name them by) as a plain list. */
function printUser(ctx: Context, u: Row): void {
  printOne(ctx, ctx.json ? u : { ...u, groups: Array.isArray(u.groups) ? (u.groups as string[]).join(', ') : u.groups }, USER_KEYS);
}
const USER_COLUMNS: Column<Row>[] = [
  { head: 'id', get: (u) => u.id },
  { head: 'username', get: (u) => u.username },
  { head: 'email', get: (u) => u.email },
  { head: 'admin', get: (u) => (u.is_admin ? 'yes' : 'no') },
  { head: 'groups', get: (u) => (Array.isArray(u.groups) ? (u.groups as string[]).join(',') : u.groups) },
  { head: 'created', get: (u) => formatDate(u.created_at) },
];

const KEY_KEYS = ['id', 'name', 'api_key', 'api_key_scopes', 'created_at', 'updated_at', 'last_used_at'];
const KEY_COLUMNS: Column<Row>[] = [
  { head: 'id', get: (k) => k.id },
  { head: 'name', get: (k) => k.name },
  { head: 'key', get: (k) => k.key },
  { head: 'scopes', get: (k) => (k.api_key_scopes as Array<{ controller: string; action: string }>).map((s) => `${s.controller}/${s.action}`).join(' ') },
  { head: 'last used', get: (k) => formatDate(k.last_used_at) },
];

interface UserFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  email?: string;
  admin?: boolean;
}

async function userBody(ctx: Context, f: UserFlags, cmd: Command, creating: boolean): Promise<Row> {
  const user: Row = {};
  if (f.username !== undefined) user.username = f.username;
  if (f.email !== undefined) user.email = f.email;
  if (cmd.getOptionValueSource('admin') === 'cli') user.is_admin = Boolean(f.admin);
  if (f.password !== undefined && f.passwordStdin) throw new UsageError('use either --password or --password-stdin');
  if (f.passwordStdin) user.password = await readStdin(ctx.io);
  else if (f.password !== undefined) user.password = f.password;
  else if (creating) user.password = await ask(ctx.io, 'Password for the new user: ', true, '--password-stdin or --password is required');
  return { user };
}

/** `controller/action` → the API's scope object. */
export function parseScope(raw: string): { controller: string; action: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(raw);
  if (!m) throw new UsageError(`bad --scope "${raw}": expected CONTROLLER/ACTION, e.g. tasks/index or */*`);
  return { controller: m[1] as string, action: m[2] as string };
}

/** Registers `barge user …` and `barge key …`. */
export function registerUsers(program: Command, run: Runner): void {
  const user = program.command('user').description('users (admins), and who you are (user me)');
  addListFlags(user.command('list').description('list users (admins)'), 'users').action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/users', listQuery(f)), 'users', USER_COLUMNS, f.offset)),
  );
  user.command('me').description('the user these credentials belong to').action(
    run.action(async (ctx) => printUser(ctx, await (await ctx.client()).get('/users/me'))),
  );
  user.command('show <id>').description('show a user').action(
    run.action(async (ctx, [id]) => printUser(ctx, await (await ctx.client()).get(`/users/${encodeURIComponent(id)}`))),
  );
  const passwordFlags = (c: Command) =>
    c
      .option('--password <password>', 'password (visible in ps: prefer --password-stdin)')
      .option('--password-stdin', 'read the password from stdin')
      .option('--email <email>', 'e-mail address')
      .option('--admin', 'make the user an admin')
      .option('--no-admin', 'make the user a regular user');
  passwordFlags(user.command('create').description('create a user (admins)').requiredOption('--username <name>', 'username')).action(
    run.action<UserFlags>(async (ctx, _a, f, cmd) => {
      const u = await (await ctx.client()).post<Row>('/users', await userBody(ctx, f, cmd, true));
      if (ctx.json) ctx.printJson(u);
      else ctx.out(u.id as string);
    }),
  );
  passwordFlags(user.command('update <id>').description('change a user (admins; anyone for their own password)').option('--username <name>', 'new username')).action(
    run.action<UserFlags>(async (ctx, [id], f, cmd) => {
      const body = await userBody(ctx, f, cmd, false);
      if (Object.keys(body.user as Row).length === 0) throw new UsageError('nothing to update (barge user update --help)');
      printUser(ctx, await (await ctx.client()).put(`/users/${encodeURIComponent(id)}`, body));
    }),
  );
  user.command('delete <id>').description('delete a user (admins)').action(
    run.action(async (ctx, [id]) => {
      await (await ctx.client()).delete(`/users/${encodeURIComponent(id)}`);
      if (ctx.json) ctx.printJson({ deleted: id });
      else ctx.out(`Deleted user ${id}`);
    }),
  );

  const key = program.command('key').description('your API keys');
  addListFlags(key.command('list').description('list your API keys (masked)'), 'API keys').action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/users/me/api_keys', listQuery(f)), 'api_keys', KEY_COLUMNS, f.offset)),
  );
  key.command('show <id>').description('show an API key (masked)').action(
    run.action(async (ctx, [id]) => printOne(ctx, await (await ctx.client()).get(`/users/me/api_keys/${encodeURIComponent(id)}`), KEY_KEYS)),
  );
  key
    .command('create')
    .description('create an API key; the full key is shown this once')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--scope <controller/action>', 'allow one operation, repeatable (default */*: all you may do)', collect)
    .action(
      run.action<{ name: string; scope?: string[] }>(async (ctx, _a, f) => {
        const scopes = (f.scope ?? ['*/*']).map(parseScope);
        const k = await (await ctx.client()).post<Row>('/users/me/api_keys', { name: f.name, api_key_scopes: scopes });
        if (ctx.json) return ctx.printJson(k);
        printOne(ctx, k, KEY_KEYS);
        ctx.note('Store the key now: it is not shown again. Use it with: barge login --api-key KEY');
      }),
    );
  key
    .command('update <id>')
    .description('rename a key or replace its scopes')
    .option('--name <name>', 'new name')
    .option('--scope <controller/action>', 'the new scopes, repeatable', collect)
    .action(
      run.action<{ name?: string; scope?: string[] }>(async (ctx, [id], f) => {
        const body: Row = {};
        if (f.name !== undefined) body.name = f.name;
        if (f.scope) body.api_key_scopes = f.scope.map(parseScope);
        if (Object.keys(body).length === 0) throw new UsageError('nothing to update (barge key update --help)');
        printOne(ctx, await (await ctx.client()).put(`/users/me/api_keys/${encodeURIComponent(id)}`, body), KEY_KEYS);
      }),
    );
  key.command('delete <id>').description('revoke an API key').action(
    run.action(async (ctx, [id]) => {
      await (await ctx.client()).delete(`/users/me/api_keys/${encodeURIComponent(id)}`);
      if (ctx.json) ctx.printJson({ deleted: id });
      else ctx.out(`Deleted API key ${id}`);
    }),
  );
}
