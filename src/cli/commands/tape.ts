/**
 * `barge tape library|drive|tape list|show`, `barge tape library create`, `barge tape eject|import BARCODE…`
 * (issue #12): the tape libraries of the server, what each drive is doing, the cartridges with their
 * fill and flags. Libraries and drives are admins'; tapes are listed as the API shows them (admins
 * every tape, others those of pools they may read). A library is named by its name or id, a tape by
 * its barcode or id.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Context, Runner } from '../context.js';
import type { ApiClient } from '../http.js';
import { ApiError, CliError, UsageError } from '../errors.js';
import { addListFlags, intArg, listQuery, type ListFlags } from '../flags.js';
import { formatBytes, formatRate, printList, printOne, renderTable, type Column } from '../output.js';
import { readJsonFile } from '../prompt.js';

type Row = Record<string, any>;

/** `12%`-style fill of a cartridge: used of max. */
export function fill(t: Row): string {
  const max = Number(t.max);
  if (!(max > 0)) return '-';
  return `${formatBytes(t.used)} / ${formatBytes(max)} (${Math.round((100 * Number(t.used)) / max)}%)`;
}

/** Where a cartridge is: `slot 3`, `drive 0`, `mailslot 0`, `offline`. */
export function place(t: Row): string {
  return t.location === 'offline' || t.location_index === null || t.location_index === undefined ? String(t.location) : `${t.location} ${t.location_index}`;
}

/** The flags set on a cartridge, comma-separated (`-` for none). */
export function flags(t: Row): string {
  const on = ['locked', 'write_protect', 'scratch', 'ejected', 'cleaning'].filter((k) => t[k] === true);
  return on.length ? on.join(',') : '-';
}

const LIBRARY_COLUMNS: Column<Row>[] = [
  { head: 'id', get: (l) => l.id },
  { head: 'name', get: (l) => l.name },
  { head: 'type', get: (l) => l.type },
  { head: 'tape_type', get: (l) => l.tape_type },
  { head: 'slots', get: (l) => l.slots },
  { head: 'drives', get: (l) => l.drives },
  { head: 'mailslots', get: (l) => l.mailslots },
  { head: 'capacity', get: (l) => formatBytes(l.capacity_bytes) },
  { head: 'status', get: (l) => l.status },
  { head: 'path', get: (l) => l.path },
];

const DRIVE_COLUMNS: Column<Row>[] = [
  { head: 'id', get: (d) => d.id },
  { head: 'index', get: (d) => d.index },
  { head: 'name', get: (d) => d.name },
  { head: 'status', get: (d) => d.status },
  { head: 'barcode', get: (d) => d.barcode },
  { head: 'task', get: (d) => d.task_id },
  { head: 'execution', get: (d) => d.execution_id },
  { head: 'mounts', get: (d) => d.mount_count },
  { head: 'bandwidth', get: (d) => formatRate(d.bandwidth) },
];

const TAPE_COLUMNS: Column<Row>[] = [
  { head: 'barcode', get: (t) => t.barcode },
  { head: 'id', get: (t) => t.id },
  { head: 'location', get: place },
  { head: 'pool', get: (t) => t.pool_id },
  { head: 'used', get: fill },
  { head: 'sessions', get: (t) => t.sessions },
  { head: 'flags', get: flags },
];

/** A library by id, else by exact name. */
export async function resolveLibrary(client: ApiClient, nameOrId: string): Promise<Row> {
  try {
    return await client.get<Row>(`/tape_libraries/${encodeURIComponent(nameOrId)}`);
  } catch (err) {
    if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 422)) throw err;
  }
  const byName = await client.get<{ tape_libraries: Row[] }>('/tape_libraries', { name: nameOrId, limit: 2 });
  if (byName.tape_libraries.length === 1) return byName.tape_libraries[0] as Row;
  throw new CliError(`unknown tape library "${nameOrId}": no library has this name or id (see barge tape library list)`);
}

