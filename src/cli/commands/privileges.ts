/**
 * `barge storage grant|revoke|privileges|guest`: who may read and write which storage (issue #15).
 * The API keeps one privilege per grantee and storage (a second POST is `taken`), so `grant` looks the
 * grantee up first and changes the existing entry instead of failing; `revoke` deletes it. A storage is
 * named as copy/move name it (a share or bucket name, or an id), or `pool:NAME` (also `share:NAME`,
 * `bucket:NAME` when a share and a bucket share a name).
 */
import { Option, type Command } from 'commander';
import type { Context, Runner } from '../context.js';
import type { ApiClient } from '../http.js';
import { ApiError, CliError, UsageError } from '../errors.js';
import { STORAGE_KINDS, findStorage, type FoundStorage, type StorageKind } from '../locations.js';
import { printOne, renderTable } from '../output.js';

type Row = Record<string, any>;

/** Nodeum's rights, weakest first (`none` shuts a grantee out even where the guest right lets others in). */
export const RIGHTS = ['none', 'read', 'read_write'] as const;

const PREFIXES: Record<string, StorageKind> = { share: 'nas', bucket: 'cloud', pool: 'pool' };

const STORAGE_HELP = 'a share or bucket name or id (as copy/move take it), or pool:NAME (share:NAME, bucket:NAME pick one kind)';

/**
 * A STORAGE argument → the storage. `pool:NAME` names a pool (pools are not copy/move locations, so a
 * bare name never means one); `share:`/`bucket:` settle a name that a share and a bucket both use.
 */
export async function resolveStorageRef(client: ApiClient, raw: string): Promise<FoundStorage> {
  const m = /^(share|bucket|pool):(.+)$/s.exec(raw);
  if (m) return findStorage(client, [PREFIXES[m[1] as string] as StorageKind], m[2] as string);
  return findStorage(client, ['nas', 'cloud'], raw);
}

/** The API path of a storage (`/nas_shares/ID`). */
function storagePath(s: FoundStorage): string {
  return `${STORAGE_KINDS[s.kind].path}/${encodeURIComponent(s.id)}`;
}

/** `NAS share src` — how messages name a storage. */
function label(s: FoundStorage): string {
  return `${STORAGE_KINDS[s.kind].label} ${s.name}`;
}

interface Grantee {
  type: 'user' | 'group';
  name: string;
}

/** `--user U` or `--group G`: exactly one of them (a usage error otherwise). */
function grantee(f: { user?: string; group?: string }): Grantee {
  if (f.user !== undefined && f.group !== undefined) throw new UsageError('use either --user or --group, not both');
  if (f.user !== undefined) return { type: 'user', name: f.user };
  if (f.group !== undefined) return { type: 'group', name: f.group };
  throw new UsageError('name who: --user USERNAME or --group GROUP');
}

/** Every privilege of a storage, all pages, in the API's list shape. */
async function allPrivileges(client: ApiClient, s: FoundStorage, query: Record<string, string> = {}): Promise<{ count: number; privileges: Row[] }> {
  const privileges: Row[] = [];
  for (let offset = 0; ; ) {
    const page = await client.get<{ count: number; privileges: Row[] }>(`${storagePath(s)}/privileges`, { ...query, limit: 1000, offset });
    privileges.push(...page.privileges);
    offset += page.privileges.length;
    if (page.privileges.length === 0 || offset >= page.count) return { count: page.count, privileges };
  }
}

/** The privilege naming this grantee on the storage, if any (the API cannot filter by name). */
async function findPrivilege(client: ApiClient, s: FoundStorage, g: Grantee): Promise<Row | undefined> {
  return (await allPrivileges(client, s, { type: g.type })).privileges.find((p) => p.name === g.name);
}

function isTaken(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.status !== 422) return false;
  const details = (err.body as { details?: Record<string, Array<{ error?: string }>> } | undefined)?.details;
  return details?.name?.some((d) => d.error === 'taken') ?? false;
}

const RIGHT_OPTION = () => new Option('--right <right>', 'the right').choices([...RIGHTS]);
const addGranteeFlags = (c: Command) => c.option('--user <username>', 'a user').option('--group <name>', 'a group (barge group list)');

