/**
 * Which cartridge of a tape pool an archive writes to next. Never one that is locked (an admin's
 * decision), write-protected (its tab), ejected or outside the library (offline, in a mailslot), or
 * full; among the rest the fullest first — a pool fills its cartridges one by one rather than
 * spreading a little on each, so fewer cartridges are needed to restore a set of files.
 */
import type { TapeRow } from '../../store/schema.js';

/** Bytes under which a cartridge counts as full (the end-of-archive blocks and a minimal member). */
const NEARLY_FULL = 4096;

/** Why `t` cannot be written, or undefined when it can. */
export function unwritable(t: TapeRow): string | undefined {
  if (Number(t.locked) === 1) return 'locked';
  if (Number(t.write_protect) === 1) return 'write-protected';
  if (Number(t.ejected) === 1 || t.location === 'offline') return 'ejected';
  if (t.location === 'mailslot') return 'in a mailslot';
  if (Number(t.cleaning) === 1) return 'a cleaning cartridge';
  if (Number(t.free_bytes) < NEARLY_FULL) return 'full';
  return undefined;
}

/** The cartridges to try, best first, leaving out `tried` (barcodes that already refused). */
export function writableCartridges(tapes: readonly TapeRow[], tried: ReadonlySet<string>): TapeRow[] {
  return tapes.filter((t) => !tried.has(t.barcode) && unwritable(t) === undefined)
    .sort((a, b) => Number(a.free_bytes) - Number(b.free_bytes) || (a.barcode < b.barcode ? -1 : 1));
}

/** One line for an execution's log saying why no cartridge of the pool can be written. */
export function noCartridgeReason(tapes: readonly TapeRow[]): string {
  if (tapes.length === 0) return 'the tape pool has no cartridges';
  const why = tapes.map((t) => `${t.barcode} ${unwritable(t) ?? 'cannot take the file'}`);
  return `no cartridge of the tape pool can be written (${why.join(', ')})`;
}
