/**
 * Tape as data (issue #12): LTO generations and their native capacities, barcodes, where a
 * cartridge can be, and the bounds of a virtual library. Pure rules; the medium and the changer are
 * in storage/tape, the records in store/tape-*-repository.ts.
 */

/** Cartridge types a library is made of (Nodeum's `tape.type` values for data cartridges Barge emulates). */
export const TAPE_TYPES = ['data_lto6', 'data_lto7', 'data_lto8', 'data_lto9'] as const;
export type TapeType = (typeof TAPE_TYPES)[number];

/** Native (uncompressed) capacity per generation, in bytes (decimal, as the LTO consortium states them). */
export const LTO_CAPACITY_BYTES: Record<TapeType, number> = {
  data_lto6: 2.5e12,
  data_lto7: 6e12,
  data_lto8: 12e12,
  data_lto9: 18e12,
};

/** The media identifier of a generation's barcodes: `L6` … `L9`. */
export function mediaSuffix(type: TapeType): string {
  return `L${type.slice(-1)}`;
}

/** Library types Barge can drive (a real `mtx` backend would add `scsi`). */
export const TAPE_LIBRARY_TYPES = ['virtual'] as const;

/** Where a cartridge is. `offline`: ejected from the library (on the shelf). */
export const TAPE_LOCATIONS = ['slot', 'drive', 'mailslot', 'offline'] as const;
export type TapeLocation = (typeof TAPE_LOCATIONS)[number];

/** Bounds of a virtual library (each a sanity limit, not a hardware one). */
export const LIBRARY_LIMITS = {
  slots: { min: 1, max: 999 },
  drives: { min: 1, max: 64 },
  mailslots: { min: 0, max: 64 },
  /** A cartridge must hold at least one small session (headers, index, end-of-archive). */
  capacityBytes: { min: 64 * 1024, max: 2 ** 53 - 1 },
  loadSeconds: { min: 0, max: 3600 },
  seekMbPerSecond: { min: 0, max: 1e6 },
} as const;

/** Defaults of the simulated mechanics: small, so a demo feels like tape without waiting minutes. */
export const DEFAULT_LOAD_SECONDS = 2;
export const DEFAULT_SEEK_MB_PER_SECOND = 1000;
export const DEFAULT_BARCODE_PREFIX = 'BRG';

/** A barcode prefix: three upper-case letters or digits (the volume serial is the prefix and a 3-digit number). */
export const BARCODE_PREFIX = /^[A-Z0-9]{3}$/;

/**
 * `count` barcodes `PPPnnnLg` on the lowest numbers not `taken` (every barcode already known with that
 * prefix counts, whatever its generation: the volume serial `PPPnnn` must be unique), or undefined when
 * the 999 numbers of the prefix do not suffice.
 */
export function nextBarcodes(prefix: string, type: TapeType, count: number, taken: readonly string[]): string[] | undefined {
  const used = new Set<number>();
  for (const b of taken) {
    if (b.startsWith(prefix) && /^\d{3}$/.test(b.slice(3, 6))) used.add(Number(b.slice(3, 6)));
  }
  const out: string[] = [];
  for (let n = 1; n <= 999 && out.length < count; n++) {
    if (!used.has(n)) out.push(`${prefix}${String(n).padStart(3, '0')}${mediaSuffix(type)}`);
  }
  return out.length === count ? out : undefined;
}

/** The tape workflow actions the engine runs on cartridges named by `options.barcodes` (engine/tape/tape-actions.ts; duplication: tape-duplication.ts). */
export const TAPE_WORKFLOW_ACTIONS: ReadonlySet<string> = new Set(['format', 'get_index', 'ejection', 'duplication']);

/**
 * Whether an execution works on the tape catalog (engine/tape/tape-catalog-run.ts): `cache_cleaning`
 * and `rehydratation` (a primary share and its tape copies) always; `check_consistency` when it names
 * a tape pool or cartridges (`options.barcodes` and no other endpoint) — on disks and buckets it keeps
 * comparing a source with a destination through the movers.
 */
export function isTapeCatalogAction(action: string, endpointKinds: ReadonlyArray<string | undefined>, options: Record<string, unknown>): boolean {
  if (action === 'cache_cleaning' || action === 'rehydratation') return true;
  if (action !== 'check_consistency') return false;
  if (endpointKinds.includes('tape')) return true;
  return endpointKinds.length === 0 && Array.isArray(options.barcodes) && options.barcodes.length > 0;
}

/** Whether the storage path `path` (`/a/b`) is `root` or under it (`/` holds every path). */
export function isUnderPath(path: string, root: string): boolean {
  const r = root === '/' ? '' : root.replace(/\/+$/, '');
  return r === '' || path === r || path.startsWith(`${r}/`);
}
