/**
 * Idle head buffers of the object-store writers (object-writer.ts), reused from one file to the next.
 *
 * Why: a file published by one put is gathered in one buffer of its size. A fresh buffer of several MiB
 * is fresh memory from the kernel: every page of it faults on first touch, and V8 counts it as external
 * memory, which brings garbage collections forward. Measured on NAS → S3 with 16 MiB files: writing
 * into a fresh buffer cost ~0.4 ms of CPU per MiB against ~0.08 into a reused one, and collections were
 * the largest item left in a mover's profile. Small heads (< 1 MiB) are not pooled: they come from
 * Node's own allocator and cost little.
 *
 * Bounds: buffers have the capacity of their store's head limit (S3 `partSize`, Azure `blockSize`),
 * pooled only up to 64 MiB of capacity; at most 4 idle per capacity, all dropped after 10 s unused, so
 * an idle process keeps none.
 */

/** Heads from this size on use a pooled buffer. */
const POOLED_MIN_BYTES = 1 << 20;
/** Largest capacity pooled (a head limit above it gets exact-size buffers). */
const POOLED_MAX_CAPACITY = 64 << 20;
const MAX_IDLE_PER_CAPACITY = 4;
const IDLE_MS = 10_000;

const idle = new Map<number, Buffer[]>();
let lastUse = 0;
let sweeper: NodeJS.Timeout | undefined;

/** A head for `size` bytes: `buffer` is exactly `size` long; give `pooled` back once nothing uses it. */
export interface HeadBuffer {
  readonly buffer: Buffer;
  /** The whole pooled buffer behind `buffer`, or undefined when it is not from the pool. */
  readonly pooled: Buffer | undefined;
}

/** A head buffer of `size` bytes for a store whose head limit is `capacity` (`size ≤ capacity`). */
export function takeHeadBuffer(size: number, capacity: number): HeadBuffer {
  if (size < POOLED_MIN_BYTES || capacity > POOLED_MAX_CAPACITY || size > capacity) return { buffer: Buffer.allocUnsafe(size), pooled: undefined };
  lastUse = Date.now();
  const pooled = idle.get(capacity)?.pop() ?? Buffer.allocUnsafeSlow(capacity);
  return { buffer: pooled.subarray(0, size), pooled };
}

/**
 * Give a pooled buffer back. Only once no byte of it can be read any more: after the put that sent it
 * has succeeded (a failed or aborted request may still be writing it to a socket, so its buffer is
 * left to the garbage collector).
 */
export function giveBackHeadBuffer(pooled: Buffer): void {
  const list = idle.get(pooled.length) ?? [];
  if (list.length >= MAX_IDLE_PER_CAPACITY) return;
  list.push(pooled);
  idle.set(pooled.length, list);
  lastUse = Date.now();
  sweeper ??= setTimeout(sweep, IDLE_MS).unref();
}

function sweep(): void {
  sweeper = undefined;
  const quietFor = Date.now() - lastUse;
  if (quietFor >= IDLE_MS) idle.clear();
  else sweeper = setTimeout(sweep, IDLE_MS - quietFor).unref();
}

/** Idle buffers held now (tests). */
export function idleHeadBuffers(): number {
  let n = 0;
  for (const list of idle.values()) n += list.length;
  return n;
}
