/**
 * Idle xxhash64 instances shared by every object-store writer of the process.
 *
 * Why a pool: instantiating the WebAssembly hasher costs about as much CPU as hashing a 64 KiB file, on
 * every file; `init()` resets a used one. Why xxhash64: it is the digest the writers record with each
 * object (`barge-checksum` / `barge_checksum`), fast enough to compute on every byte written.
 */
import type { Readable } from 'node:stream';
import { newXXHash64, type WasmXXHash64 } from '../../lib/xxhash-wasm.js';

/** One xxhash64 hasher (hash-wasm's). */
export type Hasher = WasmXXHash64;

const idleHashers: Hasher[] = [];
const MAX_IDLE_HASHERS = 64;

/** A reset hasher, from the pool when one is idle. Why async: a new one is WebAssembly, instantiated asynchronously. */
export async function takeHasher(): Promise<Hasher> {
  const hasher = idleHashers.pop() ?? (await newXXHash64());
  hasher.init();
  return hasher;
}

/** Give a hasher back; only once no byte can reach it any more (its digest taken, or its writer cleaned up). */
export function giveBackHasher(hasher: Hasher): void {
  if (idleHashers.length < MAX_IDLE_HASHERS) idleHashers.push(hasher);
}

/** xxhash64 (hex) of a stream. Why: an object another tool wrote records no checksum; noReplace compares bytes. */
export async function xxhashOf(stream: Readable): Promise<string> {
  const hasher = await takeHasher();
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  const digest = hasher.digest('hex');
  giveBackHasher(hasher);
  return digest;
}
