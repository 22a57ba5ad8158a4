/**
 * Azure Blob storage driver (Azure, Azurite, through `@azure/storage-blob`), over one container and an
 * optional name prefix acting as the root. Block blobs only.
 *
 * Contract mapping (see docs/storage-drivers.md, "azure"); it mirrors the S3 driver wherever the two
 * object stores agree, so copies between them keep everything either records:
 * - A storage path `a/b` is the blob `<prefix>a/b` (names encoded where Azure would alter them,
 *   azure-names.ts). Directories are name prefixes; `mkdir` writes a zero-byte marker `a/` so that empty
 *   directories exist (`features.directories`), like the S3 driver and the usual tools.
 * - `list` = List Blobs with the '/' delimiter, one page at a time (the next page is fetched while the
 *   current one is handed out), with the metadata included: one request per page carries exactly what
 *   `stat` reports (S3 needs a HEAD per entry for that).
 * - mtime, atime, mode, uid, gid and an xxhash64 checksum live in `barge_*` metadata (azure-meta.ts):
 *   stored and reported faithfully (not enforced), so `permissions` and `setOwnership` are declared.
 * - What every object store shares (keys under the root prefix, markers, the namespace checks before a
 *   write, the atomic writer's state machine, crash recovery) is object/ (driver-core.ts, object-writer.ts);
 *   this driver adds Azure's requests. Writes: azure-writer.ts (Put Blob, or blocks staged on a temporary
 *   blob then published server-side), with `noReplace` (If-None-Match: *).
 * - Access tiers are the storage classes (Hot, Cool, Cold, Archive). An archived blob must be rehydrated
 *   before it is read: `restoreFromCold` and `restore()` (azure-maintenance.ts); `restoreExpires` is false.
 * - Server-side copy: Put Block From URL + Put Block List (atomic). No rename, no symlinks, no native
 *   checksums, no Object Lock (Azure's immutability policies are not mapped yet).
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Readable } from 'node:stream';
import type {
  CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, SignalOptions, StorageDriver, TempCleanupOptions, TempCleanupResult, WriteOptions, Writer,
} from '../driver.js';
import { mapOrderedBounded } from '../driver-support.js';
import { throwIfAborted } from '../errors.js';
import { ObjectDriverCore, prefetchingPages } from '../object/driver-core.js';
import type { RestoreMethod } from '../object/driver-core.js';
import { objectStoreFeatures, validObjectName } from '../object/object-features.js';
import { DIRECTORY_CONTENT_TYPE, MARKER_BODY, OCTET_STREAM, definedAttrs } from '../object/object-meta.js';
import { ROOT_PATH, isTempName } from '../paths.js';
import { AzureBlobs } from './azure-blobs.js';
import type { BlobParams } from './azure-blobs.js';
import type { AzureSettings } from './azure-config.js';
import { createAzureClient, parseAzureConfig } from './azure-config.js';
import { cleanupTemp, rehydrate } from './azure-maintenance.js';
import type { BlobInfo } from './azure-meta.js';
import { buildAzureMetadata, checkAzureUserMetadata, entryFromBlob, parseAzureMetadata } from './azure-meta.js';
import { azureWriteBackend } from './azure-writer.js';

/** Features of an Azure driver; the configurable ones come from the settings (see the file header). */
export function azureFeatures(settings: AzureSettings): DriverFeatures {
  return objectStoreFeatures(settings, { objectLock: false, restoreExpires: false, noReplace: true });
}

/** Directory markers' metadata reads in flight per listing page. */
const MARKER_READS = 16;

/** The Azure driver. See driver.ts for the contract of each method and the file header for the mapping. */
export class AzureDriver implements StorageDriver {
  readonly kind = 'azure';
  readonly features: DriverFeatures;
  /** Present exactly when `restoreFromCold` is configured (the contract ties the method to the feature). */
  readonly restore?: RestoreMethod;
  private readonly blobs: AzureBlobs;
  /** Keys, namespace checks, live writers and the shared steps of every method (object/driver-core.ts). */
  private readonly core: ObjectDriverCore<BlobInfo>;

  /** A driver over an existing client. Why public: tests (and callers with other credentials) build the client themselves. */
  constructor(client: BlobServiceClient, readonly settings: AzureSettings) {
    this.features = azureFeatures(settings);
    this.blobs = new AzureBlobs(client, settings);
    this.core = new ObjectDriverCore(this.blobs, settings.keyPrefix, this.features);
    if (settings.restoreFromCold) {
      this.restore = async (path, options = {}) => rehydrate(this.blobs, this.core, this.core.begin(path, options.signal), settings.rehydrateTier, options);
    }
  }

  private readonly entryOf = (name: string, kind: 'file' | 'dir', info: BlobInfo | null): Entry => {
    if (info === null) return { name, kind: 'dir', size: 0, mtimeMs: Date.now() };
    return entryFromBlob(name, kind, info, kind === 'file' && this.features.storageClasses.length > 0);
  };

  stat(path: string, options: SignalOptions = {}): Promise<Entry | null> {
    return this.core.stat(path, options, this.entryOf);
  }

