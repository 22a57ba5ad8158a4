/**
 * hash-wasm's xxhash64, loaded on first use. Why not imported at the top: the package carries every
 * one of its hashers as WebAssembly in its JavaScript, and each thread that loads it at start pays for
 * it — the API's, the engine's, the walk's file thread and every copy worker, seven isolates in all —
 * while a copy without a checksum, or with one the native copier computes, never calls it (issue #14:
 * ≤ 300 MiB at 1,000,000 files; test/start-footprint.test.ts).
 */
import type { createXXHash64 } from 'hash-wasm';

/** One xxhash64 hasher (hash-wasm's); `init()` resets a used one. */
export type WasmXXHash64 = Awaited<ReturnType<typeof createXXHash64>>;

let factory: Promise<typeof createXXHash64> | undefined;

/** A new xxhash64 hasher (seed 0). Async: the module loads once, and a hasher is WebAssembly, instantiated asynchronously. */
export async function newXXHash64(): Promise<WasmXXHash64> {
  factory ??= import('hash-wasm').then((m) => m.createXXHash64);
  return (await factory)(0, 0);
}
