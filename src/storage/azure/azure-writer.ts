/**
 * How the Azure driver's writes reach the service: the Azure side of the shared object-store writer
 * (object/object-writer.ts holds the state machine and the data-safety rules; see its header).
 *
 * - Within `blockSize` (most files): ONE Put Blob at the final name carrying the MD5 of the bytes that were
 *   verified: the service refuses any other bytes (Md5Mismatch), so what is stored is what was verified.
 * - Beyond it: the bytes are staged as blocks (Put Block, each checked by its MD5, `queueSize` in flight, so
 *   at most about (queueSize + 1) × blockSize in memory) on the temporary blob `<dir>/.<name>.barge-<id>.part`.
 *   `commit()` commits that blob (Put Block List), checks its stored size, reads it back for `verify` when
 *   asked, then publishes the final blob server-side: Put Block From URL of its ranges and one Put Block
 *   List carrying the metadata and access tier — nothing is visible at the final name before that last
 *   request — and deletes the temporary blob.
 * - `noReplace`: the publishing request carries If-None-Match: * (BlobAlreadyExists → `exists`).
 * A writer that dies leaves a temporary blob (committed, or only staged blocks); `cleanupTemp` finds both.
 */
import type { Readable } from 'node:stream';
import type { StorageError } from '../errors.js';
import { OCTET_STREAM } from '../object/object-meta.js';
import type { ObjectWriteBackend, SealedTemp, Staging, StagingHost, WriteCallback } from '../object/write-backend.js';
import type { AzureBlobs, BlobParams } from './azure-blobs.js';
import { blockId, md5Of, newWriterId } from './azure-blobs.js';
import { classifyAzureError } from './azure-errors.js';
import { parseAzureMetadata } from './azure-meta.js';

/** Everything a write needs from the driver. */
export interface AzureWriteTarget {
  readonly path: string;
  readonly finalKey: string;
  readonly tempKey: string;
  readonly blobs: AzureBlobs;
  readonly blockSize: number;
  readonly queueSize: number;
  /** Metadata, content type and tier of the published blob, given the checksum (known only at commit). */
  params(checksum: string): BlobParams;
  /** Called once when the writer settles: `published` is true when the blob became visible. */
  done(published: boolean): void;
}

/** The committed temporary blob, pinned to the ETag its properties reported. */
interface SealedBlob extends SealedTemp {
  readonly etag: string | undefined;
}

/** Blocks staged on the temporary blob, `queueSize` Put Blocks in flight. */
class AzureBlocks implements Staging<BlobParams, SealedBlob> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly ids: string[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private stageFailure: StorageError | undefined;
  /** Something (staged blocks or a committed temporary blob) exists under the temporary name. */
  private tempUsed = false;
  private readonly writerId = newWriterId();

  constructor(private readonly target: AzureWriteTarget, private readonly host: StagingHost) {}

  write(chunks: readonly Buffer[], cb: WriteCallback): void {
    for (const c of chunks) {
      this.pending.push(c);
      this.pendingBytes += c.length;
    }
    while (this.pendingBytes >= this.target.blockSize) this.stageBlock(this.target.blockSize);
    this.afterStaging(cb);
  }

  /** Call `cb` once fewer than `queueSize` blocks are in flight (backpressure), or with the first staging failure. */
  private afterStaging(cb: WriteCallback): void {
    if (this.stageFailure !== undefined) {
      cb(this.stageFailure);
      return;
    }
    if (this.inflight.size < this.target.queueSize) {
      cb();
      return;
    }
    void Promise.race(this.inflight).then(() => this.afterStaging(cb), () => this.afterStaging(cb));
  }

  /** Cut `size` bytes from the pending chunks and stage them as the next block. */
  private stageBlock(size: number): void {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    const body = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    const id = blockId(this.writerId, this.ids.length);
    this.ids.push(id);
    this.tempUsed = true;
    const { blobs, tempKey, path } = this.target;
    const p = blobs.stage(tempKey, id, body, path).catch((err: unknown) => {
      const error = this.host.errorOf(err);
      this.stageFailure ??= error;
      this.host.fail(error);
    }).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** The last block is staged and every block acknowledged. */
  async end(): Promise<void> {
    if (this.pendingBytes > 0) this.stageBlock(this.pendingBytes);
    await Promise.all(this.inflight);
    if (this.stageFailure !== undefined) throw this.stageFailure;
  }

  async seal(): Promise<SealedBlob | null> {
    const { blobs, tempKey, path } = this.target;
    await blobs.commit(tempKey, this.ids, { metadata: {}, contentType: OCTET_STREAM }, path);
    const stored = await blobs.head(tempKey, path);
    return stored === null ? null : { size: stored.size, etag: stored.etag };
  }

  readBack(sealed: SealedBlob): Promise<Readable | null> {
    return this.target.blobs.get(this.target.tempKey, this.target.path, { etag: sealed.etag });
  }

  async publish(sealed: SealedBlob, params: BlobParams, noReplace: boolean): Promise<void> {
    const { blobs, tempKey, finalKey, path } = this.target;
    await blobs.copy(tempKey, finalKey, sealed.size, params, path, { noReplace });
  }

  async removeTemp(): Promise<void> {
    this.tempUsed = false;
    await this.target.blobs.remove(this.target.tempKey, this.target.path);
  }

  /**
   * In-flight Put Blocks are awaited, not cancelled (a request cut on the client may still land on the
   * service after the removal, leaving staged blocks for a week), then the temporary blob (committed or
   * only staged blocks) is removed.
   */
  async discard(): Promise<void> {
    this.pending = [];
    await Promise.allSettled([...this.inflight]);
    if (this.tempUsed) {
      await this.target.blobs.remove(this.target.tempKey, this.target.path, { uncommitted: true });
      this.tempUsed = false;
    }
  }
}

/** The Azure operations of one write, for the shared ObjectWriter. */
export function azureWriteBackend(target: AzureWriteTarget): ObjectWriteBackend<BlobParams, SealedBlob> {
  const { blobs, finalKey, path } = target;
  return {
    path,
    headLimit: target.blockSize,
    params: (checksum) => target.params(checksum),
    startStaging: (host) => new AzureBlocks(target, host),
    payloadDigest: (data) => Buffer.from(md5Of(data)), // Content-MD5: what Azure checks a Put Blob against (its SharedKey signs no body)
    putFinal: (data, md5, params, noReplace) => blobs.put(finalKey, data, params, path, { md5, noReplace }),
    finalObject: async () => {
      const there = await blobs.head(finalKey, path);
      if (there === null) return null;
      return { size: there.size, checksum: parseAzureMetadata(there.metadata).attrs.checksum, read: () => blobs.get(finalKey, path, { etag: there.etag }) };
    },
    classify: classifyAzureError,
    done: (published) => target.done(published),
  };
}
