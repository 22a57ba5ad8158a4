/**
 * `barge group list|show|create|update|delete` (admins): groups of users, which storage privileges
 * name when a right belongs to a team (`barge storage grant STORAGE --group NAME`). A group is named
 * by its name or its id. The API replaces the members as a whole, so `--add-user`/`--remove-user`
 * read the members first and send the new list (two admins editing one group at the same moment: the
 * last write wins).
 */
import type { Command } from 'commander';
import type { Context, Runner } from '../context.js';
import type { ApiClient } from '../http.js';
import { ApiError, CliError, UsageError } from '../errors.js';
import { addListFlags, collect, listQuery, type ListFlags } from '../flags.js';
import { formatDate, printList, renderKeyValues, type Column } from '../output.js';

type Row = Record<string, any>;

const COLUMNS: Column<Row>[] = [
  { head: 'id', get: (g) => g.id },
  { head: 'name', get: (g) => g.name },
  { head: 'users', get: (g) => (g.users as string[]).length },
  { head: 'comment', get: (g) => g.comment },
  { head: 'updated', get: (g) => formatDate(g.updated_at) },
];

/** A group by exact name, else by id; unknown names say where to look. */
export async function resolveGroup(client: ApiClient, nameOrId: string): Promise<Row> {
  const byName = await client.get<{ groups: Row[] }>('/groups', { name: `=${nameOrId}`, limit: 2 });
  if (byName.groups.length === 1) return byName.groups[0] as Row;
  try {
    return await client.get<Row>(`/groups/${encodeURIComponent(nameOrId)}`);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) throw new CliError(`unknown group "${nameOrId}": no group has this name or id (see barge group list)`);
    throw err;
  }
}

/** One group for people: its attributes, then its members one per line. */
function printGroup(ctx: Context, g: Row): void {
  if (ctx.json) return ctx.printJson(g);
  const users = g.users as string[];
  ctx.out(renderKeyValues([['id', g.id], ['name', g.name], ['comment', g.comment], ['created_at', g.created_at], ['updated_at', g.updated_at], ['users', users.length ? users.join(', ') : '-']]));
}

interface GroupFlags {
  name?: string;
  comment?: string;
  user?: string[];
  addUser?: string[];
  removeUser?: string[];
}

/** Registers `barge group …`. */
export function registerGroups(program: Command, run: Runner): void {
  const group = program.command('group').description('groups of users (admins): what storage privileges name for a team');

  addListFlags(group.command('list').description('list groups (admins)'), 'groups', { all: false }).action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/groups', listQuery(f)), 'groups', COLUMNS, f.offset)),
  );

  group.command('show <group>').description('show a group (name or id) and its members').action(
    run.action(async (ctx, [ref]) => printGroup(ctx, await resolveGroup(await ctx.client(), ref))),
  );

  group
    .command('create')
    .description('create a group (admins)')
    .requiredOption('--name <name>', 'name (what barge storage grant --group takes)')
    .option('--comment <text>', 'comment')
    .option('--user <username>', 'a member, repeatable', collect)
    .action(
      run.action<GroupFlags>(async (ctx, _a, f) => {
        const body: Row = { name: f.name, users: f.user ?? [] };
        if (f.comment !== undefined) body.comment = f.comment;
        const g = await (await ctx.client()).post<Row>('/groups', body);
        if (ctx.json) ctx.printJson(g);
        else ctx.out(g.id as string);
      }),
    );

  group
    .command('update <group>')
    .description('change a group (name or id; admins): rename it, or change its members')
    .option('--name <name>', 'new name')
    .option('--comment <text>', 'new comment')
    .option('--user <username>', 'the members from now on (replaces them all), repeatable', collect)
    .option('--add-user <username>', 'add a member, repeatable', collect)
    .option('--remove-user <username>', 'remove a member, repeatable', collect)
    .action(
      run.action<GroupFlags>(async (ctx, [ref], f) => {
        if (f.user && (f.addUser || f.removeUser)) throw new UsageError('--user replaces the members: use it without --add-user/--remove-user');
        if (f.name === undefined && f.comment === undefined && !f.user && !f.addUser && !f.removeUser) throw new UsageError('nothing to update (barge group update --help)');
        const client = await ctx.client();
        const g = await resolveGroup(client, ref);
        const body: Row = {};
        if (f.name !== undefined) body.name = f.name;
        if (f.comment !== undefined) body.comment = f.comment;
        if (f.user) body.users = f.user;
        else if (f.addUser || f.removeUser) body.users = members(ctx, g, f.addUser ?? [], f.removeUser ?? []);
        printGroup(ctx, await client.put<Row>(`/groups/${encodeURIComponent(g.id as string)}`, body));
      }),
    );

  group.command('delete <group>').description('delete a group (name or id; admins); the privileges naming it go with it').action(
    run.action(async (ctx, [ref]) => {
      const client = await ctx.client();
      const g = await resolveGroup(client, ref);
      await client.delete(`/groups/${encodeURIComponent(g.id as string)}`);
      if (ctx.json) ctx.printJson({ deleted: g.id });
      else ctx.out(`Deleted group ${g.name}`);
    }),
  );
}

/** The members after adding and removing; removing a non-member is only noted (the result is what was asked). */
function members(ctx: Context, g: Row, add: string[], remove: string[]): string[] {
  const current = g.users as string[];
  for (const u of remove) if (!current.includes(u)) ctx.note(`${u} is not a member of ${g.name as string}`);
  const next = current.filter((u) => !remove.includes(u));
  for (const u of add) if (!next.includes(u)) next.push(u);
  return next;
}
