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
 * - Writes: AzureWriter (azure-writer.ts), atomic, with `noReplace` (If-None-Match: *). File/directory
 *   checks before a write are the S3 driver's cached ones (s3-target-checks.ts), over the same key space.
 * - Access tiers are the storage classes (Hot, Cool, Cold, Archive). An archived blob must be rehydrated
 *   before it is read: `restoreFromCold` and `restore()` (azure-maintenance.ts); `restoreExpires` is false.
 * - Server-side copy: Put Block From URL + Put Block List (atomic). No rename, no symlinks, no native
 *   checksums, no Object Lock (Azure's immutability policies are not mapped yet).
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { Readable, addAbortSignal } from 'node:stream';
import type {
  CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, RestoreResult, RestoreTier, SignalOptions, StorageDriver, TempCleanupOptions,
  TempCleanupResult, WriteOptions, Writer,
} from '../driver.js';
import { checkMetaOptions, checkWriteOptions, mapOrderedBounded, resolveRange } from '../driver-support.js';
import { StorageError, isStorageError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, assertNotTempPath, baseStorageName, isTempName, makeTempName, normalizeStoragePath, parentStoragePath } from '../paths.js';
import { definedAttrs } from '../s3/s3-meta.js';
import { S3TargetChecks } from '../s3/s3-target-checks.js';
import { AzureBlobs } from './azure-blobs.js';
import type { BlobParams } from './azure-blobs.js';
import type { AzureSettings } from './azure-config.js';
import { createAzureClient, parseAzureConfig } from './azure-config.js';
import { classifyAzureError } from './azure-errors.js';
import { cleanupTemp, rehydrate } from './azure-maintenance.js';
import type { MaintenanceContext } from './azure-maintenance.js';
import type { BlobInfo } from './azure-meta.js';
import { DIRECTORY_CONTENT_TYPE, OCTET_STREAM, buildAzureMetadata, checkAzureUserMetadata, entryFromBlob, parseAzureMetadata } from './azure-meta.js';
import { AzureWriter } from './azure-writer.js';

/** Features of an Azure driver; the configurable ones come from the settings (see the file header). */
export function azureFeatures(settings: AzureSettings): DriverFeatures {
  return Object.freeze({
    rangeRead: true,
    serverSideCopy: true,
    rename: false,
    nativeChecksums: Object.freeze([]),
    storageClasses: settings.storageClasses,
    objectLock: false,
    restoreFromCold: settings.restoreFromCold,
    restoreExpires: false,
    sequentialOnly: false,
    setOwnership: true,
    permissions: true,
    symlinks: false,
    userMetadata: true,
    directories: true,
    mtimePrecisionMs: 1,
    attributesAsMetadata: true,
    noReplace: true,
  });
}

const EMPTY = Buffer.alloc(0);
/** Directory markers' metadata reads in flight per listing page. */
const MARKER_READS = 16;

function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** The Azure driver. See driver.ts for the contract of each method and the file header for the mapping. */
export class AzureDriver implements StorageDriver {
  readonly kind = 'azure';
  readonly features: DriverFeatures;
  /** Present exactly when `restoreFromCold` is configured (the contract ties the method to the feature). */
  readonly restore?: (path: string, options?: SignalOptions & { readonly days?: number; readonly tier?: RestoreTier }) => Promise<RestoreResult>;
  private readonly blobs: AzureBlobs;
  /** Temporary keys of this instance's live writers: `cleanupTemp` never touches them. */
  private readonly liveTemps = new Set<string>();
  private readonly writers = new Set<AzureWriter>();
  private readonly checks: S3TargetChecks;
  private readonly maintenance: MaintenanceContext;
  private closed = false;

  /** A driver over an existing client. Why public: tests (and callers with other credentials) build the client themselves. */
  constructor(client: BlobServiceClient, readonly settings: AzureSettings) {
    this.features = azureFeatures(settings);
    this.blobs = new AzureBlobs(client, settings);
    this.checks = new S3TargetChecks(this.blobs, { key: (n) => this.key(n), dirPrefix: (n) => this.dirPrefix(n) });
    this.maintenance = { blobs: this.blobs, liveTemps: this.liveTemps, key: (n) => this.key(n), dirPrefix: (n) => this.dirPrefix(n), isDir: (n, s) => this.checks.isDir(n, s) };
    if (settings.restoreFromCold) {
      this.restore = async (path, options = {}) => rehydrate(this.maintenance, this.begin(path, options.signal), settings.rehydrateTier, options);
    }
  }

  private begin(path: string, signal?: AbortSignal): string {
    if (this.closed) throw new StorageError('closed', 'driver is closed');
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    throwIfAborted(signal, norm);
    return norm;
  }

  private key(norm: string): string {
    return this.settings.keyPrefix + norm;
  }

  private dirPrefix(norm: string): string {
    return norm === ROOT_PATH ? this.settings.keyPrefix : `${this.settings.keyPrefix}${norm}/`;
  }

  private get reportTier(): boolean {
    return this.features.storageClasses.length > 0;
  }

  private dirEntry(name: string, marker: BlobInfo | null): Entry {
    return marker === null ? { name, kind: 'dir', size: 0, mtimeMs: Date.now() } : entryFromBlob(name, 'dir', marker, false);
  }

  /** Directory entry of `norm` (marker metadata when there is a marker), or null if nothing is under it. */
  private async statDir(norm: string, signal?: AbortSignal): Promise<Entry | null> {
    const prefix = this.dirPrefix(norm);
    const keys = await this.blobs.firstKeys(prefix, 1, norm, signal);
    if (keys.length === 0) return null;
    const marker = keys[0] === prefix ? await this.blobs.head(prefix, norm, signal) : null;
    return this.dirEntry(baseStorageName(norm), marker);
  }

  async stat(path: string, options: SignalOptions = {}): Promise<Entry | null> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return { name: '', kind: 'dir', size: 0, mtimeMs: Date.now() };
    const info = await this.blobs.head(this.key(norm), norm, options.signal);
    if (info !== null) return entryFromBlob(baseStorageName(norm), 'file', info, this.reportTier);
    return this.statDir(norm, options.signal);
  }

  async *list(dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
    const { signal } = options;
    const norm = this.begin(dir, signal);
    const prefix = this.dirPrefix(norm);
    const since = Date.now();
    const subdirs: string[] = [];
    let page = await this.blobs.listPage(prefix, true, undefined, norm, signal, { metadata: true });
    if (norm !== ROOT_PATH && page.blobs.length === 0 && page.prefixes.length === 0) {
      if ((await this.blobs.head(this.key(norm), norm, signal)) !== null) throw new StorageError('not_a_directory', 'not a directory', { path: norm });
      throw new StorageError('not_found', 'no such directory', { path: norm });
    }
    for (;;) {
      // Fetch the next page while this one is handed out: at most two pages in memory.
      const next = page.next === undefined ? undefined : this.blobs.listPage(prefix, true, page.next, norm, signal, { metadata: true });
      next?.catch(() => {});
      const dirs = page.prefixes.map((p) => ({ name: p.slice(prefix.length, -1), key: p })).filter((d) => validName(d.name));
      for (const d of dirs) subdirs.push(d.name);
      for await (const entry of mapOrderedBounded(dirs, MARKER_READS, async (d) => this.dirEntry(d.name, await this.blobs.head(d.key, d.name, signal)))) {
        throwIfAborted(signal, norm);
        if (this.closed) throw new StorageError('closed', 'driver is closed');
        yield entry;
      }
      for (const b of page.blobs) {
        const name = b.key.slice(prefix.length);
        if (!validName(name) || isTempName(name)) continue;
        throwIfAborted(signal, norm);
        if (this.closed) throw new StorageError('closed', 'driver is closed');
        yield entryFromBlob(name, 'file', b.info, this.reportTier);
      }
      if (next === undefined) {
        this.checks.recordListing(norm, subdirs, since);
        return;
      }
      page = await next;
    }
  }

  async openRead(path: string, options: ReadOptions = {}): Promise<Readable> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    resolveRange(options, Number.MAX_SAFE_INTEGER, this.features, norm); // argument rules; the service clamps the end itself
    const offset = options.start ?? 0;
    const count = options.end === undefined ? undefined : options.end - offset + 1;
    let body: Readable | null;
    try {
      body = await this.blobs.get(this.key(norm), norm, { offset, ...(count === undefined ? {} : { count }), signal });
    } catch (err) {
      if (isStorageError(err, 'not_found') && (await this.checks.isDir(norm, signal))) throw new StorageError('is_a_directory', 'is a directory', { path: norm });
      throw err;
    }
    const stream = body ?? Readable.from([], { objectMode: false }); // 416: the range starts at or past the end
    return signal === undefined ? stream : addAbortSignal(signal, stream);
  }

  async openWrite(path: string, options: WriteOptions = {}): Promise<Writer> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    checkWriteOptions(options, this.features, norm);
    if (options.metadata !== undefined) checkAzureUserMetadata(options.metadata, norm);
    await this.checks.assertWritableTarget(norm, options.signal);
    throwIfAborted(options.signal, norm);
    this.checks.noteCreating(norm, false);
    const parent = parentStoragePath(norm) ?? ROOT_PATH;
    const tempName = makeTempName(baseStorageName(norm));
    const tempKey = this.key(parent === ROOT_PATH ? tempName : `${parent}/${tempName}`);
    const params = (checksum: string): BlobParams => ({
      metadata: buildAzureMetadata(options.metadata, { ...definedAttrs(options), checksum }),
      contentType: OCTET_STREAM,
      ...(options.storageClass === undefined ? {} : { tier: options.storageClass }),
    });
    this.liveTemps.add(tempKey);
    let writer: AzureWriter | undefined;
    try {
      writer = await AzureWriter.open({
        path: norm, finalKey: this.key(norm), tempKey, blobs: this.blobs, blockSize: this.settings.blockSize, queueSize: this.settings.queueSize, params,
        done: (published) => {
          this.liveTemps.delete(tempKey);
          if (published) this.checks.notePublishedFile(norm);
          if (writer !== undefined) this.writers.delete(writer);
        },
      }, options);
    } catch (err) {
      this.liveTemps.delete(tempKey);
      throw classifyAzureError(err, norm);
    }
    this.writers.add(writer);
    return writer;
  }

  async remove(path: string, options: SignalOptions = {}): Promise<boolean> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('invalid_argument', 'cannot remove the root', { path: norm });
    if ((await this.blobs.head(this.key(norm), norm, signal)) !== null) return this.blobs.remove(this.key(norm), norm, { signal });
    const prefix = this.dirPrefix(norm);
    const keys = await this.blobs.firstKeys(prefix, 2, norm, signal);
    if (keys.length === 0) return false;
    if (keys.some((k) => k !== prefix)) throw new StorageError('not_empty', 'directory is not empty', { path: norm });
    return this.blobs.remove(prefix, norm, { signal });
  }

  async mkdir(path: string, options: SignalOptions = {}): Promise<void> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return;
    await this.checks.assertNoFileOnPath(norm, true, options.signal);
    this.checks.noteCreating(norm, true);
    if (await this.checks.isDir(norm, options.signal)) return;
    await this.blobs.put(this.dirPrefix(norm), EMPTY, { metadata: {}, contentType: DIRECTORY_CONTENT_TYPE }, norm, { signal: options.signal });
  }

  /**
   * Files: Set Blob Metadata with the merged metadata, only if the blob is still the one read (ETag) — no
   * copy, the bytes and tier stay. Directories: the marker's metadata (an implied directory gets a marker).
   * The root holds no blob, so its attributes are not stored (a no-op).
   */
  async setMeta(path: string, meta: MetaOptions, options: SignalOptions = {}): Promise<void> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    checkMetaOptions(meta, this.features, norm);
    if (norm === ROOT_PATH) return;
    const info = await this.blobs.head(this.key(norm), norm, signal);
    if (info !== null) {
      const { user, attrs } = parseAzureMetadata(info.metadata);
      await this.blobs.setMetadata(this.key(norm), buildAzureMetadata(user, { ...attrs, ...definedAttrs(meta) }), info.etag, norm, signal);
      return;
    }
    const prefix = this.dirPrefix(norm);
    const keys = await this.blobs.firstKeys(prefix, 1, norm, signal);
    if (keys.length === 0) throw new StorageError('not_found', 'no such object', { path: norm });
    const marker = keys[0] === prefix ? await this.blobs.head(prefix, norm, signal) : null;
    const { user, attrs } = parseAzureMetadata(marker?.metadata);
    const metadata = buildAzureMetadata(user, { ...attrs, ...definedAttrs(meta) });
    if (marker !== null) await this.blobs.setMetadata(prefix, metadata, marker.etag, norm, signal);
    else await this.blobs.put(prefix, EMPTY, { metadata, contentType: DIRECTORY_CONTENT_TYPE }, norm, { signal });
  }

  /** See `cleanupTemp` in azure-maintenance.ts: stale temporary blobs, committed or only staged. */
  async cleanupTemp(dir = ROOT_PATH, options: TempCleanupOptions = {}): Promise<TempCleanupResult> {
    return cleanupTemp(this.maintenance, this.begin(dir, options.signal), this.settings.keyPrefix, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.writers].map((w) => w.abort(new StorageError('closed', 'driver closed')).catch(() => {})));
  }

  /**
   * Server-side copy (Put Block From URL + Put Block List, see AzureBlobs.copy), published atomically. User
   * metadata, tier, mode, owner and the recorded checksum travel with the bytes; times are fresh unless given.
   */
  async copy(from: string, to: string, options: SignalOptions & MetaOptions = {}): Promise<CommitResult> {
    const { signal } = options;
    const src = this.begin(from, signal);
    const dst = this.begin(to, signal);
    checkMetaOptions(options, this.features, dst);
    const info = src === ROOT_PATH ? null : await this.blobs.head(this.key(src), src, signal);
    if (info === null) {
      if (await this.checks.isDir(src, signal)) throw new StorageError('is_a_directory', 'source is a directory', { path: src });
      throw new StorageError('not_found', 'no such object', { path: src });
    }
    await this.checks.assertWritableTarget(dst, signal);
    this.checks.noteCreating(dst, false);
    const { user, attrs } = parseAzureMetadata(info.metadata);
    await this.blobs.copy(this.key(src), this.key(dst), info.size, {
      metadata: buildAzureMetadata(user, { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, checksum: attrs.checksum, ...definedAttrs(options) }),
      contentType: info.contentType ?? OCTET_STREAM,
      ...(info.tier === undefined ? {} : { tier: info.tier }),
    }, dst, { signal });
    this.checks.notePublishedFile(dst);
    return { size: info.size };
  }
}

/** Registry factory: validate the config (key never echoed), build the client, return the driver. */
export async function createAzureDriver(config: unknown): Promise<StorageDriver> {
  const { settings, accountKey } = parseAzureConfig(config);
  return new AzureDriver(createAzureClient(settings, accountKey), settings);
}
