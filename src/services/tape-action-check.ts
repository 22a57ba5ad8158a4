/**
 * What `run` checks of the tape workflow actions the engine runs (issue #12): `format`, `get_index`
 * and `ejection`. They work on cartridges named by `options.barcodes` (or, for `get_index`, on every
 * cartridge of the tape pool of its one tape endpoint), so a run is refused with a 422 naming why when
 * the barcodes are missing or unknown, or when an endpoint does not fit — before an execution exists.
 * A `duplication` has its own checks (tape-drive-check.ts: a destination pool, two drives); every
 * action that loads cartridges checks `selected_drive` against their library.
 * Why admins only: these actions change or move hardware (as the eject endpoint and tape changes are
 * admins'), and a cartridge named by barcode belongs to no pool whose rights could be checked.
 */
import { DataManagementError } from '../domain/errors.js';
import { endpointKind } from '../domain/task.js';
import { TAPE_WORKFLOW_ACTIONS } from '../domain/tape.js';
import type { TaskEndpointRow, TapeLibraryRow, TapeRow, UserRow } from '../store/schema.js';
import { checkActionDrive, checkDuplication, type TapeDriveLookup } from './tape-drive-check.js';

/** The tape workflow actions the engine runs (engine/tape/tape-actions.ts). */
export const TAPE_ACTIONS = TAPE_WORKFLOW_ACTIONS;

/** What the check reads from the store (TapeRepository and UserRepository, through the composition root). */
export interface TapeActionLookup extends TapeDriveLookup {
  findTapeByBarcode(barcode: string): Promise<TapeRow | undefined>;
  findById(userId: string): Promise<UserRow | undefined>;
}

/** The barcodes of `options.barcodes`, deduplicated; undefined when absent or empty; null when not a list of strings. */
export function optionBarcodes(options: Record<string, unknown>): string[] | undefined | null {
  const raw = options.barcodes;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return undefined;
  if (!Array.isArray(raw) || raw.some((b) => typeof b !== 'string' || b === '')) return null;
  return [...new Set(raw as string[])];
}

/** Refuses (422, 403 for a non-admin owner) a tape action that cannot run; returns nothing when it can. */
export async function checkTapeAction(
  lookup: TapeActionLookup | undefined, task: { name: string; user_id: string }, action: string, options: Record<string, unknown>, endpoints: TaskEndpointRow[],
): Promise<void> {
  const refuse = (why: string) => new DataManagementError(422, `Task ${task.name} (${action}) cannot run: ${why}`);
  if (!lookup) throw refuse('this process cannot check cartridges');
  const owner = await lookup.findById(task.user_id);
  if (!owner || Number(owner.is_admin) !== 1) throw new DataManagementError(403, `Task ${task.name} (${action}) cannot run: tape actions are an admin's`);
  const sources = endpoints.filter((e) => e.role === 'source');
  const destinations = endpoints.filter((e) => e.role === 'destination');
  if (action === 'duplication') {
    const barcodes = optionBarcodes(options);
    if (barcodes === null) throw refuse('options.barcodes must be a list of barcodes');
    return checkDuplication(lookup, refuse, options, endpoints, barcodes);
  }
  if (destinations.length > 0) throw refuse(`${action} takes no destination`);
  if (sources.some((e) => endpointKind(e.type) !== 'tape')) throw refuse(`${action} works on tape storages only`);
  if (sources.length > 1) throw refuse(`${action} takes at most one tape pool as its source`);
  if (action !== 'get_index' && sources.length > 0) throw refuse(`${action} names its cartridges with options.barcodes and takes no endpoint`);
  const barcodes = optionBarcodes(options);
  if (barcodes === null) throw refuse('options.barcodes must be a list of barcodes');
  if (barcodes === undefined) {
    if (action === 'get_index' && sources[0]?.pool_id) {
      await checkActionDrive(lookup, refuse, options, (await lookup.poolTapes?.(sources[0].pool_id)) ?? []);
      return;
    }
    throw refuse(action === 'get_index' ? 'options.barcodes is missing (or give the task a tape endpoint with a pool_id to read all its cartridges)' : 'options.barcodes is missing');
  }
  const unknown: string[] = [];
  const found: TapeRow[] = [];
  for (const b of barcodes) {
    const t = await lookup.findTapeByBarcode(b);
    if (t) found.push(t);
    else unknown.push(b);
  }
  if (unknown.length > 0) throw refuse(`unknown barcode${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (action !== 'ejection') await checkActionDrive(lookup, refuse, options, found);
}

/** The lookup over the store's tape and user repositories (the composition roots pass the concrete ones). */
export function tapeActionLookup(
  tapes: { findTapeByBarcode(b: string): Promise<TapeRow | undefined>; poolTapes(poolId: string): Promise<TapeRow[]>; findLibrary(id: string): Promise<TapeLibraryRow | undefined> },
  users: { findById(id: string): Promise<UserRow | undefined> },
): TapeActionLookup {
  return { findTapeByBarcode: (b) => tapes.findTapeByBarcode(b), findById: (id) => users.findById(id), poolTapes: (p) => tapes.poolTapes(p), findLibrary: (id) => tapes.findLibrary(id) };
}
