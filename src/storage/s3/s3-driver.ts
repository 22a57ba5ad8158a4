/**
 * S3 storage driver (AWS S3, Ceph RGW, MinIO… through `@aws-sdk/client-s3`), over one bucket and an
 * optional key prefix acting as the root.
 *
 * Contract mapping (see docs/storage-drivers.md, "s3", for the full rationale):
 * - A storage path `a/b` is the key `<prefix>a/b`. Directories are key prefixes: a directory exists when at
 *   least one key lies under `a/`, and `mkdir` writes a zero-byte marker `a/` (the S3 console's folder
 *   convention) so that empty directories exist too. Hence `features.directories: true`: the shared suite
 *   requires `mkdir`ed directories to be listed and an empty one to be told apart from a missing one.
 * - `list` = ListObjectsV2 with the '/' delimiter, page by page (CommonPrefixes → dirs, objects → files),
 *   plus one HeadObject per entry (bounded concurrency, `listMetadata`) so listed entries carry the same
 *   metadata as `stat`.
 * - mtime, atime, mode, uid, gid and an xxhash64 checksum live in `x-amz-meta-barge-*` (s3-meta.ts), so
 *   `permissions` and `setOwnership` are declared: they are stored and reported faithfully (not enforced:
 *   S3 access control is the bucket's policy), which is what lets a copy back to POSIX restore them.
 * - Writes: S3Writer (s3-writer.ts); PutObject is one signed request without the SDK middleware
 *   (s3-put-request.ts). Before a write, the file/directory checks are cached (s3-target-checks.ts).
 *   Server-side copy: CopyObject, UploadPartCopy above 5 GiB.
 * - No `rename` (S3 has no atomic rename), no symlinks, no native checksums (ETags are not digests of the
 *   content for multipart objects).
 * Keys that cannot be storage paths (an empty segment as in `a//b`, `.` or `..`) are skipped by listings.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable, addAbortSignal } from 'node:stream';
import type {
  CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, RestoreResult, RestoreTier, SignalOptions, StorageDriver, TempCleanupOptions,
  TempCleanupResult, WriteOptions, Writer,
} from '../driver.js';
import { checkMetaOptions, checkWriteOptions, mapOrderedBounded, resolveRange } from '../driver-support.js';
import { StorageError, isStorageError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, assertNotTempPath, baseStorageName, isTempName, makeTempName, normalizeStoragePath, parentStoragePath } from '../paths.js';
import type { S3Settings } from './s3-config.js';
import { createS3Client, parseS3Config } from './s3-config.js';
import { classifyS3Error } from './s3-errors.js';
import { cleanupTemp, restoreObject } from './s3-maintenance.js';
import type { MaintenanceContext } from './s3-maintenance.js';
import type { HeadLike } from './s3-meta.js';
import { DIRECTORY_CONTENT_TYPE, activeLock, buildMetadata, checkUserMetadata, definedAttrs, entryFromHead, parseMetadata } from './s3-meta.js';
import type { LockParams, ObjectParams } from './s3-objects.js';
import { S3Objects } from './s3-objects.js';
import { S3TargetChecks } from './s3-target-checks.js';
import { S3Writer } from './s3-writer.js';

/** Features of an S3 driver; the configurable ones come from the settings (see the file header). */
export function s3Features(settings: S3Settings): DriverFeatures {
  return Object.freeze({
    rangeRead: true,
    serverSideCopy: true,
    rename: false,
    nativeChecksums: Object.freeze([]),
    storageClasses: settings.storageClasses,
    objectLock: settings.objectLock,
    restoreFromCold: settings.restoreFromCold,
    restoreExpires: settings.restoreFromCold,
    sequentialOnly: false,
    setOwnership: true,
    permissions: true,
    symlinks: false,
    userMetadata: true,
    directories: true,
    mtimePrecisionMs: 1,
    attributesAsMetadata: true,
    noReplace: false,
  });
}

const EMPTY = Buffer.alloc(0);
const OCTET_STREAM = 'application/octet-stream';

