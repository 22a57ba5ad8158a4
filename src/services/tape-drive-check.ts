/**
 * What `run` checks of the drives a tape run asks for (issue #12): `options.selected_drive` (and, for
 * a duplication, `selected_drive_2`) must name a drive of the library the run will use, and a
 * duplication — which reads one cartridge while it writes another — needs a library with two drives
 * and a destination tape pool with cartridges in that library. Why at run, before an execution
 * exists: the library is known from the cartridges (or the pool) then, so a wrong drive number or a
 * one-drive library is a 422 naming the option or the library, not an execution that ends in error.
 */
import { DataManagementError } from '../domain/errors.js';
import { selectedDrive, type DriveOption } from '../domain/tape-drives.js';
import { endpointKind } from '../domain/task.js';
import type { TaskEndpointRow, TapeLibraryRow, TapeRow } from '../store/schema.js';

/** What the checks read of the store (TapeRepository through the composition roots). */
export interface TapeDriveLookup {
  findTapeByBarcode(barcode: string): Promise<TapeRow | undefined>;
  poolTapes?(poolId: string): Promise<TapeRow[]>;
  findLibrary?(id: string): Promise<TapeLibraryRow | undefined>;
}

type Refuse = (why: string) => DataManagementError;

/** The libraries holding `tapes`, each once. */
async function librariesOf(lookup: TapeDriveLookup, tapes: readonly TapeRow[]): Promise<TapeLibraryRow[]> {
  const out: TapeLibraryRow[] = [];
  for (const id of new Set(tapes.map((t) => t.tape_library_id))) {
    const lib = await lookup.findLibrary?.(id);
    if (lib) out.push(lib);
  }
  return out;
}

/** Refuses a drive option that is not a number, or names a drive some of `libraries` does not have. */
function checkDrive(refuse: Refuse, options: Record<string, unknown>, key: DriveOption, libraries: readonly TapeLibraryRow[]): number | undefined {
  const c = selectedDrive(options, key);
  if (!c.ok) throw refuse(c.why);
  if (c.drive === undefined) return undefined;
  for (const lib of libraries) {
    const drives = Number(lib.drives);
    if (c.drive >= drives) throw refuse(`options.${key} is ${c.drive}, but tape library ${lib.name} has ${drives} drive${drives === 1 ? '' : 's'} (numbered 0 to ${drives - 1} in /tape_drives)`);
  }
  return c.drive;
}

/** `selected_drive` of an archive or restore against the library of its tape pool. */
export async function checkPoolDrive(lookup: TapeDriveLookup | undefined, taskName: string, options: Record<string, unknown>, poolId: string): Promise<void> {
  const refuse: Refuse = (why) => new DataManagementError(422, `Task ${taskName} cannot run: ${why}`);
  const c = selectedDrive(options, 'selected_drive');
  if (c.ok && c.drive === undefined) return;
  const tapes = lookup?.poolTapes ? await lookup.poolTapes(poolId) : [];
  checkDrive(refuse, options, 'selected_drive', lookup ? await librariesOf(lookup, tapes) : []);
}

/** `selected_drive` of format/get_index against the libraries of the cartridges they load. */
export async function checkActionDrive(lookup: TapeDriveLookup, refuse: Refuse, options: Record<string, unknown>, tapes: readonly TapeRow[]): Promise<void> {
  checkDrive(refuse, options, 'selected_drive', await librariesOf(lookup, tapes));
}

/**
 * A duplication: source cartridges from `options.barcodes` or one source `{type: tape, pool_id}`,
 * copies to the one destination `{type: tape, pool_id}` (another pool: a copy never lands in the
 * pool it copies); every source in one library with two drives or more, the destination pool having
 * cartridges there; `selected_drive` (source) and `selected_drive_2` (copy) two different drives of it.
 */
export async function checkDuplication(lookup: TapeDriveLookup, refuse: Refuse, options: Record<string, unknown>, endpoints: readonly TaskEndpointRow[], barcodes: string[] | undefined): Promise<void> {
  if (!lookup.poolTapes || !lookup.findLibrary) throw refuse('this process cannot check cartridges');
  const sources = endpoints.filter((e) => e.role === 'source');
  const destinations = endpoints.filter((e) => e.role === 'destination');
  if (endpoints.some((e) => endpointKind(e.type) !== 'tape')) throw refuse('duplication works on tape storages only (cartridge to cartridge)');
  if (destinations.length !== 1 || !destinations[0]!.pool_id) throw refuse('duplication needs one destination {type: tape, pool_id}: the tape pool whose cartridges receive the copies');
  if (sources.length > 1) throw refuse('duplication takes at most one tape pool as its source');
  const target = destinations[0]!.pool_id;
  const sourcePool = sources[0]?.pool_id ?? undefined;
  if (sources.length === 1 && !sourcePool) throw refuse('a tape endpoint needs a pool_id (a pool of content tape)');
  if (!barcodes && !sourcePool) throw refuse('options.barcodes is missing (or give the task a source {type: tape, pool_id}: every cartridge of that pool is copied)');
  if (sourcePool === target) throw refuse('the destination tape pool is the source pool; copies go to another pool');
  let tapes: TapeRow[];
  if (barcodes) {
    const found = await Promise.all(barcodes.map(async (b) => ({ b, t: await lookup.findTapeByBarcode(b) })));
    const unknown = found.filter((f) => !f.t).map((f) => f.b);
    if (unknown.length > 0) throw refuse(`unknown barcode${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    tapes = found.map((f) => f.t as TapeRow);
  } else {
    tapes = (await lookup.poolTapes(sourcePool as string)).filter((t) => Number(t.ejected) === 0);
    if (tapes.length === 0) throw refuse('the source tape pool has no cartridge in a library');
  }
  const inTarget = tapes.filter((t) => t.pool_id === target).map((t) => t.barcode);
  if (inTarget.length > 0) throw refuse(`${inTarget.join(', ')} ${inTarget.length > 1 ? 'are' : 'is'} in the destination tape pool; copies go to another pool`);
  const libraries = await librariesOf(lookup, tapes);
  if (libraries.length > 1) throw refuse(`the cartridges to copy are in several tape libraries (${libraries.map((l) => l.name).join(', ')}); one duplication uses one library`);
  const lib = libraries[0];
  if (!lib) throw refuse('the tape library of the cartridges no longer exists');
  if (Number(lib.drives) < 2) throw refuse(`duplication needs two drives (one reads, one writes) and tape library ${lib.name} has ${lib.drives}`);
  if (!(await lookup.poolTapes(target)).some((t) => t.tape_library_id === lib.id)) throw refuse(`the destination tape pool has no cartridge in tape library ${lib.name}`);
  const first = checkDrive(refuse, options, 'selected_drive', [lib]);
  const second = checkDrive(refuse, options, 'selected_drive_2', [lib]);
  if (first !== undefined && first === second) throw refuse(`options.selected_drive and options.selected_drive_2 are both drive ${first}; a duplication reads on one drive and writes on another`);
}
