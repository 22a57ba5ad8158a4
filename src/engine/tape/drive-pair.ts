/**
 * Two drives of one library held together by one execution: a duplication reads a cartridge in one
 * (`selected_drive`, the source) while it writes its copy in the other (`selected_drive_2`). Each
 * drive is an ordinary DriveHold (same queue, `log` lines and drive rows as any tape run).
 *
 * Why a lock per library around taking the pair: an execution that holds one drive and waits for a
 * second must not meet another doing the same the other way round (each would wait for the other
 * forever). Pairs are therefore taken one at a time per library; runs that take one drive (archive,
 * restore, format…) never wait while holding one, so they cannot close such a cycle. Drives named
 * by the task are taken before "any drive", so "any" never lands on the drive the other half wants.
 */
import { DriveHold, type DriveHoldDeps, type DriveOwner } from './drive-hold.js';
import type { TapeLibrary } from '../../storage/tape/library.js';
import { abortedError } from '../../storage/tape/tape-error.js';
import type { TapeLibraryRow } from '../../store/schema.js';

/** The tail of the queue of pair acquisitions, per library object (one per library in the engine's process). */
const pairLocks = new WeakMap<TapeLibrary, Promise<void>>();

/** Resolves with `p`, or rejects when `signal` aborts first. */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, reject);
  });
}

export class DrivePair {
  private constructor(
    private readonly lib: TapeLibrary,
    /** Reads the cartridges being copied. */
    readonly source: DriveHold,
    /** Writes the copies. */
    readonly copy: DriveHold,
    /** Only the copy's drive is named: take it first. */
    private readonly copyFirst: boolean,
  ) {}

  /** Waits for both drives (the signal gives up: nothing is then held). */
  static async acquire(lib: TapeLibrary, row: TapeLibraryRow, owner: DriveOwner, d: DriveHoldDeps, signal: AbortSignal, drives: { source?: number; copy?: number }): Promise<DrivePair> {
    const hold = (drive: number | undefined) => DriveHold.idle(lib, row, owner, d, drive === undefined ? {} : { drive });
    const pair = new DrivePair(lib, hold(drives.source), hold(drives.copy), drives.source === undefined && drives.copy !== undefined);
    await pair.ensure(signal);
    return pair;
  }

  /** Takes both drives again unless held (after a pause), one pair at a time per library. */
  async ensure(signal: AbortSignal): Promise<void> {
    if (this.source.held && this.copy.held) return;
    const prev = pairLocks.get(this.lib) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((r) => (unlock = r));
    pairLocks.set(this.lib, prev.then(() => mine));
    try {
      await untilAborted(prev, signal);
      const order = this.copyFirst ? [this.copy, this.source] : [this.source, this.copy];
      for (const h of order) await h.ensure(signal);
    } catch (err) {
      await this.suspend();
      throw err;
    } finally {
      unlock();
    }
  }

  /** Unloads and frees both drives (a pause); `ensure` takes them again. Never throws. */
  async suspend(): Promise<void> {
    await this.copy.suspend();
    await this.source.suspend();
  }

  async release(): Promise<void> {
    await this.suspend();
  }
}
