/**
 * An execution's hold on a tape drive: it queues for a drive of the library (first come, first
 * served; the execution's `log` says it waits and for whom), names itself on the drive's row while it
 * holds it, loads cartridges (the tape rows follow each move) and gives the drive back. Why one
 * drive per execution: a drive is exclusive and a medium sequential, so an execution's files go
 * through one drive in order (docs/tape.md, "Engine integration").
 */
import type { Clock } from '../../lib/clock.js';
import type { DriveLease, TapeLibrary } from '../../storage/tape/library.js';
import type { TapeRepository } from '../../store/tape-repository.js';
import type { TapeLibraryRow } from '../../store/schema.js';

export interface DriveHoldDeps {
  tapes: TapeRepository;
  clock: Clock;
  /** Appends lines to the execution's log. */
  note(line: string): Promise<void>;
}

export class DriveHold {
  private constructor(
    readonly lease: DriveLease,
    private readonly lib: TapeLibrary,
    private readonly row: TapeLibraryRow,
    private readonly d: DriveHoldDeps,
  ) {}

  /** Waits for a drive (the signal gives up), then names the execution on it. */
  static async acquire(lib: TapeLibrary, row: TapeLibraryRow, owner: { executionId: string; taskId: string }, d: DriveHoldDeps, signal: AbortSignal): Promise<DriveHold> {
    const lease = await lib.acquireDrive({
      owner: owner.executionId, signal,
      onWait: ({ holders }) => void d.note(`waiting for a drive of tape library ${row.name} (held by execution${holders.length > 1 ? 's' : ''} ${holders.join(', ')})`).catch(() => undefined),
    });
    try {
      await d.tapes.setDriveUser(row.id, lease.drive, { execution_id: owner.executionId, task_id: owner.taskId }, d.clock.now().toISOString());
      await d.note(`using drive ${lease.drive} of tape library ${row.name}`);
    } catch (err) {
      lease.release();
      throw err;
    }
    return new DriveHold(lease, lib, row, d);
  }

  get drive(): number {
    return this.lease.drive;
  }

  /** Puts `barcode` in the drive (unloading what is there first); the tape rows follow. */
  async load(barcode: string, signal: AbortSignal): Promise<void> {
    if (this.lease.loaded() === barcode) return;
    await this.unload(signal);
    await this.lease.load(barcode, signal);
    const now = this.d.clock.now().toISOString();
    const t = await this.d.tapes.findTapeByBarcode(barcode);
    if (t) {
      await this.d.tapes.updateTape(t.id, { location: 'drive', location_index: this.lease.drive, mounted: 1, mount_count: Number(t.mount_count) + 1, date_move: now, updated_at: now });
    }
    await this.d.tapes.addDriveCounters(this.row.id, this.lease.drive, { mounts: 1 }, undefined, now);
  }

  /** Returns the drive's cartridge to its slot, if any. */
  async unload(signal?: AbortSignal): Promise<void> {
    const barcode = this.lease.loaded();
    if (barcode === null) return;
    await this.lease.unload(signal);
    const status = await this.lib.cartridge(barcode);
    const now = this.d.clock.now().toISOString();
    const t = await this.d.tapes.findTapeByBarcode(barcode);
    if (t) {
      await this.d.tapes.updateTape(t.id, { location: status.location.kind, location_index: 'index' in status.location ? status.location.index : null, mounted: 0, date_move: now, updated_at: now });
    }
  }

  /** Unloads, clears the drive's row and frees the drive for the next waiter (never throws). */
  async release(): Promise<void> {
    await this.unload().catch(() => undefined);
    await this.d.tapes.setDriveUser(this.row.id, this.lease.drive, { execution_id: null, task_id: null }, this.d.clock.now().toISOString()).catch(() => undefined);
    this.lease.release();
  }
}
