/**
 * `barge storage nas|shares|connectors|buckets|pools …`: the storage registry. The five resources
 * share one shape (list/show/create/update/delete), so they are described as data and built by one
 * function; the extras (`shares mount`, `connectors test|sync`) are added beside, and the privilege
 * commands (`grant`, `revoke`, `privileges`, `guest`) live in privileges.ts.
 */
import { Option, type Command } from 'commander';
import type { Context, Runner } from '../context.js';
import { UsageError } from '../errors.js';
import { addListFlags, listQuery, type ListFlags } from '../flags.js';
import { formatDate, printList, printOne, renderTable, type Column } from '../output.js';
import { readJsonFile, readStdin } from '../prompt.js';
import { StorageResolver } from '../locations.js';
import { RIGHTS, registerPrivileges } from './privileges.js';
import { NODEUM_CLOUD_PROVIDERS, NAS_TYPES } from '../../domain/storage-types.js';
import { ByteSizeError, parseByteSize } from '../../lib/byte-size.js';

type Row = Record<string, any>;

/** One flag of a create/update command and the body attribute it sets. */
interface Field {
  flag: string;
  attr: string;
  help: string;
  choices?: string[];
  requiredOnCreate?: boolean;
  /** Turns the flag's text into the body's value (default: the text as is). */
  parse?: (text: string) => unknown;
}

/** A size flag (`--quota 500G`, `none`): lib/byte-size.ts, its error a usage error. */
export function parseBytes(text: string): number | null {
  try {
    return parseByteSize(text);
  } catch (err) {
    throw err instanceof ByteSizeError ? new UsageError(err.message) : err;
  }
}

interface ResourceSpec {
  command: string;
  /** Collection path and list key (`/nas` → `nas`). */
  path: string;
  key: string;
  label: string;
  columns: Column<Row>[];
  fields: Field[];
  /** Resources created under a parent (`POST /nas/{id}/nas_shares`): the flag naming the parent. */
  parent?: { flag: string; attr: string; path: (id: string) => string; help: string };
  /** A secret read from stdin rather than a flag (a flag's value is visible in `ps`). */
  stdinSecret?: { flag: string; attr: string; help: string };
}

const updated: Column<Row> = { head: 'updated', get: (r) => formatDate(r.updated_at) };
/** Every authenticated user's right on a storage (barge storage guest), shown where it applies. */
const guest: Column<Row> = { head: 'guest', get: (r) => r.guest_right };
const guestField: Field = { flag: '--guest-right <right>', attr: 'guest_right', help: "every user's right without a privilege of their own (default none)", choices: [...RIGHTS] };

