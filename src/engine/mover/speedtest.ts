/**
 * The speedtest action on one storage: write `size` bytes through the driver's atomic writer (the
 * same path real copies take, fsync included), read them back, remove them; time both directions.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageDriver } from '../../storage/driver.js';
import { toStorageError } from '../../storage/errors.js';

const CHUNK = randomBytes(4 * 1024 * 1024);

function source(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, CHUNK.length);
      left -= n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

export async function speedtest(driver: StorageDriver, path: string, size: number, signal: AbortSignal, onBytes: (n: number) => void): Promise<{ writeBps: number; readBps: number }> {
  const t0 = performance.now();
  const w = await driver.openWrite(path, { size, signal });
  try {
    await pipeline(source(size), w.stream);
  } catch (err) {
    await w.abort(err);
    throw toStorageError(err, path);
  }
  await w.commit();
  const t1 = performance.now();
  try {
    let read = 0;
    const stream = await driver.openRead(path, { signal });
    stream.on('error', () => {}); // surfaced by the iteration; never uncaught
    for await (const chunk of stream) {
      read += (chunk as Buffer).length;
      onBytes((chunk as Buffer).length);
    }
    const t2 = performance.now();
    if (read !== size) throw toStorageError(new Error(`read back ${read} of ${size} bytes`), path);
    return { writeBps: size / Math.max((t1 - t0) / 1000, 1e-6), readBps: size / Math.max((t2 - t1) / 1000, 1e-6) };
  } finally {
    await driver.remove(path).catch(() => false);
  }
}

/** Item keys of speedtest iterations (walk.ts plans them, the dispatcher reads their results). */
export const SPEEDTEST_KEY_PREFIX = 'speedtest:';

/**
 * The ledger note of one iteration, e.g. `write 812.40 MiB/s, read 2301.07 MiB/s`. Why the note
 * carries the result: the dispatcher that averages the runs may be another process than the mover
 * that measured them, and the ledger is what both share.
 */
export function speedtestNote(r: { writeBps: number; readBps: number }): string {
  return `write ${(r.writeBps / 1048576).toFixed(2)} MiB/s, read ${(r.readBps / 1048576).toFixed(2)} MiB/s`;
}

/** The result in a note written by {@link speedtestNote}, or undefined. */
export function parseSpeedtestNote(note: string | null): { writeBps: number; readBps: number } | undefined {
  const m = /^write ([\d.]+) MiB\/s, read ([\d.]+) MiB\/s$/.exec(note ?? '');
  return m ? { writeBps: Number(m[1]) * 1048576, readBps: Number(m[2]) * 1048576 } : undefined;
}
