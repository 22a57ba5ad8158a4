/**
 * A restore reads a file's **secondary copy** — the same path, size and checksum on a cartridge whose
 * `secondary_of` is the file's cartridge (written by a duplication: tape-duplication.ts) — when the
 * primary cannot serve it: out of the library (ejected to the vault, in a mailslot) before the run
 * starts, or unreadable while it runs (its bytes fail their checksum, the cartridge cannot be loaded).
 * That is what duplication is for: the copy restores the same bytes while the primary is away.
 *
 * Only copies in the primary's library (the run holds a drive of that library only) and in it now
 * (not ejected) are used; the restore verifies the copy's bytes against the same recorded checksum.
 */
import type { TapeRow } from '../../store/schema.js';
import type { TapeFileRepository } from '../../store/tape-file-repository.js';
import type { TapeRepository } from '../../store/tape-repository.js';
import type { RestoreFile } from './tape-restore.js';

/** Error codes of a read or load after which another copy is worth trying. */
export const TRY_A_COPY = new Set(['offline', 'wrong_location', 'not_found', 'not_loaded', 'checksum_mismatch', 'size_mismatch', 'io', 'corrupt']);

/** Whether a cartridge can be loaded now (in a slot or a drive of the library, not ejected). */
const inLibrary = (t: { ejected: number; location: string }) => Number(t.ejected) === 0 && (t.location === 'slot' || t.location === 'drive');

export class SecondaryCopies {
  private readonly primaries = new Map<string, TapeRow | undefined>();

  constructor(
    private readonly store: { tapes: TapeRepository; files: TapeFileRepository },
    private readonly note: (line: string) => Promise<void>,
  ) {}

  private async primary(barcode: string): Promise<TapeRow | undefined> {
    if (!this.primaries.has(barcode)) this.primaries.set(barcode, await this.store.tapes.findTapeByBarcode(barcode));
    return this.primaries.get(barcode);
  }

  /** The copies of `files` (on primaries with these ids) that can be read now, by primary id and path. */
  private async copies(primaryIds: string[], files: RestoreFile[], avoid: ReadonlySet<string>): Promise<Map<string, RestoreFile>> {
    const rows = await this.store.files.secondaryCopies(primaryIds, [...new Set(files.map((f) => f.member))]);
    const out = new Map<string, RestoreFile>();
    for (const f of files) {
      const p = await this.primary(f.barcode);
      const c = rows.find((r) => r.secondary_of === p?.id && r.path === f.member && Number(r.size) === f.size && r.checksum === f.checksum
        && r.tape_library_id === p?.tape_library_id && inLibrary(r) && !avoid.has(r.barcode));
      if (c) out.set(f.key, { ...f, barcode: c.barcode, offset: Number(c.data_offset), algorithm: c.algorithm });
    }
    return out;
  }

  /** `files` with those whose cartridge is out of the library read from a secondary copy instead (where one is in). */
  async resolve(files: RestoreFile[]): Promise<RestoreFile[]> {
    const away = new Map<string, TapeRow>();
    for (const b of new Set(files.map((f) => f.barcode))) {
      const t = await this.primary(b);
      if (t && !inLibrary(t)) away.set(b, t);
    }
    if (away.size === 0) return files;
    const affected = files.filter((f) => away.has(f.barcode));
    const copies = await this.copies([...away.values()].map((t) => t.id), affected, new Set());
    for (const [barcode, t] of away) {
      const mine = affected.filter((f) => f.barcode === barcode);
      const found = mine.map((f) => copies.get(f.key)).filter((c): c is RestoreFile => c !== undefined);
      const on = [...new Set(found.map((c) => c.barcode))];
      await this.note(`${barcode} is out of the library (${t.location}): ${found.length} of its ${mine.length} file(s) read from secondary copies${on.length ? ` on ${on.join(', ')}` : ''}`);
    }
    return files.map((f) => copies.get(f.key) ?? f);
  }

  /** Another copy of `f` after reading it failed with `code` (none when not worth trying or none is in); `tried`: barcodes not to use. */
  async instead(f: RestoreFile, code: string, tried: ReadonlySet<string>): Promise<RestoreFile | undefined> {
    if (!TRY_A_COPY.has(code)) return undefined;
    const p = await this.primary(f.barcode);
    // `f` may already be read from a copy: the cartridge it copies is then its `secondary_of`.
    const origin = p?.secondary_of ?? p?.id;
    if (!origin) return undefined;
    const rows = await this.store.files.secondaryCopies([origin], [f.member]);
    const c = rows.find((r) => r.path === f.member && Number(r.size) === f.size && r.checksum === f.checksum && r.tape_library_id === p?.tape_library_id
      && inLibrary(r) && r.barcode !== f.barcode && !tried.has(r.barcode));
    if (!c) return undefined;
    await this.note(`${f.member} could not be read from ${f.barcode} (${code}): reading the secondary copy on ${c.barcode}`);
    return { ...f, barcode: c.barcode, offset: Number(c.data_offset), algorithm: c.algorithm };
  }
}
