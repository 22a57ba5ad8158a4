/**
 * Bringing ejected cartridges back into a library (issue #12; a Barge addition, the reverse of
 * `POST /tape_libraries/{id}/eject`): `POST /tape_libraries/{id}/import {barcodes}`. The operator
 * puts each cartridge in the mailslot; the robot takes it to its home slot, or the first free one:
 * the tape is `location: slot`, no longer `ejected`, and may be loaded and written again (it keeps its
 * pool, its sessions and its catalog rows: what it holds is what it held when it left).
 *
 * Admins only (hardware). Every barcode is checked before anything moves: unknown or another
 * library's barcodes are a 422 naming them. Cartridges already in the library (a slot or a drive) are
 * left as they are. Moves happen one by one, each row written right after its move, so a move the
 * changer refuses half-way (every slot taken) leaves rows that say where each cartridge is.
 */
import type { Clock } from '../lib/clock.js';
import type { TapeRepository } from '../store/tape-repository.js';
import type { Principal } from './principal.js';
import { moveEach, requestedTapes } from './tape-moves.js';

type Json = Record<string, unknown>;

/** The changer move the service needs (storage/tape's virtual libraries, through the composition root). */
export interface TapeImporter {
  /** Offline or mailslot → its home slot or a free one; returns the slot. Failures are TapeErrors. */
  importCartridge(path: string, barcode: string, signal?: AbortSignal): Promise<number>;
}

export class TapeImportService {
  constructor(
    private readonly repo: TapeRepository,
    private readonly importer: TapeImporter,
    private readonly clock: Clock,
  ) {}

  /** Imports `barcodes` into the library; returns the tapes as they are after. */
  async import(p: Principal, libraryId: string, body: unknown, signal?: AbortSignal): Promise<Json> {
    const { lib, tapes, errors } = await requestedTapes(this.repo, p, libraryId, body, 'import');
    errors.throwIfAny();
    return moveEach(this.repo, tapes, { name: 'import', past: 'imported' }, (t) => t.location === 'slot' || t.location === 'drive', async (t) => {
      const slot = await this.importer.importCartridge(lib.path, t.barcode, signal);
      const now = this.clock.now().toISOString();
      return { location: 'slot', location_index: slot, ejected: 0, mounted: 0, date_in: now, date_move: now, updated_at: now };
    });
  }
}