/** A tape by barcode, else by id. */
export async function resolveTape(client: ApiClient, barcodeOrId: string): Promise<Row> {
  const byBarcode = await client.get<{ tapes: Row[] }>('/tapes', { barcode: barcodeOrId, limit: 2 });
  if (byBarcode.tapes.length === 1) return byBarcode.tapes[0] as Row;
  try {
    return await client.get<Row>(`/tapes/${encodeURIComponent(barcodeOrId)}`);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) throw new CliError(`unknown tape "${barcodeOrId}": no tape you may see has this barcode or id (see barge tape tape list)`);
    throw err;
  }
}

function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

/** The flags of `library create` and the body attribute each sets. */
const CREATE_FIELDS: Array<{ flag: string; attr: string; help: string; parse?: (v: string) => number; choices?: string[] }> = [
  { flag: '--name <name>', attr: 'name', help: 'name (required)' },
  { flag: '--path <dir>', attr: 'path', help: "absolute directory of the library's files, new or empty, inside BARGE_TAPE_ROOTS (required)" },
  { flag: '--slots <n>', attr: 'slots', help: 'storage slots (required)', parse: intArg },
  { flag: '--drives <n>', attr: 'drives', help: 'drives (required)', parse: intArg },
  { flag: '--tape-type <type>', attr: 'tape_type', help: "the cartridges' generation (required)", choices: ['data_lto6', 'data_lto7', 'data_lto8', 'data_lto9'] },
  { flag: '--mailslots <n>', attr: 'mailslots', help: 'import/export slots (default 1)', parse: intArg },
  { flag: '--tapes <n>', attr: 'tapes', help: 'cartridges to create (default: every slot)', parse: intArg },
  { flag: '--capacity-bytes <n>', attr: 'capacity_bytes', help: "each cartridge's capacity (default: the generation's native one)", parse: intArg },
  { flag: '--load-seconds <s>', attr: 'load_seconds', help: 'simulated time of a robot move (default 2)', parse: numberArg },
  { flag: '--seek-mb-per-second <n>', attr: 'seek_mb_per_second', help: 'simulated positioning speed (default 1000; 0: free)', parse: numberArg },
  { flag: '--barcode-prefix <abc>', attr: 'barcode_prefix', help: 'first three characters of the barcodes (default BRG)' },
  { flag: '--comment <text>', attr: 'comment', help: 'comment' },
  { flag: '--type <type>', attr: 'type', help: 'library type (default virtual)', choices: ['virtual'] },
];

function registerLibrary(tape: Command, run: Runner): void {
  const library = tape.command('library').description('tape libraries (admins): list, show, create');
  addListFlags(library.command('list').description('list the tape libraries'), 'libraries', { all: false }).action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/tape_libraries', listQuery(f)), 'tape_libraries', LIBRARY_COLUMNS, f.offset)),
  );
  library.command('show <library>').description('show a library (name or id)').action(
    run.action(async (ctx, [ref]) => printOne(ctx, await resolveLibrary(await ctx.client(), ref as string))),
  );
  const create = library.command('create').description('create a virtual library: its directory, one cartridge file per tape, drives and tapes');
  for (const field of CREATE_FIELDS) {
    const o = new Option(field.flag, field.help);
    if (field.parse) o.argParser(field.parse);
    if (field.choices) o.choices(field.choices);
    create.addOption(o);
  }
  create.option('--file <json>', 'the body as JSON (- reads stdin); flags override it').action(
    run.action<Row>(async (ctx, _a, f) => {
      const body: Row = f.file ? await readJsonFile(ctx.io, f.file as string) : {};
      for (const field of CREATE_FIELDS) {
        const v = f[new Option(field.flag).attributeName()];
        if (v !== undefined) body[field.attr] = v;
      }
      const missing = ['name', 'path', 'slots', 'drives', 'tape_type'].filter((a) => body[a] === undefined);
      if (missing.length > 0) throw new UsageError(`missing ${missing.map((a) => `--${a.replace(/_/g, '-')}`).join(', ')} (barge tape library create --help)`);
      const created = await (await ctx.client()).post<Row>('/tape_libraries', body);
      if (ctx.json) ctx.printJson(created);
      else ctx.out(created.id as string);
    }),
  );
}

