/**
 * What the eject and import services share (issue #12): reading a request's barcodes against one
 * library, and moving the cartridges one by one through the changer with each tape row written right
 * after its move. Why one by one with a row per move: a move the changer refuses half-way (every
 * mailslot or slot taken) then leaves rows that say where each cartridge really is, and the error
 * names what already moved.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import type { TapeLibraryRow, TapeRow } from '../store/schema.js';
import type { TapeRepository } from '../store/tape-repository.js';
import type { Principal } from './principal.js';
import { unwrapBody } from './request-body.js';
import { tapeErrorCode } from './tape-library-service.js';
import { tapeView } from './tape-views.js';

/** At most this many barcodes per request (a library's largest slot count). */
export const MAX_BARCODES = 1000;

/** The request's `barcodes` (ejecting or importing): a non-empty list of non-empty strings, deduplicated. */
export function readBarcodes(body: unknown, errors: ValidationErrors): string[] {
  const raw = unwrapBody(body, 'tape_library').barcodes;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    errors.add('barcodes', { error: 'blank' }, "Barcodes can't be blank");
    return [];
  }
  if (!Array.isArray(raw) || raw.some((b) => typeof b !== 'string' || b === '')) {
    errors.add('barcodes', { error: 'invalid', value: raw }, 'Barcodes must be a list of barcodes');
    return [];
  }
  if (raw.length > MAX_BARCODES) errors.add('barcodes', { error: 'too_long', count: MAX_BARCODES }, `Barcodes is too long (maximum is ${MAX_BARCODES})`);
  return [...new Set(raw as string[])];
}

/** The library and the tapes a request names; unknown or another library's barcodes are in `errors`. */
export interface RequestedTapes {
  lib: TapeLibraryRow;
  tapes: TapeRow[];
  errors: ValidationErrors;
}

/** Admins only (hardware); 404 for an unknown library; 422 for a bad `barcodes` list. */
export async function requestedTapes(repo: TapeRepository, p: Principal, libraryId: string, body: unknown, verb: string): Promise<RequestedTapes> {
  if (!p.isAdmin) throw forbidden(`Only an admin can ${verb} tapes`);
  const lib = await repo.findLibrary(libraryId);
  if (!lib) throw notFound('Tape library');
  const errors = new ValidationErrors();
  const barcodes = readBarcodes(body, errors);
  errors.throwIfAny();
  const tapes: TapeRow[] = [];
  const unknown: string[] = [];
  for (const barcode of barcodes) {
    const t = await repo.findTapeByBarcode(barcode);
    if (!t || t.tape_library_id !== lib.id) unknown.push(barcode);
    else tapes.push(t);
  }
  if (unknown.length > 0) errors.add('barcodes', { error: 'not_found', value: unknown }, `No tape ${unknown.join(', ')} in library ${lib.name}`);
  return { lib, tapes, errors };
}

/**
 * Moves each tape that is not already where the move takes it (`done`), writing its row right after
 * (`move` returns the row's new fields); a TapeError is a 422 naming the tape and what moved before it.
 */
export async function moveEach(repo: TapeRepository, tapes: TapeRow[], verb: { name: string; past: string }, done: (t: TapeRow) => boolean, move: (t: TapeRow) => Promise<Partial<TapeRow>>): Promise<Record<string, unknown>> {
  const out: TapeRow[] = [];
  for (const t of tapes) {
    if (done(t)) {
      out.push(t);
      continue;
    }
    let patch: Partial<TapeRow>;
    try {
      patch = await move(t);
    } catch (err) {
      const code = tapeErrorCode(err);
      if (code === undefined) throw err;
      throw invalid('barcodes', { error: 'invalid', reason: code, value: t.barcode }, `Could not ${verb.name} ${t.barcode}: ${(err as Error).message}${out.length > 0 ? ` (${verb.past} before it: ${out.map((o) => o.barcode).join(', ')})` : ''}`);
    }
    await repo.updateTape(t.id, patch);
    out.push({ ...t, ...patch });
  }
  return { count: out.length, tapes: out.map(tapeView) };
}