function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

interface ListItem {
  readonly name: string;
  readonly key: string;
  readonly dir: boolean;
  readonly size: number;
  readonly lastModified: Date | undefined;
  readonly storageClass: string | undefined;
}

/** The S3 driver. See driver.ts for the contract of each method and the file header for the mapping. */
export class S3Driver implements StorageDriver {
  readonly kind = 's3';
  readonly features: DriverFeatures;
  /** Present exactly when `restoreFromCold` is configured (the contract ties the method to the feature). */
  readonly restore?: (path: string, options?: SignalOptions & { readonly days?: number; readonly tier?: RestoreTier }) => Promise<RestoreResult>;
  private readonly objects: S3Objects;
  /** Temporary keys of this instance's live writers: `cleanupTemp` never touches them. */
  private readonly liveTemps = new Set<string>();
  private readonly writers = new Set<S3Writer>();
  /** Cached "not a file" / "not a directory" checks before creating keys (s3-target-checks.ts). */
  private readonly checks: S3TargetChecks;
  private readonly maintenance: MaintenanceContext;
  private closed = false;

  /**
   * A driver over an existing client. Why public: tests inject a stub client, and callers with their own
   * credential provider (instance roles, SSO) build the client themselves. Most callers use `createS3Driver`.
   */
  constructor(private readonly client: S3Client, readonly settings: S3Settings) {
    this.features = s3Features(settings);
    this.objects = new S3Objects(client, settings);
    this.checks = new S3TargetChecks(this.objects, { key: (n) => this.key(n), dirPrefix: (n) => this.dirPrefix(n) });
    this.maintenance = {
      objects: this.objects, liveTemps: this.liveTemps, key: (n) => this.key(n), dirPrefix: (n) => this.dirPrefix(n), isDir: (n, s) => this.isDir(n, s),
    };
    if (settings.restoreFromCold) {
      this.restore = async (path, options = {}) => restoreObject(this.maintenance, this.begin(path, options.signal), options.tier ?? settings.restoreTier, options);
    }
  }

  private guard(): void {
    if (this.closed) throw new StorageError('closed', 'driver is closed');
  }

  private begin(path: string, signal?: AbortSignal): string {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    throwIfAborted(signal, norm);
    return norm;
  }

  private key(norm: string): string {
    return this.settings.keyPrefix + norm;
  }

  /** Key prefix of a directory's children (also the key of its marker). */
  private dirPrefix(norm: string): string {
    return norm === ROOT_PATH ? this.settings.keyPrefix : `${this.settings.keyPrefix}${norm}/`;
  }

  /** True if anything (a marker, an object, a temporary object) lies under the directory. */
  private isDir(norm: string, signal?: AbortSignal): Promise<boolean> {
    return this.checks.isDir(norm, signal);
  }

  private dirEntry(name: string, marker: HeadLike | null, now: number): Entry {
    return marker === null ? { name, kind: 'dir', size: 0, mtimeMs: now } : entryFromHead(name, 'dir', marker, false);
  }

  /** Directory entry of `norm` (marker metadata when there is a marker), or null if nothing is under it. */
  private async statDir(norm: string, signal?: AbortSignal): Promise<Entry | null> {
    const prefix = this.dirPrefix(norm);
    const keys = await this.objects.firstKeys(prefix, 1, norm, signal);
    if (keys.length === 0) return null;
    const marker = keys[0] === prefix ? await this.objects.head(prefix, norm, signal) : null;
    return this.dirEntry(baseStorageName(norm), marker, Date.now());
  }

