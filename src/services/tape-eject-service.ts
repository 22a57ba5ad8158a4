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
import type { Clock } from '../lib/clock.js';
import type { TapeRepository } from '../store/tape-repository.js';
import type { Principal } from './principal.js';
import { moveEach, requestedTapes } from './tape-moves.js';

type Json = Record<string, unknown>;

/** The changer move the service needs (storage/tape's virtual libraries, through the composition root). */
export interface TapeEjector {
  /** Slot → a free mailslot → out of the library; returns the mailslot used. Failures are TapeErrors. */
  ejectCartridge(path: string, barcode: string, signal?: AbortSignal): Promise<number>;
}

export class TapeEjectService {
  constructor(
    private readonly repo: TapeRepository,
    private readonly ejector: TapeEjector,
    private readonly clock: Clock,
  ) {}

  /** Ejects `barcodes` of the library; returns the tapes as they are after. */
  async eject(p: Principal, libraryId: string, body: unknown, signal?: AbortSignal): Promise<Json> {
    const { lib, tapes, errors } = await requestedTapes(this.repo, p, libraryId, body, 'eject');
    const inDrive = tapes.filter((t) => t.location === 'drive').map((t) => `${t.barcode} (drive ${t.location_index})`);
    if (inDrive.length > 0) errors.add('barcodes', { error: 'invalid', reason: 'in_drive', value: inDrive }, `Tapes in a drive cannot be ejected: ${inDrive.join(', ')}; they return to their slot when the drive is released`);
    errors.throwIfAny();
    return moveEach(this.repo, tapes, { name: 'eject', past: 'ejected' }, (t) => t.location === 'offline', async (t) => {
      await this.ejector.ejectCartridge(lib.path, t.barcode, signal);
      const now = this.clock.now().toISOString();
      return { location: 'offline', location_index: null, ejected: 1, mounted: 0, date_move: now, updated_at: now };
    });
  }
}
