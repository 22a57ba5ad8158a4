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
 * - mtime, atime, mode, uid, gid and an xxhash64 checksum live in `x-amz-meta-barge-*` (object-meta.ts), so
 *   `permissions` and `setOwnership` are declared: they are stored and reported faithfully (not enforced:
 *   S3 access control is the bucket's policy), which is what lets a copy back to POSIX restore them.
 * - What every object store shares (keys under the root prefix, markers, the namespace checks before a
 *   write, the atomic writer's state machine, crash recovery) is object/ (driver-core.ts, object-writer.ts);
 *   this driver adds S3's requests. Writes: s3-writer.ts (PutObject, or a multipart upload to a temporary
 *   key then CopyObject); PutObject is one signed request without the SDK middleware (s3-put-request.ts).
 *   Server-side copy: CopyObject, UploadPartCopy above 5 GiB.
 * - No `rename` (S3 has no atomic rename), no symlinks, no native checksums (ETags are not digests of the
 *   content for multipart objects).
 * Keys that cannot be storage paths (an empty segment as in `a//b`, `.` or `..`) are skipped by listings.
 */
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type {
  CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, SignalOptions, StorageDriver, TempCleanupOptions, TempCleanupResult, WriteOptions, Writer,
} from '../driver.js';
import { mapOrderedBounded } from '../driver-support.js';
import { StorageError, throwIfAborted } from '../errors.js';
import { ObjectDriverCore, prefetchingPages } from '../object/driver-core.js';
import type { RestoreMethod } from '../object/driver-core.js';
import { objectStoreFeatures, validObjectName } from '../object/object-features.js';
import { DIRECTORY_CONTENT_TYPE, MARKER_BODY, OCTET_STREAM, checkUserMetadata, definedAttrs } from '../object/object-meta.js';
import { ROOT_PATH, isTempName } from '../paths.js';
import type { S3Settings } from './s3-config.js';
import { createS3Client, parseS3Config } from './s3-config.js';
import { cleanupTemp, restoreObject } from './s3-maintenance.js';
import type { HeadLike } from './s3-meta.js';
import { activeLock, buildMetadata, entryFromHead, parseMetadata } from './s3-meta.js';
import type { LockParams, ObjectParams } from './s3-objects.js';
import { S3Objects } from './s3-objects.js';
import { s3WriteBackend } from './s3-writer.js';

/** Features of an S3 driver; the configurable ones come from the settings (see the file header). */
export function s3Features(settings: S3Settings): DriverFeatures {
  return objectStoreFeatures(settings, { objectLock: settings.objectLock, restoreExpires: settings.restoreFromCold, noReplace: false });
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
  readonly restore?: RestoreMethod;
  private readonly objects: S3Objects;
  /** Keys, namespace checks, live writers and the shared steps of every method (object/driver-core.ts). */
  private readonly core: ObjectDriverCore<HeadObjectCommandOutput>;

  /**
   * A driver over an existing client. Why public: tests inject a stub client, and callers with their own
   * credential provider (instance roles, SSO) build the client themselves. Most callers use `createS3Driver`.
   */
  constructor(private readonly client: S3Client, readonly settings: S3Settings) {
    this.features = s3Features(settings);
    this.objects = new S3Objects(client, settings);
    this.core = new ObjectDriverCore(this.objects, settings.keyPrefix, this.features);
    if (settings.restoreFromCold) {
      this.restore = async (path, options = {}) => restoreObject(this.objects, this.core, this.core.begin(path, options.signal), options.tier ?? settings.restoreTier, options);
    }
  }

  private readonly entryOf = (name: string, kind: 'file' | 'dir', head: HeadLike | null, now = Date.now()): Entry => {
    if (head === null) return { name, kind: 'dir', size: 0, mtimeMs: now };
    return entryFromHead(name, kind, head, kind === 'file' && this.features.storageClasses.length > 0);
  };

  stat(path: string, options: SignalOptions = {}): Promise<Entry | null> {
    return this.core.stat(path, options, this.entryOf);
  }

  private async listedEntry(item: ListItem, now: number, signal?: AbortSignal): Promise<Entry | null> {
    const reportClass = this.features.storageClasses.length > 0;
    if (!this.settings.listMetadata) {
      if (item.dir) return this.entryOf(item.name, 'dir', null, now);
      return {
        name: item.name, kind: 'file', size: item.size, mtimeMs: item.lastModified?.getTime() ?? now,
        ...(reportClass ? { storageClass: item.storageClass ?? 'STANDARD' } : {}),
      };
    }
    const head = await this.objects.head(item.key, item.name, signal);
    if (item.dir) return this.entryOf(item.name, 'dir', head, now);
    return head === null ? null : entryFromHead(item.name, 'file', head, reportClass);
  }

  async *list(dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
    const { signal } = options;
    const norm = this.core.begin(dir, signal);
    const prefix = this.core.dirPrefix(norm);
    const now = Date.now();
    // Every subdirectory seen, recorded once the listing is complete: writes into `norm` then need no LIST.
    const subdirs: string[] = [];
    const first = await this.objects.listPage(prefix, true, undefined, norm, signal);
    if (norm !== ROOT_PATH && first.objects.length === 0 && first.prefixes.length === 0) {
      const error = await this.core.missingDirectory(norm, signal);
      if (error.code === 'not_found') this.core.checks.recordListing(norm, subdirs, now);
      throw error;
    }
    for await (const page of prefetchingPages(first, (token) => this.objects.listPage(prefix, true, token, norm, signal))) {
      for (const p of page.prefixes) subdirs.push(p.slice(prefix.length, -1));
      const items: ListItem[] = [
        ...page.prefixes.map((p) => ({ name: p.slice(prefix.length, -1), key: p, dir: true, size: 0, lastModified: undefined, storageClass: undefined })),
        ...page.objects.map((o) => ({ name: o.key.slice(prefix.length), key: o.key, dir: false, size: o.size, lastModified: o.lastModified, storageClass: o.storageClass })),
      ].filter((i) => validObjectName(i.name) && (i.dir || !isTempName(i.name)));
      for await (const entry of mapOrderedBounded(items, this.settings.statConcurrency, (i) => this.listedEntry(i, now, signal))) {
        throwIfAborted(signal, norm);
        this.core.guard();
        if (entry !== null) yield entry;
      }
    }
    this.core.checks.recordListing(norm, subdirs, now);
  }

  openRead(path: string, options: ReadOptions = {}): Promise<Readable> {
    const { start, end, signal } = options;
    const range = (start === undefined || start === 0) && end === undefined ? undefined : `bytes=${start ?? 0}-${end ?? ''}`;
    return this.core.read(path, options, (key, norm) => this.objects.get(key, norm, { range, signal }));
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
    const norm = this.core.beginWrite(path, options);
    if (options.metadata !== undefined) checkUserMetadata(options.metadata, norm);
    const lock = this.lockParams(options, norm);
    const params = (checksum: string): ObjectParams => ({
      metadata: buildMetadata(options.metadata, { ...definedAttrs(options), checksum }),
      contentType: OCTET_STREAM,
      ...(options.storageClass === undefined ? {} : { storageClass: options.storageClass }),
      ...(lock === undefined ? {} : { lock }),
    });
    const { partSize, queueSize } = this.settings;
    return this.core.openWriter(norm, options, (keys, done) => s3WriteBackend({ ...keys, objects: this.objects, partSize, queueSize, params, done }));
  }

  remove(path: string, options: SignalOptions = {}): Promise<boolean> {
    return this.core.remove(path, options, async (key, norm, head) => {
      // In a versioned (Object Lock) bucket a plain DELETE of a locked object "succeeds" by hiding it behind
      // a delete marker while the bytes stay: refuse it instead, so the caller learns the object stays.
      const lock = activeLock(head);
      if (lock !== undefined) {
        const why = lock.legalHold === true ? 'is under legal hold' : `is retained (${lock.mode}) until ${lock.retainUntil?.toISOString() ?? '?'}`;
        throw new StorageError('permission_denied', `object ${why}`, { path: norm, sysCode: 'ObjectLocked' });
      }
      await this.objects.deleteKey(key, norm);
      return true;
    }, async (prefix, norm) => {
      await this.objects.deleteKey(prefix, norm);
      return true;
    });
  }

  mkdir(path: string, options: SignalOptions = {}): Promise<void> {
    return this.core.mkdir(path, options, async (prefix, norm) => {
      await this.objects.put(prefix, MARKER_BODY, { metadata: {}, contentType: DIRECTORY_CONTENT_TYPE }, norm, options.signal);
    });
  }

  /**
   * Files: CopyObject onto itself with the merged metadata (MetadataDirective REPLACE), keeping the storage
   * class, content type and any lock in force. Directories: the marker is (re)written with the metadata
   * (an implied directory gets a marker). uid/gid are metadata here, so they are accepted and stored. The
   * root holds no object, so its attributes are not stored (a no-op).
   */
  async setMeta(path: string, meta: MetaOptions, options: SignalOptions = {}): Promise<void> {
    const { signal } = options;
    const norm = this.core.beginSetMeta(path, meta, options);
    if (norm === null) return;
    const target = await this.core.metaTarget(norm, signal);
    if ('file' in target) {
      const head = target.file;
      const key = this.core.key(norm);
      const { user, attrs } = parseMetadata(head.Metadata);
      const lock = activeLock(head);
      await this.objects.copy(key, key, head.ContentLength ?? 0, {
        metadata: buildMetadata(user, { ...attrs, ...definedAttrs(meta) }), contentType: head.ContentType ?? OCTET_STREAM,
        ...(head.StorageClass === undefined ? {} : { storageClass: head.StorageClass }), ...(lock === undefined ? {} : { lock }),
      }, norm, { versionId: head.VersionId, etag: head.ETag }, signal);
      return;
    }
    const { user, attrs } = parseMetadata(target.marker?.Metadata);
    const metadata = buildMetadata(user, { ...attrs, ...definedAttrs(meta) });
    await this.objects.put(target.prefix, MARKER_BODY, { metadata, contentType: DIRECTORY_CONTENT_TYPE }, norm, signal);
  }

  /** See `cleanupTemp` in s3-maintenance.ts: stale temporary objects and unfinished multipart uploads. */
  async cleanupTemp(dir = ROOT_PATH, options: TempCleanupOptions = {}): Promise<TempCleanupResult> {
    return cleanupTemp(this.objects, this.core, this.core.begin(dir, options.signal), options);
  }

  async close(): Promise<void> {
    if (await this.core.close()) this.client.destroy();
  }

  /**
   * Server-side copy (see S3Objects.copy: CopyObject up to 5 GiB, UploadPartCopy above, published
   * atomically). User metadata, storage class, mode, owner and the recorded checksum travel with the bytes;
   * times are fresh unless given; an Object Lock of the source is not copied.
   */
  copy(from: string, to: string, options: SignalOptions & MetaOptions = {}): Promise<CommitResult> {
    return this.core.copy(from, to, options, async (src, dst, head) => {
      const { user, attrs } = parseMetadata(head.Metadata);
      const size = head.ContentLength ?? 0;
      await this.objects.copy(this.core.key(src), this.core.key(dst), size, {
        metadata: buildMetadata(user, { mode: attrs.mode, uid: attrs.uid, gid: attrs.gid, checksum: attrs.checksum, ...definedAttrs(options) }),
        contentType: head.ContentType ?? OCTET_STREAM,
        ...(head.StorageClass === undefined ? {} : { storageClass: head.StorageClass }),
      }, dst, { versionId: head.VersionId, etag: head.ETag }, options.signal);
      return size;
    });
  }
}

/** Registry factory: validate the config (secret never echoed), build the client, return the driver. */
export async function createS3Driver(config: unknown): Promise<StorageDriver> {
  const { settings, credentials } = parseS3Config(config);
  return new S3Driver(createS3Client(settings, credentials), settings);
}