  async stat(path: string, options: SignalOptions = {}): Promise<Entry | null> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return { name: '', kind: 'dir', size: 0, mtimeMs: Date.now() };
    const head = await this.objects.head(this.key(norm), norm, options.signal);
    if (head !== null) return entryFromHead(baseStorageName(norm), 'file', head, this.features.storageClasses.length > 0);
    return this.statDir(norm, options.signal);
  }

  private async listedEntry(item: ListItem, now: number, signal?: AbortSignal): Promise<Entry | null> {
    const reportClass = this.features.storageClasses.length > 0;
    if (!this.settings.listMetadata) {
      if (item.dir) return this.dirEntry(item.name, null, now);
      return {
        name: item.name, kind: 'file', size: item.size, mtimeMs: item.lastModified?.getTime() ?? now,
        ...(reportClass ? { storageClass: item.storageClass ?? 'STANDARD' } : {}),
      };
    }
    const head = await this.objects.head(item.key, item.name, signal);
    if (item.dir) return this.dirEntry(item.name, head, now);
    return head === null ? null : entryFromHead(item.name, 'file', head, reportClass);
  }

  async *list(dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
    const { signal } = options;
    const norm = this.begin(dir, signal);
    const prefix = this.dirPrefix(norm);
    const now = Date.now();
    // Every subdirectory seen, recorded once the listing is complete: writes into `norm` then need no LIST.
    const subdirs: string[] = [];
    let page = await this.objects.listPage(prefix, true, undefined, norm, signal);
    if (norm !== ROOT_PATH && page.objects.length === 0 && page.prefixes.length === 0) {
      if ((await this.objects.head(this.key(norm), norm, signal)) !== null) throw new StorageError('not_a_directory', 'not a directory', { path: norm });
      this.checks.recordListing(norm, subdirs, now);
      throw new StorageError('not_found', 'no such directory', { path: norm });
    }
    for (;;) {
      for (const p of page.prefixes) subdirs.push(p.slice(prefix.length, -1));
      // Fetch the next page while this one's entries are being examined: at most two pages in memory.
      const next = page.next === undefined ? undefined : this.objects.listPage(prefix, true, page.next, norm, signal);
      next?.catch(() => {});
      const items: ListItem[] = [
        ...page.prefixes.map((p) => ({ name: p.slice(prefix.length, -1), key: p, dir: true, size: 0, lastModified: undefined, storageClass: undefined })),
        ...page.objects.map((o) => ({ name: o.key.slice(prefix.length), key: o.key, dir: false, size: o.size, lastModified: o.lastModified, storageClass: o.storageClass })),
      ].filter((i) => validName(i.name) && (i.dir || !isTempName(i.name)));
      for await (const entry of mapOrderedBounded(items, this.settings.statConcurrency, (i) => this.listedEntry(i, now, signal))) {
        throwIfAborted(signal, norm);
        this.guard();
        if (entry !== null) yield entry;
      }
      if (next === undefined) {
        this.checks.recordListing(norm, subdirs, now);
        return;
      }
      page = await next;
    }
  }

  async openRead(path: string, options: ReadOptions = {}): Promise<Readable> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    resolveRange(options, Number.MAX_SAFE_INTEGER, this.features, norm); // argument rules; S3 clamps the end itself
    const { start, end } = options;
    const range = (start === undefined || start === 0) && end === undefined ? undefined : `bytes=${start ?? 0}-${end ?? ''}`;
    let body: Readable | null;
    try {
      body = await this.objects.get(this.key(norm), norm, { range, signal });
    } catch (err) {
      if (isStorageError(err, 'not_found') && (await this.isDir(norm, signal))) {
        throw new StorageError('is_a_directory', 'is a directory', { path: norm });
      }
      throw err;
    }
    const stream = body ?? Readable.from([], { objectMode: false }); // 416: the range starts at or past the end
    return signal === undefined ? stream : addAbortSignal(signal, stream);
  }

  private lockParams(options: WriteOptions, path: string): LockParams | undefined {
    const { retainUntilMs, legalHold, lockMode } = options;
    if (lockMode !== undefined) {
      if (!this.features.objectLock) throw new StorageError('unsupported', 'driver does not support object lock', { path });
      if (lockMode !== 'GOVERNANCE' && lockMode !== 'COMPLIANCE') throw new StorageError('invalid_argument', 'lockMode must be GOVERNANCE or COMPLIANCE', { path });
      if (retainUntilMs === undefined) throw new StorageError('invalid_argument', 'lockMode needs retainUntilMs', { path });
    }
    if (retainUntilMs !== undefined && (!Number.isFinite(retainUntilMs) || retainUntilMs <= Date.now())) {
      throw new StorageError('invalid_argument', 'retainUntilMs must be a time in the future', { path });
    }
    if (retainUntilMs === undefined && legalHold === undefined) return undefined;
    return {
      mode: lockMode ?? this.settings.lockMode,
      ...(retainUntilMs === undefined ? {} : { retainUntil: new Date(retainUntilMs) }),
      ...(legalHold === undefined ? {} : { legalHold }),
    };
  }

  async openWrite(path: string, options: WriteOptions = {}): Promise<Writer> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    checkWriteOptions(options, this.features, norm);
    if (options.metadata !== undefined) checkUserMetadata(options.metadata, norm);
    const lock = this.lockParams(options, norm);
    await this.checks.assertWritableTarget(norm, options.signal);
    throwIfAborted(options.signal, norm);
    this.checks.noteCreating(norm, false);
    const parent = parentStoragePath(norm) ?? ROOT_PATH;
    const tempName = makeTempName(baseStorageName(norm));
    const tempKey = this.key(parent === ROOT_PATH ? tempName : `${parent}/${tempName}`);
    const params = (checksum: string): ObjectParams => ({
      metadata: buildMetadata(options.metadata, { ...definedAttrs(options), checksum }),
      contentType: OCTET_STREAM,
      ...(options.storageClass === undefined ? {} : { storageClass: options.storageClass }),
      ...(lock === undefined ? {} : { lock }),
    });
    this.liveTemps.add(tempKey);
    let writer: S3Writer | undefined;
    try {
      writer = await S3Writer.open({
        path: norm, finalKey: this.key(norm), tempKey, objects: this.objects, partSize: this.settings.partSize, queueSize: this.settings.queueSize, params,
        done: (published) => {
          this.liveTemps.delete(tempKey);
          if (published) this.checks.notePublishedFile(norm);
          if (writer !== undefined) this.writers.delete(writer);
        },
      }, options);
    } catch (err) {
      this.liveTemps.delete(tempKey);
      throw classifyS3Error(err, norm);
    }
    this.writers.add(writer);
    return writer;
  }

  async remove(path: string, options: SignalOptions = {}): Promise<boolean> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('invalid_argument', 'cannot remove the root', { path: norm });
    const head = await this.objects.head(this.key(norm), norm, signal);
    if (head !== null) {
      // In a versioned (Object Lock) bucket a plain DELETE of a locked object "succeeds" by hiding it behind
      // a delete marker while the bytes stay: refuse it instead, so the caller learns the object stays.
      const lock = activeLock(head);
      if (lock !== undefined) {
        const why = lock.legalHold === true ? 'is under legal hold' : `is retained (${lock.mode}) until ${lock.retainUntil?.toISOString() ?? '?'}`;
        throw new StorageError('permission_denied', `object ${why}`, { path: norm, sysCode: 'ObjectLocked' });
      }
      await this.objects.deleteKey(this.key(norm), norm);
      return true;
    }
    const prefix = this.dirPrefix(norm);
    const keys = await this.objects.firstKeys(prefix, 2, norm, signal);
    if (keys.length === 0) return false;
    if (keys.some((k) => k !== prefix)) throw new StorageError('not_empty', 'directory is not empty', { path: norm });
    await this.objects.deleteKey(prefix, norm);
    return true;
  }

  async mkdir(path: string, options: SignalOptions = {}): Promise<void> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return;
    await this.checks.assertNoFileOnPath(norm, true, options.signal);
    this.checks.noteCreating(norm, true);
    if (await this.isDir(norm, options.signal)) return;
    await this.objects.put(this.dirPrefix(norm), EMPTY, { metadata: {}, contentType: DIRECTORY_CONTENT_TYPE }, norm, options.signal);
  }

  /**
   * Files: CopyObject onto itself with the merged metadata (MetadataDirective REPLACE), keeping the storage
   * class, content type and any lock in force. Directories: the marker is (re)written with the metadata
   * (an implied directory gets a marker). uid/gid are metadata here, so they are accepted and stored. The
   * root holds no object, so its attributes are not stored (a no-op).
   */
  async setMeta(path: string, meta: MetaOptions, options: SignalOptions = {}): Promise<void> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    checkMetaOptions(meta, this.features, norm);
    if (norm === ROOT_PATH) return;
    const key = this.key(norm);
    const head = await this.objects.head(key, norm, signal);
    if (head !== null) {
      const { user, attrs } = parseMetadata(head.Metadata);
      const lock = activeLock(head);
      await this.objects.copy(key, key, head.ContentLength ?? 0, {
        metadata: buildMetadata(user, { ...attrs, ...definedAttrs(meta) }), contentType: head.ContentType ?? OCTET_STREAM,
        ...(head.StorageClass === undefined ? {} : { storageClass: head.StorageClass }), ...(lock === undefined ? {} : { lock }),
      }, norm, { versionId: head.VersionId, etag: head.ETag }, signal);
      return;
    }
    const prefix = this.dirPrefix(norm);
    const keys = await this.objects.firstKeys(prefix, 1, norm, signal);
    if (keys.length === 0) throw new StorageError('not_found', 'no such object', { path: norm });
    const marker = keys[0] === prefix ? await this.objects.head(prefix, norm, signal) : null;
    const { user, attrs } = parseMetadata(marker?.Metadata);
    const metadata = buildMetadata(user, { ...attrs, ...definedAttrs(meta) });
    await this.objects.put(prefix, EMPTY, { metadata, contentType: DIRECTORY_CONTENT_TYPE }, norm, signal);
  }

  /** See `cleanupTemp` in s3-maintenance.ts: stale temporary objects and unfinished multipart uploads. */
  async cleanupTemp(dir = ROOT_PATH, options: TempCleanupOptions = {}): Promise<TempCleanupResult> {
    return cleanupTemp(this.maintenance, this.begin(dir, options.signal), this.settings.keyPrefix, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.writers].map((w) => w.abort(new StorageError('closed', 'driver closed')).catch(() => {})));
    this.client.destroy();
  }

  /**
   * Server-side copy (see S3Objects.copy: CopyObject up to 5 GiB, UploadPartCopy above, published
   * atomically). User metadata, storage class, mode, owner and the recorded checksum travel with the bytes;
   * times are fresh unless given; an Object Lock of the source is not copied.
   */
  async copy(from: string, to: string, options: SignalOptions & MetaOptions = {}): Promise<CommitResult> {
    const { signal } = options;
    const src = this.begin(from, signal);
    const dst = this.begin(to, signal);
    checkMetaOptions(options, this.features, dst);
    const head = src === ROOT_PATH ? null : await this.objects.head(this.key(src), src, signal);
    if (head === null) {
      if (await this.isDir(src, signal)) throw new StorageError('is_a_directory', 'source is a directory', { path: src });
      throw new StorageError('not_found', 'no such object', { path: src });
    }
    await this.checks.assertWritableTarget(dst, signal);
    this.checks.noteCreating(dst, false);
    const { user, attrs } = parseMetadata(head.Metadata);
    const size = head.ContentLength ?? 0;
    await this.objects.copy(this.key(src), this.key(dst), size, {
      metadata: buildMetadata(user, { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, checksum: attrs.checksum, ...definedAttrs(options) }),
      contentType: head.ContentType ?? OCTET_STREAM,
      ...(head.StorageClass === undefined ? {} : { storageClass: head.StorageClass }),
    }, dst, { versionId: head.VersionId, etag: head.ETag }, signal);
    this.checks.notePublishedFile(dst);
    return { size };
  }
}

/** Registry factory: validate the config (secret never echoed), build the client, return the driver. */
export async function createS3Driver(config: unknown): Promise<StorageDriver> {
  const { settings, credentials } = parseS3Config(config);
  return new S3Driver(createS3Client(settings, credentials), settings);
}