/** Registers the privilege commands under `barge storage`. */
export function registerPrivileges(storage: Command, run: Runner): void {
  addGranteeFlags(
    storage
      .command('grant <storage>')
      .description('give a user or a group a right on a storage (admins); changes the right they already have')
      .addHelpText('after', `\nSTORAGE: ${STORAGE_HELP}.\nExample: barge storage grant src --group lab --right read`),
  )
    .addOption(RIGHT_OPTION().makeOptionMandatory())
    .action(
      run.action<{ user?: string; group?: string; right: string }>(async (ctx, [raw], f) => {
        const who = grantee(f);
        const client = await ctx.client();
        const s = await resolveStorageRef(client, raw);
        // A second try when another grant created the entry between our look-up and our POST.
        const first = await grant(client, s, who, f.right);
        const { privilege, created } = first.privilege ? first : await grant(client, s, who, f.right);
        if (!privilege) throw new CliError(`${who.type} ${who.name}: the privilege on ${label(s)} changed while granting; try again`);
        if (ctx.json) return ctx.printJson(privilege);
        ctx.out(`${who.type} ${who.name}: ${f.right} on ${label(s)} (${created ? 'granted' : 'changed'})`);
      }),
    );

  addGranteeFlags(
    storage
      .command('revoke <storage>')
      .description("remove a user's or a group's privilege on a storage (admins); the guest right then applies to them")
      .addHelpText('after', `\nSTORAGE: ${STORAGE_HELP}.`),
  ).action(
    run.action<{ user?: string; group?: string }>(async (ctx, [raw], f) => {
      const who = grantee(f);
      const client = await ctx.client();
      const s = await resolveStorageRef(client, raw);
      const p = await findPrivilege(client, s, who);
      if (!p) throw new CliError(`${who.type} ${who.name} has no privilege on ${label(s)} (see barge storage privileges ${raw})`);
      await client.delete(`${storagePath(s)}/privileges/${encodeURIComponent(p.id as string)}`);
      if (ctx.json) return ctx.printJson({ deleted: p.id });
      ctx.out(`${who.type} ${who.name}: privilege on ${label(s)} revoked (was ${p.privilege})`);
    }),
  );

  storage
    .command('privileges <storage>')
    .description('list who may use a storage (admins): users and groups, and the guest right of everyone else')
    .addHelpText('after', `\nSTORAGE: ${STORAGE_HELP}.`)
    .action(
      run.action(async (ctx, [raw]) => {
        const client = await ctx.client();
        const s = await resolveStorageRef(client, raw);
        const body = await allPrivileges(client, s);
        if (ctx.json) return ctx.printJson(body);
        printPrivileges(ctx, s, body.privileges);
      }),
    );

  storage
    .command('guest <storage>')
    .description("set a storage's guest right: what every authenticated user without a privilege of their own (or of a group) may do (admins)")
    .addHelpText('after', `\nSTORAGE: ${STORAGE_HELP}.`)
    .addOption(RIGHT_OPTION().makeOptionMandatory())
    .action(
      run.action<{ right: string }>(async (ctx, [raw], f) => {
        const client = await ctx.client();
        const s = await resolveStorageRef(client, raw);
        printOne(ctx, await client.put<Row>(storagePath(s), { guest_right: f.right }), ['id', 'name', 'guest_right']);
      }),
    );
}

/** Creates the grantee's privilege or changes the one they have; `privilege` undefined means "raced, try again". */
async function grant(client: ApiClient, s: FoundStorage, who: Grantee, right: string): Promise<{ privilege?: Row; created: boolean }> {
  const existing = await findPrivilege(client, s, who);
  if (existing) return { privilege: await client.put<Row>(`${storagePath(s)}/privileges/${encodeURIComponent(existing.id as string)}`, { privilege: right }), created: false };
  try {
    return { privilege: await client.post<Row>(`${storagePath(s)}/privileges`, { name: who.name, type: who.type, privilege: right }), created: true };
  } catch (err) {
    if (isTaken(err)) return { created: false };
    throw err;
  }
}

function printPrivileges(ctx: Context, s: FoundStorage, privileges: Row[]): void {
  const rows = [...privileges].sort((a, b) => String(a.type).localeCompare(String(b.type)) || String(a.name).localeCompare(String(b.name)));
  if (rows.length) ctx.out(renderTable(['id', 'type', 'name', 'privilege'], rows.map((p) => [p.id, p.type, p.name, p.privilege])));
  else ctx.note(`no privileges on ${label(s)}`);
  ctx.note(`guest right (every other user): ${String(s.view.guest_right ?? '-')}`);
}
