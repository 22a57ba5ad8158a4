/**
 * An execution's hold on a tape drive: it queues for a drive of the library (first come, first
 * served; the execution's `log` says it waits and for whom), names itself on the drive's row while it
 * holds it, loads cartridges (the tape rows follow each move) and gives the drive back. Why one
 * drive per execution: a drive is exclusive and a medium sequential, so an execution's files go
 * through one drive in order (docs/tape.md, "Engine integration").
 *
 * A hold may be given up for a while and taken again (`suspend` / `ensure`): a paused run unloads
 * and frees its drive so that other executions can use it, and queues again when it resumes. A hold
 * is also created empty (`DriveHold.idle`) when the run does not know yet whether it will need a
 * drive (an archive whose walk has not found a file to write yet).
 */
import type { Clock } from '../../lib/clock.js';
import type { DriveLease, TapeLibrary } from '../../storage/tape/library.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { TapeRepository } from '../../store/tape-repository.js';
import type { TapeLibraryRow } from '../../store/schema.js';

export interface DriveHoldDeps {
  tapes: TapeRepository;
  clock: Clock;
  /** Appends lines to the execution's log. */
  note(line: string): Promise<void>;
}

/** Who holds the drive: the execution is named on the drive's row. */
export interface DriveOwner {
  executionId: string;
  taskId: string;
}

/** How to acquire: options grow here (not as positional arguments), so callers stay compatible. */
export interface DriveHoldOptions {
  /** A given drive of the library (`selected_drive`), or any free one. */
  drive?: number;
}

/** Where a cartridge another execution uses is: its drive and that drive's user (for the log). */
export interface BusyCartridge {
  barcode: string;
  drive: number;
  holder: string | undefined;
}

export class DriveHold {
  private current: DriveLease | undefined;

  private constructor(
    private readonly lib: TapeLibrary,
    private readonly row: TapeLibraryRow,
    private readonly owner: DriveOwner,
    private readonly d: DriveHoldDeps,
    private readonly opts: DriveHoldOptions,
  ) {}

  /** Waits for a drive (the signal gives up), then names the execution on it. */
  static async acquire(lib: TapeLibrary, row: TapeLibraryRow, owner: DriveOwner, d: DriveHoldDeps, signal: AbortSignal, opts: DriveHoldOptions = {}): Promise<DriveHold> {
    const hold = new DriveHold(lib, row, owner, d, opts);
    await hold.ensure(signal);
    return hold;
  }

  /** A hold without a drive yet: `ensure` queues for one when the run first needs it. */
  static idle(lib: TapeLibrary, row: TapeLibraryRow, owner: DriveOwner, d: DriveHoldDeps, opts: DriveHoldOptions = {}): DriveHold {
    return new DriveHold(lib, row, owner, d, opts);
  }

  /** The library's id in the store (the drive rows' `tape_library_id`). */
  get libraryId(): string {
    return this.row.id;
  }

  /** The library this hold is on (its changer answers where cartridges are). */
  get library(): TapeLibrary {
    return this.lib;
  }

  /** The drive's lease; throws when the hold has no drive now (call `ensure` first). */
  get lease(): DriveLease {
    if (!this.current) throw new TapeError('invalid_argument', 'The execution holds no drive now');
    return this.current;
  }

  get held(): boolean {
    return this.current !== undefined;
  }

  get drive(): number {
    return this.lease.drive;
  }

  /** Takes a drive unless one is held: queues (first come, first served), then names the execution on its row. */
  async ensure(signal: AbortSignal): Promise<DriveLease> {
    if (this.current) return this.current;
    const { row, d, owner } = this;
    const lease = await this.lib.acquireDrive({
      owner: owner.executionId, signal, ...(this.opts.drive !== undefined ? { drive: this.opts.drive } : {}),
      onWait: ({ holders }) => void d.note(`waiting for a drive of tape library ${row.name} (held by execution${holders.length > 1 ? 's' : ''} ${holders.join(', ')})`).catch(() => undefined),
    });
    try {
      await d.tapes.setDriveUser(row.id, lease.drive, { execution_id: owner.executionId, task_id: owner.taskId }, d.clock.now().toISOString());
      await d.note(`using drive ${lease.drive} of tape library ${row.name}`);
    } catch (err) {
      lease.release();
      throw err;
    }
    this.current = lease;
    return lease;
  }

  /** Puts `barcode` in the drive (unloading what is there first); the tape rows follow. */
  async load(barcode: string, signal: AbortSignal): Promise<void> {
    const lease = await this.ensure(signal);
    if (lease.loaded() === barcode) return;
    await this.unload(signal);
    await lease.load(barcode, signal);
    const now = this.d.clock.now().toISOString();
    const t = await this.d.tapes.findTapeByBarcode(barcode);
    if (t) {
      await this.d.tapes.updateTape(t.id, { location: 'drive', location_index: lease.drive, mounted: 1, mount_count: Number(t.mount_count) + 1, date_move: now, updated_at: now });
    }
    await this.d.tapes.addDriveCounters(this.row.id, lease.drive, { mounts: 1 }, undefined, now);
  }

  /** Returns the drive's cartridge to its slot, if any. */
  async unload(signal?: AbortSignal): Promise<void> {
    const lease = this.current;
    const barcode = lease?.loaded() ?? null;
    if (!lease || barcode === null) return;
    await lease.unload(signal);
    const status = await this.lib.cartridge(barcode);
    const now = this.d.clock.now().toISOString();
    const t = await this.d.tapes.findTapeByBarcode(barcode);
    if (t) {
      await this.d.tapes.updateTape(t.id, { location: status.location.kind, location_index: 'index' in status.location ? status.location.index : null, mounted: 0, date_move: now, updated_at: now });
    }
  }

  /**
   * Whether `barcode` sits in a drive this hold does not have (another execution is using it), and
   * whose drive: a reader waits for it, a writer picks another cartridge. Undefined when it is free.
   */
  async inOtherDrive(barcode: string): Promise<BusyCartridge | undefined> {
    const at = await this.lib.cartridge(barcode).then((c) => c.location, () => undefined);
    if (!at) return undefined; // not in this library: loading it says why
    if (at.kind !== 'drive' || (this.current && at.index === this.current.drive)) return undefined;
    return { barcode, drive: at.index, holder: this.lib.driveUsers().holders[at.index] };
  }

  /**
   * Gives the drive up for a while (a pause): unloads, clears the drive's row and frees it for the
   * next waiter. `ensure` (or `load`) queues for a drive again. Never throws.
   */
  async suspend(): Promise<void> {
    const lease = this.current;
    if (!lease) return;
    await this.unload().catch(() => undefined);
    await this.d.tapes.setDriveUser(this.row.id, lease.drive, { execution_id: null, task_id: null }, this.d.clock.now().toISOString()).catch(() => undefined);
    this.current = undefined;
    lease.release();
  }

  /** Unloads, clears the drive's row and frees the drive for the next waiter (never throws). */
  async release(): Promise<void> {
    await this.suspend();
  }
}