  async *list(dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
    const { signal } = options;
    const norm = this.core.begin(dir, signal);
    const prefix = this.core.dirPrefix(norm);
    const since = Date.now();
    const subdirs: string[] = [];
    const first = await this.blobs.listPage(prefix, true, undefined, norm, signal, { metadata: true });
    if (norm !== ROOT_PATH && first.blobs.length === 0 && first.prefixes.length === 0) throw await this.core.missingDirectory(norm, signal);
    for await (const page of prefetchingPages(first, (token) => this.blobs.listPage(prefix, true, token, norm, signal, { metadata: true }))) {
      const dirs = page.prefixes.map((p) => ({ name: p.slice(prefix.length, -1), key: p })).filter((d) => validObjectName(d.name));
      for (const d of dirs) subdirs.push(d.name);
      for await (const entry of mapOrderedBounded(dirs, MARKER_READS, async (d) => this.entryOf(d.name, 'dir', await this.blobs.head(d.key, d.name, signal)))) {
        throwIfAborted(signal, norm);
        this.core.guard();
        yield entry;
      }
      for (const b of page.blobs) {
        const name = b.key.slice(prefix.length);
        if (!validObjectName(name) || isTempName(name)) continue;
        throwIfAborted(signal, norm);
        this.core.guard();
        yield this.entryOf(name, 'file', b.info);
      }
    }
    this.core.checks.recordListing(norm, subdirs, since);
  }

  openRead(path: string, options: ReadOptions = {}): Promise<Readable> {
    const offset = options.start ?? 0;
    const count = options.end === undefined ? undefined : options.end - offset + 1;
    return this.core.read(path, options, (key, norm) => this.blobs.get(key, norm, { offset, ...(count === undefined ? {} : { count }), signal: options.signal }));
  }

  async openWrite(path: string, options: WriteOptions = {}): Promise<Writer> {
    const norm = this.core.beginWrite(path, options);
    if (options.metadata !== undefined) checkAzureUserMetadata(options.metadata, norm);
    const params = (checksum: string): BlobParams => ({
      metadata: buildAzureMetadata(options.metadata, { ...definedAttrs(options), checksum }),
      contentType: OCTET_STREAM,
      ...(options.storageClass === undefined ? {} : { tier: options.storageClass }),
    });
    const { blockSize, queueSize } = this.settings;
    return this.core.openWriter(norm, options, (keys, done) => azureWriteBackend({ ...keys, blobs: this.blobs, blockSize, queueSize, params, done }));
  }

  remove(path: string, options: SignalOptions = {}): Promise<boolean> {
    const { signal } = options;
    return this.core.remove(path, options, (key, norm) => this.blobs.remove(key, norm, { signal }), (prefix, norm) => this.blobs.remove(prefix, norm, { signal }));
  }

  mkdir(path: string, options: SignalOptions = {}): Promise<void> {
    return this.core.mkdir(path, options, async (prefix, norm) => {
      await this.blobs.put(prefix, MARKER_BODY, { metadata: {}, contentType: DIRECTORY_CONTENT_TYPE }, norm, { signal: options.signal });
    });
  }

  /**
   * Files: Set Blob Metadata with the merged metadata, only if the blob is still the one read (ETag) — no
   * copy, the bytes and tier stay. Directories: the marker's metadata (an implied directory gets a marker).
   * The root holds no blob, so its attributes are not stored (a no-op).
   */
  async setMeta(path: string, meta: MetaOptions, options: SignalOptions = {}): Promise<void> {
    const { signal } = options;
    const norm = this.core.beginSetMeta(path, meta, options);
    if (norm === null) return;
    const target = await this.core.metaTarget(norm, signal);
    const key = 'file' in target ? this.core.key(norm) : target.prefix;
    const info = 'file' in target ? target.file : target.marker;
    const { user, attrs } = parseAzureMetadata(info?.metadata);
    const metadata = buildAzureMetadata(user, { ...attrs, ...definedAttrs(meta) });
    if (info !== null) await this.blobs.setMetadata(key, metadata, info.etag, norm, signal);
    else await this.blobs.put(key, MARKER_BODY, { metadata, contentType: DIRECTORY_CONTENT_TYPE }, norm, { signal });
  }

  /** See `cleanupTemp` in azure-maintenance.ts: stale temporary blobs, committed or only staged. */
  async cleanupTemp(dir = ROOT_PATH, options: TempCleanupOptions = {}): Promise<TempCleanupResult> {
    return cleanupTemp(this.blobs, this.core, this.core.begin(dir, options.signal), options);
  }

  async close(): Promise<void> {
    await this.core.close();
  }

  /**
   * Server-side copy (Put Block From URL + Put Block List, see AzureBlobs.copy), published atomically. User
   * metadata, tier, mode, owner and the recorded checksum travel with the bytes; times are fresh unless given.
   */
  copy(from: string, to: string, options: SignalOptions & MetaOptions = {}): Promise<CommitResult> {
    return this.core.copy(from, to, options, async (src, dst, info) => {
      const { user, attrs } = parseAzureMetadata(info.metadata);
      await this.blobs.copy(this.core.key(src), this.core.key(dst), info.size, {
        metadata: buildAzureMetadata(user, { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, checksum: attrs.checksum, ...definedAttrs(options) }),
        contentType: info.contentType ?? OCTET_STREAM,
        ...(info.tier === undefined ? {} : { tier: info.tier }),
      }, dst, { signal: options.signal });
      return info.size;
    });
  }
}

/** Registry factory: validate the config (key never echoed), build the client, return the driver. */
export async function createAzureDriver(config: unknown): Promise<StorageDriver> {
  const { settings, accountKey } = parseAzureConfig(config);
  return new AzureDriver(createAzureClient(settings, accountKey), settings);
}
