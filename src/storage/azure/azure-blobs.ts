/**
 * Blob-level requests of the Azure driver, shared by the driver, its writer and its maintenance: Get Blob
 * Properties, Get Blob, Put Blob, Put Block / Put Block List, publishing copies (Put Block From URL), Set
 * Blob Metadata / Tier, deletes and listings.
 *
 * Why a layer of its own: every request maps its errors the same way (azure-errors.ts), takes the caller's
 * AbortSignal, and names are encoded here and only here (azure-names.ts): callers speak keys, i.e. the
 * storage root prefix plus a storage path, exactly as the S3 driver does, so the namespace checks it
 * shares with S3 (object/namespace-checks.ts) work unchanged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobSASPermissions } from '@azure/storage-blob';
import type { BlobItem, BlobServiceClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { AZURE_MAX_BLOCKS, AZURE_MAX_BLOCK_BYTES } from './azure-config.js';
import type { AzureSettings } from './azure-config.js';
import { azureErrorCode, azureHttpStatus, classifyAzureError } from './azure-errors.js';
import type { BlobInfo } from './azure-meta.js';
import { decodeBlobName, encodeBlobName } from './azure-names.js';

/** What a published blob carries besides its bytes. Why one shape: Put Blob, Put Block List and copies publish the same attributes. */
export interface BlobParams {
  readonly metadata: Record<string, string>;
  readonly contentType: string;
  /** Omitted: the account's default tier. */
  readonly tier?: string;
}

/** One blob of a listing page. */
export interface ListedBlob {
  readonly key: string;
  readonly info: BlobInfo;
}

/** One listing page. Why pages: a listing never holds more than one (plus the prefetched next one). */
export interface BlobPage {
  readonly blobs: ListedBlob[];
  /** Virtual directories (with their trailing '/'), when listed with the '/' delimiter. */
  readonly prefixes: string[];
  readonly next: string | undefined;
}

/** Base64 MD5 of a body, as Put Blob / Put Block verify it in transit (`Content-MD5`). */
export function md5Of(body: Buffer): Uint8Array {
  return createHash('md5').update(body).digest();
}

/**
 * A block id: every id of one blob must have the same length. `<writer id>-<6-digit index>`, base64. Why
 * a writer id: ids of two writers staging on the same blob name never collide.
 */
export function blockId(writerId: string, index: number): string {
  return Buffer.from(`${writerId}-${String(index).padStart(6, '0')}`).toString('base64');
}

export function newWriterId(): string {
  return randomBytes(8).toString('hex');
}

function infoOf(p: {
  contentLength?: number; lastModified?: Date; accessTier?: string; archiveStatus?: string; contentType?: string; etag?: string;
}, metadata: Record<string, string> | undefined): BlobInfo {
  return {
    size: p.contentLength ?? 0, lastModified: p.lastModified, metadata, tier: p.accessTier, archiveStatus: p.archiveStatus,
    contentType: p.contentType, etag: p.etag,
  };
}

function isMissing(err: unknown): boolean {
  const code = azureErrorCode(err);
  return code === 'BlobNotFound' || code === 'ResourceNotFound' || (azureHttpStatus(err) === 404 && code !== 'ContainerNotFound');
}

/** The requests of one driver instance (one container, one client). */
export class AzureBlobs {
  readonly container: ContainerClient;

  constructor(readonly service: BlobServiceClient, readonly settings: AzureSettings) {
    this.container = service.getContainerClient(settings.container);
  }

  blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(encodeBlobName(key));
  }

  /** Await an SDK call, mapping its failure. */
  async call<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw classifyAzureError(err, path);
    }
  }

  /** Get Blob Properties, or `null` when the blob does not exist. */
  async head(key: string, path: string, signal?: AbortSignal): Promise<BlobInfo | null> {
    try {
      const p = await this.blob(key).getProperties({ abortSignal: signal });
      return infoOf(p, p.metadata);
    } catch (err) {
      if (isMissing(err)) return null;
      throw classifyAzureError(err, path);
    }
  }

  /** Get Blob as a stream (`count` bytes from `offset`, or to the end); `null` on 416 (a range beyond the end). */
  async get(key: string, path: string, options: { offset?: number; count?: number; etag?: string; signal?: AbortSignal } = {}): Promise<Readable | null> {
    try {
      const res = await this.blob(key).download(options.offset ?? 0, options.count, {
        abortSignal: options.signal, maxRetryRequests: 3, ...(options.etag === undefined ? {} : { conditions: { ifMatch: options.etag } }),
      });
      const body = res.readableStreamBody;
      return body === undefined ? Readable.from([], { objectMode: false }) : (body as Readable);
    } catch (err) {
      if (azureErrorCode(err) === 'InvalidRange' || azureHttpStatus(err) === 416) return null;
      throw classifyAzureError(err, path);
    }
  }

  /** Put Blob of a whole body, checked in transit by its MD5; `noReplace`: only if nothing is there (If-None-Match: *). */
  async put(key: string, body: Buffer, params: BlobParams, path: string, options: { md5?: Uint8Array; noReplace?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.call(path, () => this.blob(key).upload(body, body.length, {
      abortSignal: options.signal, metadata: params.metadata, blobHTTPHeaders: { blobContentType: params.contentType },
      ...(params.tier === undefined ? {} : { tier: params.tier }),
      ...(options.md5 === undefined ? {} : { transactionalContentMD5: options.md5 }),
      ...(options.noReplace === true ? { conditions: { ifNoneMatch: '*' } } : {}),
    }));
  }

  /** Put Block (uncommitted: invisible until a Put Block List names it), checked in transit by its MD5. */
  async stage(key: string, id: string, body: Buffer, path: string, signal?: AbortSignal): Promise<void> {
    await this.call(path, () => this.blob(key).stageBlock(id, body, body.length, { abortSignal: signal, transactionalContentMD5: md5Of(body) }));
  }

  /** Put Block List: the blob becomes exactly these blocks, atomically. */
  async commit(key: string, ids: readonly string[], params: BlobParams, path: string, options: { noReplace?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.call(path, () => this.blob(key).commitBlockList([...ids], {
      abortSignal: options.signal, metadata: params.metadata, blobHTTPHeaders: { blobContentType: params.contentType },
      ...(params.tier === undefined ? {} : { tier: params.tier }),
      ...(options.noReplace === true ? { conditions: { ifNoneMatch: '*' } } : {}),
    }));
  }

  /**
   * Server-side copy of a committed blob to `dstKey`, published atomically: Put Block From URL of ranges of
   * the source (read through a SAS the driver signs), then one Put Block List with `params`. Why not Copy
   * Blob: an asynchronous copy makes the destination exist before its bytes are complete.
   */
  async copy(srcKey: string, dstKey: string, size: number, params: BlobParams, path: string, options: { noReplace?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const source = await this.call(path, () => this.blob(srcKey).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 5 * 60_000), expiresOn: new Date(Date.now() + 24 * 3_600_000),
    }));
    const block = Math.min(AZURE_MAX_BLOCK_BYTES, Math.max(this.settings.copyBlockSize, Math.ceil(size / AZURE_MAX_BLOCKS)));
    const writer = newWriterId();
    const dst = this.blob(dstKey);
    const ids: string[] = [];
    const ranges: { id: string; offset: number; count: number }[] = [];
    for (let offset = 0, i = 0; offset < size; offset += block, i++) {
      const id = blockId(writer, i);
      ids.push(id);
      ranges.push({ id, offset, count: Math.min(block, size - offset) });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let r = ranges[next++]; r !== undefined; r = ranges[next++]) {
        const { id, offset, count } = r;
        await this.call(path, () => dst.stageBlockFromURL(id, source, offset, count, { abortSignal: options.signal }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.queueSize, ranges.length) }, worker));
    await this.commit(dstKey, ids, params, path, options);
  }

  /**
   * Delete a blob; `false` if it was not there. Blobs that only hold uncommitted blocks (a writer that died
   * before its Put Block List) are not deletable as such on Azure: an empty block list is committed first,
   * which discards the blocks, then the empty blob is deleted.
   */
  async remove(key: string, path: string, options: { uncommitted?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      if (options.uncommitted === true) {
        await this.blob(key).commitBlockList([], { abortSignal: options.signal, conditions: { ifNoneMatch: '*' } }).catch((err: unknown) => {
          if (azureErrorCode(err) !== 'BlobAlreadyExists' && azureHttpStatus(err) !== 409) throw err;
        });
      }
      await this.blob(key).delete({ abortSignal: options.signal });
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw classifyAzureError(err, path);
    }
  }

  /** Bytes staged on a blob and not committed (a dead writer's blocks). */
  async uncommittedBytes(key: string, path: string, signal?: AbortSignal): Promise<number> {
    try {
      const list = await this.blob(key).getBlockList('uncommitted', { abortSignal: signal });
      return (list.uncommittedBlocks ?? []).reduce((sum, b) => sum + b.size, 0);
    } catch (err) {
      if (isMissing(err)) return 0;
      throw classifyAzureError(err, path);
    }
  }

  /** Set Blob Metadata, only if the blob is still the one read (`etag`). */
  async setMetadata(key: string, metadata: Record<string, string>, etag: string | undefined, path: string, signal?: AbortSignal): Promise<void> {
    await this.call(path, () => this.blob(key).setMetadata(metadata, { abortSignal: signal, ...(etag === undefined ? {} : { conditions: { ifMatch: etag } }) }));
  }

  /** Set Blob Tier (a rehydration when the blob is archived), at `priority`. */
  async setTier(key: string, tier: string, priority: 'High' | 'Standard', path: string, signal?: AbortSignal): Promise<void> {
    await this.call(path, () => this.blob(key).setAccessTier(tier, { abortSignal: signal, rehydratePriority: priority }));
  }

  /** One listing page under `prefix`: with the '/' delimiter (one directory) or flat (a whole tree). */
  async listPage(prefix: string, delimited: boolean, token: string | undefined, path: string, signal?: AbortSignal,
    options: { metadata?: boolean; uncommitted?: boolean; pageSize?: number } = {}): Promise<BlobPage> {
    const encodedPrefix = encodeBlobName(prefix);
    const include = { includeMetadata: options.metadata ?? false, ...(options.uncommitted === true ? { includeUncommitedBlobs: true } : {}) };
    const pageSize = options.pageSize ?? this.settings.listPageSize;
    const settings = { maxPageSize: pageSize, ...(token === undefined ? {} : { continuationToken: token }) };
    return this.call(path, async () => {
      const blobs: ListedBlob[] = [];
      const prefixes: string[] = [];
      let next: string | undefined;
      const listed = (item: BlobItem): ListedBlob => ({ key: decodeBlobName(item.name), info: infoOf(item.properties, item.metadata) });
      if (delimited) {
        const pages = this.container.listBlobsByHierarchy('/', { prefix: encodedPrefix, abortSignal: signal, ...include }).byPage(settings);
        const { value } = await pages.next();
        if (value !== undefined) {
          for (const item of value.segment.blobItems) blobs.push(listed(item));
          for (const p of value.segment.blobPrefixes ?? []) prefixes.push(decodeBlobName(p.name));
          next = value.continuationToken === '' ? undefined : value.continuationToken;
        }
      } else {
        const pages = this.container.listBlobsFlat({ prefix: encodedPrefix, abortSignal: signal, ...include }).byPage(settings);
        const { value } = await pages.next();
        if (value !== undefined) {
          for (const item of value.segment.blobItems) blobs.push(listed(item));
          next = value.continuationToken === '' ? undefined : value.continuationToken;
        }
      }
      return { blobs, prefixes, next };
    });
  }

  /** Up to `max` blob keys under `prefix` (no delimiter). Why: "is there anything under this folder?" */
  async firstKeys(prefix: string, max: number, path: string, signal?: AbortSignal): Promise<string[]> {
    const page = await this.listPage(prefix, false, undefined, path, signal, { pageSize: max });
    return page.blobs.slice(0, max).map((b) => b.key);
  }
}