const SPECS: ResourceSpec[] = [
  {
    command: 'nas', path: '/nas', key: 'nas', label: 'NAS',
    columns: [{ head: 'id', get: (r) => r.id }, { head: 'name', get: (r) => r.name }, { head: 'type', get: (r) => r.type }, { head: 'host', get: (r) => r.host }, updated],
    fields: [
      { flag: '--name <name>', attr: 'name', help: 'name', requiredOnCreate: true },
      { flag: '--type <type>', attr: 'type', help: 'kind of NAS', choices: [...NAS_TYPES], requiredOnCreate: true },
      { flag: '--host <host>', attr: 'host', help: 'host name (informational for local)' },
      { flag: '--comment <text>', attr: 'comment', help: 'comment' },
    ],
  },
  {
    command: 'shares', path: '/nas_shares', key: 'nas_shares', label: 'NAS share',
    columns: [{ head: 'id', get: (r) => r.id }, { head: 'name', get: (r) => r.name }, { head: 'nas', get: (r) => r.nas_id }, { head: 'path', get: (r) => r.path }, { head: 'pool', get: (r) => r.pool_id }, guest, updated],
    fields: [
      { flag: '--name <name>', attr: 'name', help: 'name (what copy/move use as STORAGE)', requiredOnCreate: true },
      { flag: '--path <path>', attr: 'path', help: 'absolute directory on the movers', requiredOnCreate: true },
      { flag: '--pool <id>', attr: 'pool_id', help: 'pool id' },
      { flag: '--username <name>', attr: 'username', help: 'account the share is mounted with (SMB/NFS; stored sealed, shown to admins)' },
      { flag: '--quota <size>', attr: 'quota_bytes', help: 'what cache_cleaning keeps the share under (bytes, or 500G, 2TiB; none: no quota)', parse: parseBytes },
      guestField,
    ],
    stdinSecret: { flag: '--password-stdin', attr: 'password', help: "read the share account's password from stdin (stored sealed, never returned)" },
    parent: { flag: '--nas <id>', attr: 'nas_id', path: (id) => `/nas/${encodeURIComponent(id)}/nas_shares`, help: 'the NAS the share belongs to' },
  },
  {
    command: 'connectors', path: '/cloud_connectors', key: 'cloud_connectors', label: 'cloud connector',
    columns: [{ head: 'id', get: (r) => r.id }, { head: 'name', get: (r) => r.name }, { head: 'provider', get: (r) => r.provider }, { head: 'url', get: (r) => r.url }, { head: 'region', get: (r) => r.region }, updated],
    fields: [
      { flag: '--name <name>', attr: 'name', help: 'name', requiredOnCreate: true },
      { flag: '--provider <provider>', attr: 'provider', help: 'service (azure: Azure Blob, access key = account name, secret key = account key; any other: S3)', choices: [...NODEUM_CLOUD_PROVIDERS], requiredOnCreate: true },
      { flag: '--url <url>', attr: 'url', help: 'endpoint URL' },
      { flag: '--region <region>', attr: 'region', help: 'region' },
      { flag: '--access-key <key>', attr: 'access_key', help: 'access key id' },
      { flag: '--secret-key <secret>', attr: 'secret_key', help: 'secret key (visible in ps: prefer --secret-key-stdin)' },
    ],
    stdinSecret: { flag: '--secret-key-stdin', attr: 'secret_key', help: 'read the secret key from stdin' },
  },
  {
    command: 'buckets', path: '/cloud_buckets', key: 'cloud_buckets', label: 'cloud bucket',
    columns: [{ head: 'id', get: (r) => r.id }, { head: 'name', get: (r) => r.name }, { head: 'connector', get: (r) => r.cloud_connector_id }, { head: 'location', get: (r) => r.location }, { head: 'pool', get: (r) => r.pool_id }, guest, updated],
    fields: [
      { flag: '--name <name>', attr: 'name', help: 'bucket name', requiredOnCreate: true },
      { flag: '--location <location>', attr: 'location', help: 'location' },
      { flag: '--pool <id>', attr: 'pool_id', help: 'pool id' },
      guestField,
    ],
    parent: { flag: '--connector <id>', attr: 'cloud_connector_id', path: (id) => `/cloud_connectors/${encodeURIComponent(id)}/cloud_buckets`, help: 'the cloud connector of the bucket' },
  },
  {
    command: 'pools', path: '/pools', key: 'pools', label: 'pool',
    columns: [{ head: 'id', get: (r) => r.id }, { head: 'name', get: (r) => r.name }, { head: 'type', get: (r) => r.type }, { head: 'content', get: (r) => r.content }, { head: 'comment', get: (r) => r.comment }, guest, updated],
    fields: [
      { flag: '--name <name>', attr: 'name', help: 'name', requiredOnCreate: true },
      { flag: '--type <type>', attr: 'type', help: 'pool type', choices: ['primary', 'active_archive', 'offline_archive', 'data_exchange', 'scratch', 'data_enrichment'], requiredOnCreate: true },
      { flag: '--content <content>', attr: 'content', help: 'what the pool holds', choices: ['nas', 'cloud', 'tape'], requiredOnCreate: true },
      { flag: '--comment <text>', attr: 'comment', help: 'comment' },
      guestField,
    ],
  },
];

/** commander's camelCase key of a flag (`--access-key <k>` → accessKey). */
function optionKey(flag: string): string {
  return new Option(flag).attributeName();
}

function addFields(cmd: Command, fields: Field[], creating: boolean): Command {
  for (const f of fields) {
    const o = new Option(f.flag, f.help + (creating && f.requiredOnCreate ? ' (required)' : ''));
    if (f.choices) o.choices(f.choices);
    cmd.addOption(o);
  }
  return cmd;
}

async function bodyOf(ctx: Context, spec: ResourceSpec, f: Row, creating: boolean): Promise<Row> {
  const body: Row = {};
  for (const field of spec.fields) {
    const v = f[optionKey(field.flag)];
    if (v !== undefined) body[field.attr] = field.parse ? field.parse(String(v)) : v;
    else if (creating && field.requiredOnCreate) throw new UsageError(`missing ${field.flag.split(' ')[0]} (barge storage ${spec.command} create --help)`);
  }
  if (spec.stdinSecret && f[optionKey(spec.stdinSecret.flag)]) body[spec.stdinSecret.attr] = await readStdin(ctx.io);
  if (f.file) {
    return { ...(await readJsonFile(ctx.io, f.file as string)), ...body };
  }
  return body;
}

