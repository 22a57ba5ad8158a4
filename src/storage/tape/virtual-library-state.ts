/**
 * The virtual library's "hardware": which cartridge sits in which element, each cartridge's capacity,
 * home slot and mount count, and the mechanics' costs — `library.json` beside the cartridge files.
 * It plays the part of the changer's own memory (what `mtx status` reads on a real library), so the
 * virtual library works without the store; the store mirrors it.
 *
 * Written atomically (temporary file, fsync, rename, fsync of the directory): a crash leaves the
 * state before or after a move, never half of one.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TapeError } from './tape-error.js';

export const STATE_FILE = 'library.json';
export const CARTRIDGE_DIR = 'cartridges';
const FORMAT = 'barge-virtual-library/1';

export interface CartridgeRecord {
  capacity_bytes: number;
  /** The slot the cartridge returns to when unloaded (when free). */
  home: number;
  mounts: number;
}

export interface LibraryState {
  format: typeof FORMAT;
  tape_type: string;
  load_seconds: number;
  seek_mb_per_second: number;
  slots: Array<string | null>;
  drives: Array<string | null>;
  mailslots: Array<string | null>;
  offline: string[];
  cartridges: Record<string, CartridgeRecord>;
}

/** What a new virtual library is made of. */
export interface VirtualLibrarySpec {
  slots: number;
  drives: number;
  mailslots: number;
  tapeType: string;
  /** Barcodes of the cartridges, placed in slots 0, 1, 2… */
  barcodes: string[];
  capacityBytes: number;
  loadSeconds: number;
  seekMbPerSecond: number;
}

export function initialState(spec: VirtualLibrarySpec): LibraryState {
  if (spec.barcodes.length > spec.slots) throw new TapeError('invalid_argument', `${spec.barcodes.length} cartridges do not fit in ${spec.slots} slots`);
  const slots: Array<string | null> = new Array<string | null>(spec.slots).fill(null);
  const cartridges: Record<string, CartridgeRecord> = {};
  spec.barcodes.forEach((b, i) => {
    if (!/^[A-Z0-9]{6}L[0-9A-Z]$/.test(b)) throw new TapeError('invalid_argument', `Bad barcode ${b}`);
    if (cartridges[b]) throw new TapeError('invalid_argument', `Barcode ${b} given twice`);
    slots[i] = b;
    cartridges[b] = { capacity_bytes: spec.capacityBytes, home: i, mounts: 0 };
  });
  return {
    format: FORMAT, tape_type: spec.tapeType, load_seconds: spec.loadSeconds, seek_mb_per_second: spec.seekMbPerSecond,
    slots, drives: new Array<string | null>(spec.drives).fill(null), mailslots: new Array<string | null>(spec.mailslots).fill(null), offline: [], cartridges,
  };
}

export function cartridgeFile(dir: string, barcode: string): string {
  return join(dir, CARTRIDGE_DIR, `${barcode}.tar`);
}

export async function readState(dir: string): Promise<LibraryState> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'));
  } catch (err) {
    throw new TapeError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'corrupt', `No virtual library state in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const s = parsed as Partial<LibraryState> | null;
  if (!s || s.format !== FORMAT || !Array.isArray(s.slots) || !Array.isArray(s.drives) || !Array.isArray(s.mailslots) || !Array.isArray(s.offline) || typeof s.cartridges !== 'object') {
    throw new TapeError('corrupt', `${join(dir, STATE_FILE)} is not a Barge virtual library state`);
  }
  return s as LibraryState;
}

export async function writeState(dir: string, state: LibraryState): Promise<void> {
  const tmp = join(dir, `.${STATE_FILE}.tmp`);
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 1)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, STATE_FILE));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Where a barcode is in a state. */
export function locate(state: LibraryState, barcode: string): { kind: 'slot' | 'drive' | 'mailslot'; index: number } | { kind: 'offline' } | undefined {
  for (const kind of ['slots', 'drives', 'mailslots'] as const) {
    const i = state[kind].indexOf(barcode);
    if (i >= 0) return { kind: kind === 'slots' ? 'slot' : kind === 'drives' ? 'drive' : 'mailslot', index: i };
  }
  if (state.offline.includes(barcode)) return { kind: 'offline' };
  return undefined;
}
