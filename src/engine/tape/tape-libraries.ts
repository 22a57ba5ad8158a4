/**
 * The tape libraries this engine operates, opened once per process: a library's drive queue and
 * robot live in its object (storage/tape/virtual-library.ts), so two objects over one library would
 * hand the same drive to two executions. Only the engine holding the store's lease opens them.
 *
 * At first open, drives left loaded by a previous process (killed while it held them) are unloaded:
 * nobody holds a drive at start, and the rows follow the changer (docs/tape.md, "Store").
 */
import type { Logger } from 'pino';
import type { TapeLibrary } from '../../storage/tape/library.js';
import { VirtualTapeLibrary } from '../../storage/tape/virtual-library.js';
import type { TapeLibraryRow } from '../../store/schema.js';

/** What the libraries need of the store: the rows of cartridges follow the changer. */
export interface LibraryRows {
  /** Records that `barcode` is now in a slot (after an unload at start). */
  unloaded(libraryId: string, barcode: string, slot: number): Promise<void>;
}

export class TapeLibraries {
  private readonly open = new Map<string, Promise<TapeLibrary>>();

  constructor(
    private readonly rows: LibraryRows,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The library of `row`, opened (and its drives emptied) on first use. */
  library(row: TapeLibraryRow): Promise<TapeLibrary> {
    let lib = this.open.get(row.id);
    if (!lib) {
      lib = this.openLibrary(row);
      this.open.set(row.id, lib);
      lib.catch(() => this.open.delete(row.id));
    }
    return lib;
  }

  private async openLibrary(row: TapeLibraryRow): Promise<TapeLibrary> {
    if (row.type !== 'virtual') throw new Error(`Tape library ${row.name} is of type ${row.type}, which this Barge cannot operate`);
    const lib = await VirtualTapeLibrary.open(row.path, { now: this.now });
    const inv = await lib.inventory();
    for (const [drive, barcode] of inv.drives.entries()) {
      if (barcode === null) continue;
      const lease = await lib.acquireDrive({ owner: 'engine-start', drive });
      try {
        await lease.unload();
        const slot = (await lib.inventory()).slots.indexOf(barcode);
        await this.rows.unloaded(row.id, barcode, slot);
        this.log.info({ library: row.name, drive, barcode }, 'unloaded a cartridge a previous process left in a drive');
      } finally {
        lease.release();
      }
    }
    return lib;
  }
}
