/**
 * Exclusive use of a library's drives. A drive holds one cartridge and serves one user (an
 * execution) at a time, as a real drive does: whoever wants one asks, and waits its turn.
 *
 * - Waiters are served first come, first served: a freed drive goes to the earliest waiter that can
 *   use it (one that asked for any drive, or for that one). Why not strict FIFO: a waiter for drive 2
 *   must not hold up everybody while drive 1 stands idle.
 * - A waiter may give up through its AbortSignal (the execution was stopped): it leaves the queue and
 *   its promise rejects with `aborted`.
 * - The queue knows who holds each drive and who waits, so a drive can name its execution and an
 *   execution can say it is waiting (issue #12).
 */
import { TapeError, abortedError } from './tape-error.js';

/** What a user holds while it uses a drive; `release()` gives the drive to the next waiter (idempotent). */
export interface DriveGrant {
  readonly drive: number;
  readonly owner: string;
  release(): void;
}

export interface AcquireOptions {
  /** Who asks (an execution id): shown as the drive's user while it holds it. */
  owner: string;
  /** A given drive (`selected_drive`), or any free one. */
  drive?: number;
  signal?: AbortSignal;
  /** Called once when the request has to wait, with the owners ahead of it holding the drives it could use. */
  onWait?: (info: { position: number; holders: string[] }) => void;
}

interface Waiter {
  owner: string;
  drive: number | undefined;
  resolve: (g: DriveGrant) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

export class DriveQueue {
  private readonly holders: Array<string | undefined>;
  private readonly waiters: Waiter[] = [];

  constructor(readonly drives: number) {
    if (!Number.isInteger(drives) || drives < 1) throw new TapeError('invalid_argument', `A library needs at least one drive (got ${drives})`);
    this.holders = new Array<string | undefined>(drives).fill(undefined);
  }

  /** Who holds drive `i` (undefined when free). */
  holder(i: number): string | undefined {
    return this.holders[i];
  }

  /** The requests waiting, in order. */
  waiting(): Array<{ owner: string; drive: number | undefined }> {
    return this.waiters.map((w) => ({ owner: w.owner, drive: w.drive }));
  }

  /** Takes a drive (the given one, or any free one), waiting for it if needed. */
  acquire(o: AcquireOptions): Promise<DriveGrant> {
    if (o.drive !== undefined && (!Number.isInteger(o.drive) || o.drive < 0 || o.drive >= this.drives)) {
      return Promise.reject(new TapeError('invalid_argument', `No drive ${o.drive} in a library of ${this.drives} drive(s)`));
    }
    if (o.signal?.aborted) return Promise.reject(abortedError(o.signal));
    const free = this.freeFor(o.drive);
    // A request may not jump ahead of earlier waiters that could take the same drive.
    if (free !== undefined && !this.waiters.some((w) => w.drive === undefined || w.drive === free)) return Promise.resolve(this.grant(free, o.owner));
    return new Promise<DriveGrant>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortedError(o.signal));
        // Leaving may unblock waiters that were behind this one.
        this.dispatch();
      };
      const waiter: Waiter = { owner: o.owner, drive: o.drive, resolve, reject, cleanup: () => o.signal?.removeEventListener('abort', onAbort) };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      const usable = o.drive === undefined ? this.holders : [this.holders[o.drive]];
      o.onWait?.({ position: this.waiters.length, holders: usable.filter((h): h is string => h !== undefined) });
      this.dispatch();
    });
  }

  private freeFor(drive: number | undefined): number | undefined {
    if (drive !== undefined) return this.holders[drive] === undefined ? drive : undefined;
    const i = this.holders.findIndex((h) => h === undefined);
    return i >= 0 ? i : undefined;
  }

  private grant(drive: number, owner: string): DriveGrant {
    this.holders[drive] = owner;
    let released = false;
    return {
      drive, owner,
      release: () => {
        if (released) return;
        released = true;
        this.holders[drive] = undefined;
        this.dispatch();
      },
    };
  }

  /** Gives free drives to the earliest waiters that can use them. */
  private dispatch(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as Waiter;
      const free = this.freeFor(w.drive);
      if (free === undefined) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      w.cleanup();
      w.resolve(this.grant(free, w.owner));
    }
  }
}