function build(storage: Command, run: Runner, spec: ResourceSpec): Command {
  const group = storage.command(spec.command).description(`${spec.label}s: list, show, create, update, delete`);
  const list = addListFlags(group.command('list').description(`list ${spec.label}s`), `${spec.label}s`);
  if (spec.parent) list.option(spec.parent.flag, `only those of this ${spec.parent.attr.replace(/_id$/, '').replace(/_/g, ' ')}`);
  list.action(
    run.action<ListFlags & Row>(async (ctx, _a, f) => {
      const q = listQuery(f);
      if (spec.parent) {
        const parent = f[optionKey(spec.parent.flag)];
        if (parent) q[spec.parent.attr] = parent as string;
      }
      printList<Row>(ctx, await (await ctx.client()).get(spec.path, q), spec.key, spec.columns, f.offset);
    }),
  );

  group.command('show <id>').description(`show a ${spec.label}`).action(
    run.action(async (ctx, [id]) => printOne(ctx, await (await ctx.client()).get(`${spec.path}/${encodeURIComponent(id)}`))),
  );

  const create = addFields(group.command('create').description(`create a ${spec.label} (admins)`), spec.fields, true).option('--file <json>', 'the body as JSON (- reads stdin); flags override it');
  if (spec.parent) create.requiredOption(spec.parent.flag, spec.parent.help);
  if (spec.stdinSecret) create.option(spec.stdinSecret.flag, spec.stdinSecret.help);
  create.action(
    run.action<Row>(async (ctx, _a, f) => {
      const body = await bodyOf(ctx, spec, f, !f.file);
      const path = spec.parent ? spec.parent.path(f[optionKey(spec.parent.flag)] as string) : spec.path;
      const created = await (await ctx.client()).post<Row>(path, body);
      if (ctx.json) ctx.printJson(created);
      else ctx.out(created.id as string);
    }),
  );

  const update = addFields(group.command('update <id>').description(`change a ${spec.label} (admins; only what is given)`), spec.fields, false).option('--file <json>', 'the changes as JSON (- reads stdin)');
  if (spec.stdinSecret) update.option(spec.stdinSecret.flag, spec.stdinSecret.help);
  update.action(
    run.action<Row>(async (ctx, [id], f) => {
      const body = await bodyOf(ctx, spec, f, false);
      if (Object.keys(body).length === 0) throw new UsageError(`nothing to update (barge storage ${spec.command} update --help)`);
      printOne(ctx, await (await ctx.client()).put(`${spec.path}/${encodeURIComponent(id)}`, body));
    }),
  );

  group.command('delete <id>').description(`delete a ${spec.label} (admins)`).action(
    run.action(async (ctx, [id]) => {
      await (await ctx.client()).delete(`${spec.path}/${encodeURIComponent(id)}`);
      if (ctx.json) ctx.printJson({ deleted: id });
      else ctx.out(`Deleted ${spec.label} ${id}`);
    }),
  );
  return group;
}

/** Registers `barge storage …`. */
export function registerStorage(program: Command, run: Runner): void {
  const storage = program.command('storage').description('storages: NAS, shares, cloud connectors and buckets, pools; who may use them (grant, revoke, privileges, guest)');
  const groups = new Map(SPECS.map((s) => [s.command, build(storage, run, s)]));

  groups.get('shares')?.command('mount <share>').description('is the share (id or name) reachable, readable and writable on this host?').action(
    run.action(async (ctx, [share]) => {
      const client = await ctx.client();
      const s = await new StorageResolver(client).resolve(share);
      if (s.type !== 'nas') throw new UsageError(`"${share}" is a cloud bucket, not a NAS share`);
      const r = await client.get<Row>(`/nas_shares/${encodeURIComponent(s.id)}/mount`);
      printOne(ctx, r, ['path', 'mounted', 'readable', 'writable', 'error']);
      if (!r.mounted || !r.readable) return 1;
    }),
  );

  const connectors = groups.get('connectors') as Command;
  connectors.command('test <id>').description("check a connector's credentials against its endpoint (a real ListBuckets)").action(
    run.action(async (ctx, [id]) => {
      const r = await (await ctx.client()).put<Row>('/cloud_connectors/-/test', { id });
      printOne(ctx, r, ['ok', 'buckets', 'error']);
      if (!r.ok) return 1;
    }),
  );
  connectors.command('sync <id>').description("import the endpoint's buckets not registered yet; lists them all").action(
    run.action(async (ctx, [id]) => {
      const r = await (await ctx.client()).put<Row>(`/cloud_connectors/${encodeURIComponent(id)}/cloud_buckets/-/sync`);
      if (ctx.json) return ctx.printJson(r);
      const buckets = (r.cloud_buckets ?? []) as Row[];
      ctx.out(buckets.length ? renderTable(['id', 'name', 'location'], buckets.map((b) => [b.id, b.name, b.location])) : 'no buckets');
    }),
  );
  registerPrivileges(storage, run);
}
