/**
 * Ejecting cartridges from a library (issue #12; a Barge addition beside Nodeum's `ejection` workflow
 * action): `POST /tape_libraries/{id}/eject {barcodes}`. The robot takes each cartridge from its slot
 * to a mailslot, then it leaves the library (the operator's part): the tape is `ejected`, `offline`,
 * and is never chosen for writing nor loaded again.
 *
 * Admins only (hardware). Every barcode is checked before anything moves, so a bad list moves
 * nothing: unknown or another library's barcodes, and cartridges in a drive — the drive may be
 * serving an execution, and only the engine, which holds the drives, may unload it — are 422s naming
 * the barcodes. Cartridges already offline are left as they are. Moves happen one by one, each row
 * written right after its move, so a move the changer refuses half-way (every mailslot taken) leaves
 * rows that say where each cartridge is.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import type { TapeRow } from '../store/schema.js';
import type { TapeRepository } from '../store/tape-repository.js';
import type { Principal } from './principal.js';
import { unwrapBody } from './request-body.js';
import { tapeErrorCode } from './tape-library-service.js';
import { tapeView } from './tape-views.js';

type Json = Record<string, unknown>;

/** The changer move the service needs (storage/tape's virtual libraries, through the composition root). */
export interface TapeEjector {
  /** Slot → a free mailslot → out of the library; returns the mailslot used. Failures are TapeErrors. */
  ejectCartridge(path: string, barcode: string, signal?: AbortSignal): Promise<number>;
}

/** At most this many barcodes per request (a library's largest slot count). */
export const MAX_EJECT_BARCODES = 1000;

function readBarcodes(body: unknown, errors: ValidationErrors): string[] {
  const raw = unwrapBody(body, 'tape_library').barcodes;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    errors.add('barcodes', { error: 'blank' }, "Barcodes can't be blank");
    return [];
  }
  if (!Array.isArray(raw) || raw.some((b) => typeof b !== 'string' || b === '')) {
    errors.add('barcodes', { error: 'invalid', value: raw }, 'Barcodes must be a list of barcodes');
    return [];
  }
  if (raw.length > MAX_EJECT_BARCODES) errors.add('barcodes', { error: 'too_long', count: MAX_EJECT_BARCODES }, `Barcodes is too long (maximum is ${MAX_EJECT_BARCODES})`);
  return [...new Set(raw as string[])];
}

export class TapeEjectService {
  constructor(
    private readonly repo: TapeRepository,
    private readonly ejector: TapeEjector,
    private readonly clock: Clock,
  ) {}

  /** Ejects `barcodes` of the library; returns the tapes as they are after. */
  async eject(p: Principal, libraryId: string, body: unknown, signal?: AbortSignal): Promise<Json> {
    if (!p.isAdmin) throw forbidden('Only an admin can eject tapes');
    const lib = await this.repo.findLibrary(libraryId);
    if (!lib) throw notFound('Tape library');
    const errors = new ValidationErrors();
    const barcodes = readBarcodes(body, errors);
    errors.throwIfAny();
    const tapes: TapeRow[] = [];
    const unknown: string[] = [];
    const inDrive: string[] = [];
    for (const barcode of barcodes) {
      const t = await this.repo.findTapeByBarcode(barcode);
      if (!t || t.tape_library_id !== lib.id) unknown.push(barcode);
      else if (t.location === 'drive') inDrive.push(`${barcode} (drive ${t.location_index})`);
      else tapes.push(t);
    }
    if (unknown.length > 0) errors.add('barcodes', { error: 'not_found', value: unknown }, `No tape ${unknown.join(', ')} in library ${lib.name}`);
    if (inDrive.length > 0) errors.add('barcodes', { error: 'invalid', reason: 'in_drive', value: inDrive }, `Tapes in a drive cannot be ejected: ${inDrive.join(', ')}; they return to their slot when the drive is released`);
    errors.throwIfAny();
    const out: TapeRow[] = [];
    for (const t of tapes) {
      if (t.location === 'offline') {
        out.push(t);
        continue;
      }
      try {
        await this.ejector.ejectCartridge(lib.path, t.barcode, signal);
      } catch (err) {
        const code = tapeErrorCode(err);
        if (code === undefined) throw err;
        throw invalid('barcodes', { error: 'invalid', reason: code, value: t.barcode }, `Could not eject ${t.barcode}: ${(err as Error).message}${out.length > 0 ? ` (ejected before it: ${out.map((o) => o.barcode).join(', ')})` : ''}`);
      }
      const now = this.clock.now().toISOString();
      const patch: Partial<TapeRow> = { location: 'offline', location_index: null, ejected: 1, mounted: 0, date_move: now, updated_at: now };
      await this.repo.updateTape(t.id, patch);
      out.push({ ...t, ...patch });
    }
    return { count: out.length, tapes: out.map(tapeView) };
  }
}
