/**
 * A counting semaphore for mover slots, with weights; waiting can be cancelled by a signal.
 *
 * Why weights: a slot is sized for a large transfer (bandwidth, buffers), while a small file is
 * latency-bound — many of them in flight is what lets the posix copy workers commit a whole message of
 * them with one syncfs. The mover makes a small file cost a fraction of a slot. Waiters are served in
 * order (a heavy waiter at the head is not overtaken by light ones), so nothing starves.
 */
export class Semaphore {
  private waiters: Array<{ units: number; grant: () => void }> = [];
  private available: number;

  constructor(private readonly capacity: number) {
    this.available = capacity;
  }

  get free(): number {
    return this.available;
  }

  /** Takes `units` (at most the capacity: a heavier request waits for all of it). */
  async acquire(signal?: AbortSignal, units = 1): Promise<void> {
    units = Math.min(units, this.capacity);
    if (this.waiters.length === 0 && this.available >= units) {
      this.available -= units;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        units,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.drain(); // a heavy waiter leaving the head may unblock lighter ones behind it
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Gives back what one acquire took (the same `units`). */
  release(units = 1): void {
    this.available += Math.min(units, this.capacity);
    this.drain();
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.available >= this.waiters[0]!.units) {
      const w = this.waiters.shift()!;
      this.available -= w.units;
      w.grant();
    }
  }
}