function registerDrive(tape: Command, run: Runner): void {
  const drive = tape.command('drive').description('tape drives (admins): what each holds and serves');
  addListFlags(drive.command('list').description('list drives: the cartridge loaded, the task and execution using it'), 'drives', { all: false })
    .option('--library <library>', "only this library's drives (name or id)")
    .action(
      run.action<ListFlags & { library?: string }>(async (ctx, _a, f) => {
        const client = await ctx.client();
        const path = f.library ? `/tape_libraries/${encodeURIComponent((await resolveLibrary(client, f.library)).id)}/tape_drives` : '/tape_drives';
        printList(ctx, await client.get(path, listQuery(f)), 'tape_drives', DRIVE_COLUMNS, f.offset);
      }),
    );
  drive.command('show <id>').description('show a drive').action(
    run.action(async (ctx, [id]) => printOne(ctx, await (await ctx.client()).get(`/tape_drives/${encodeURIComponent(id as string)}`))),
  );
}

function registerTapes(tape: Command, run: Runner): void {
  const tapes = tape.command('tape').description('cartridges: where each is, how full, its flags');
  addListFlags(tapes.command('list').description('list cartridges (admins: all; others: those of pools they may read)'), 'tapes', { all: false })
    .option('--library <library>', "only this library's cartridges (name or id; admins)")
    .option('--pool <id>', "only this pool's cartridges")
    .action(
      run.action<ListFlags & { library?: string; pool?: string }>(async (ctx, _a, f) => {
        if (f.library && f.pool) throw new UsageError('give --library or --pool, not both');
        const client = await ctx.client();
        let path = '/tapes';
        if (f.library) path = `/tape_libraries/${encodeURIComponent((await resolveLibrary(client, f.library)).id)}/tapes`;
        else if (f.pool) path = `/pools/${encodeURIComponent(f.pool)}/tapes`;
        printList(ctx, await client.get(path, listQuery(f)), 'tapes', TAPE_COLUMNS, f.offset);
      }),
    );
  tapes.command('show <tape>').description('show a cartridge (barcode or id)').action(
    run.action(async (ctx, [ref]) => printOne(ctx, await resolveTape(await ctx.client(), ref as string))),
  );
}

/** Ejects (or imports back) barcodes, grouped by library (one request each, in the order given); prints where each went. */
async function move(ctx: Context, barcodes: string[], to: 'eject' | 'import'): Promise<void> {
  const client = await ctx.client();
  const byLibrary = new Map<string, string[]>();
  for (const barcode of barcodes) {
    const t = await resolveTape(client, barcode);
    const list = byLibrary.get(t.tape_library_id as string) ?? [];
    list.push(t.barcode as string);
    byLibrary.set(t.tape_library_id as string, list);
  }
  const ejected: Row[] = [];
  for (const [library, codes] of byLibrary) {
    const r = await client.post<{ tapes: Row[] }>(`/tape_libraries/${encodeURIComponent(library)}/${to}`, { barcodes: codes });
    ejected.push(...r.tapes);
  }
  if (ctx.json) return ctx.printJson({ count: ejected.length, tapes: ejected });
  ctx.out(renderTable(['barcode', 'location', 'flags'], ejected.map((t) => [t.barcode, place(t), flags(t)])));
}

/** Registers `barge tape …`. */
export function registerTape(program: Command, run: Runner): void {
  const tape = program.command('tape').description('tape: libraries, drives, cartridges; eject and import cartridges');
  registerLibrary(tape, run);
  registerDrive(tape, run);
  registerTapes(tape, run);
  tape.command('eject <barcodes...>').description('eject cartridges (admins): the robot takes each to a mailslot, then it is out of the library (offline)').action(
    run.action(async (ctx, [barcodes]) => move(ctx, barcodes as string[], 'eject')),
  );
  tape.command('import <barcodes...>').description('import ejected cartridges (admins): each goes from the mailslot to its home slot (or a free one), back in the library').action(
    run.action(async (ctx, [barcodes]) => move(ctx, barcodes as string[], 'import')),
  );
}
