/**
 * hash-wasm's xxhash64: loaded on first use, instances pooled.
 *
 * Why not imported at the top: the package carries every one of its hashers as WebAssembly in its
 * JavaScript, and each thread that loads it at start pays for it — the API's, the engine's, the walk's
 * file thread and every copy worker, seven isolates in all — while a copy without a checksum, or with
 * one the native copier computes, never calls it (issue #14: ≤ 300 MiB at 1,000,000 files;
 * test/start-footprint.test.ts).
 *
 * Why a pool: instantiating the module costs ~100 µs and a fresh memory per file — about as much as
 * hashing a 64 KiB file, and it dominated small-file copies; `init()` resets a used instance. One pool
 * for the process (the copy pipeline's hashers and the object-store writers), bounded so a burst does
 * not pin memory forever.
 */
import type { Readable } from 'node:stream';
import type { createXXHash64 } from 'hash-wasm';

/** One xxhash64 hasher (hash-wasm's). */
export type WasmXXHash64 = Awaited<ReturnType<typeof createXXHash64>>;

let factory: Promise<typeof createXXHash64> | undefined;
const idle: WasmXXHash64[] = [];
const MAX_IDLE = 64;

/** A reset hasher (seed 0), from the pool when one is idle. Async: the module loads once, and a new one is WebAssembly, instantiated asynchronously. */
export async function takeXXHash64(): Promise<WasmXXHash64> {
  let hasher = idle.pop();
  if (hasher === undefined) {
    factory ??= import('hash-wasm').then((m) => m.createXXHash64);
    hasher = await (await factory)(0, 0);
  }
  hasher.init();
  return hasher;
}

/** Give a hasher back; only once no byte can reach it any more (its digest taken, or its user done with it). */
export function giveBackXXHash64(hasher: WasmXXHash64): void {
  if (idle.length < MAX_IDLE) idle.push(hasher);
}

/** xxhash64 (hex) of a stream. Why: an object another tool wrote records no checksum; noReplace compares bytes. */
export async function xxhashOf(stream: Readable): Promise<string> {
  const hasher = await takeXXHash64();
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  const digest = hasher.digest('hex');
  giveBackXXHash64(hasher);
  return digest;
}
