/**
 * Incremental checksums for the copy pipeline: crc32 (zlib), md5 (node:crypto), xxhash64 (hash-wasm,
 * pooled: xxhash-wasm.ts), all fed from the same chunks as they stream through, so a checksum never
 * costs a second read of the source. Digests are lowercase hex (crc32: 8 digits big-endian; xxhash64: 16 digits), the forms
 * `crc32`, `md5sum` and `xxhsum -H1` print.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { giveBackXXHash64, takeXXHash64, type WasmXXHash64 } from './xxhash-wasm.js';

export const CHECKSUM_ALGORITHMS = ['crc32', 'md5', 'xxhash64'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Hasher {
  update(chunk: Buffer): void;
  digest(): string;
}

const crc32 = (zlib as unknown as { crc32(data: Buffer, value?: number): number }).crc32;

/**
 * A fresh hasher for `algorithm`. `digest()` ends it: a later `update` or `digest` throws (pooled
 * state may already serve another file), and an xxhash64 instance goes back to the pool.
 */
export async function createHasher(algorithm: ChecksumAlgorithm): Promise<Hasher> {
  switch (algorithm) {
    case 'md5': {
      const h = createHash('md5');
      return { update: (c) => void h.update(c), digest: () => h.digest('hex') };
    }
    case 'crc32': {
      let value = 0;
      return { update: (c) => void (value = crc32(c, value)), digest: () => (value >>> 0).toString(16).padStart(8, '0') };
    }
    case 'xxhash64': {
      let h: WasmXXHash64 | undefined = await takeXXHash64();
      const ended = (): never => {
        throw new Error('hasher used after digest()');
      };
      return {
        update: (c) => void (h ?? ended()).update(c),
        digest: () => {
          const inst = h ?? ended();
          h = undefined;
          const hex = inst.digest('hex');
          giveBackXXHash64(inst);
          return hex;
        },
      };
    }
  }
}

/** A pass-through stream that hashes (and counts) what flows through it. */
export class HashingStream extends Transform {
  bytes = 0;
  constructor(
    private readonly hasher: Hasher | null,
    private readonly onBytes?: (n: number) => void,
  ) {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher?.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    cb(null, chunk);
  }

  digest(): string | null {
    return this.hasher?.digest() ?? null;
  }
}

/** Hashes a whole stream (used to verify what a writer stored). */
export async function hashStream(stream: AsyncIterable<Buffer>, algorithm: ChecksumAlgorithm): Promise<{ digest: string; bytes: number }> {
  const h = await createHasher(algorithm);
  let bytes = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { digest: h.digest(), bytes };
}
