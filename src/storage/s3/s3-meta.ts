/**
 * Object metadata of the S3 driver: the `x-amz-meta-barge-*` fields that carry POSIX attributes (encoded
 * as object-meta.ts says, shared with the Azure driver), Object Lock state, restore state, copy sources,
 * and `Entry` construction from HeadObject.
 *
 * Why POSIX attributes in metadata: S3 has no mtime (LastModified is the upload time), no mode and no
 * owner. Storing them with the object lets a later copy back to POSIX restore them, and lets incremental
 * runs compare the source's mtime with what was recorded instead of with the upload time.
 */
import type { Entry, ObjectLockState } from '../driver.js';
import { BARGE_META_PREFIX, joinMetadata, objectEntry, splitMetadata } from '../object/object-meta.js';
import type { ParsedMetadata, PosixAttributes } from '../object/object-meta.js';

/** Object Lock state of an object as HeadObject reports it. */
export interface LockState {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retainUntil?: Date;
  readonly legalHold?: boolean;
}

/**
 * The Object Lock of an object that is still in force, if any. Why: a new version made by `setMeta` must
 * carry it over, and `remove` must refuse such an object instead of hiding it behind a delete marker.
 */
export function activeLock(head: { ObjectLockMode?: string; ObjectLockRetainUntilDate?: Date; ObjectLockLegalHoldStatus?: string }): LockState | undefined {
  const retained = head.ObjectLockRetainUntilDate !== undefined && head.ObjectLockRetainUntilDate.getTime() > Date.now();
  const held = head.ObjectLockLegalHoldStatus === 'ON';
  if (!retained && !held) return undefined;
  return {
    mode: head.ObjectLockMode === 'COMPLIANCE' ? 'COMPLIANCE' : 'GOVERNANCE',
    ...(retained ? { retainUntil: head.ObjectLockRetainUntilDate } : {}),
    ...(held ? { legalHold: true } : {}),
  };
}

/** Build the S3 `Metadata` map: encoded user metadata plus the barge-* attributes that are set. */
export function buildMetadata(user: Readonly<Record<string, string>> | undefined, attrs: PosixAttributes): Record<string, string> {
  return joinMetadata(user, attrs, BARGE_META_PREFIX);
}

/**
 * Split a HeadObject `Metadata` map into user metadata (decoded) and POSIX attributes. Malformed barge-*
 * values (written by hand, say) are ignored rather than trusted.
 */
export function parseMetadata(raw: Readonly<Record<string, string>> | undefined): ParsedMetadata {
  return splitMetadata(raw, BARGE_META_PREFIX);
}

/** The fields of a HeadObject response the driver uses. Why structural: entries are built from HEAD output and from test stubs alike. */
export interface HeadLike {
  readonly ContentLength?: number;
  readonly LastModified?: Date;
  readonly Metadata?: Record<string, string>;
  readonly StorageClass?: string;
  readonly ObjectLockMode?: string;
  readonly ObjectLockRetainUntilDate?: Date;
  readonly ObjectLockLegalHoldStatus?: string;
}

/**
 * An `Entry` from a HeadObject response (object-meta.ts `objectEntry`, plus the Object Lock in force).
 * `storageClass` is reported only when the driver declares storage classes (S3 omits the header for STANDARD).
 */
export function entryFromHead(name: string, kind: 'file' | 'dir', head: HeadLike, reportClass: boolean): Entry {
  return {
    ...objectEntry(name, kind, {
      size: head.ContentLength ?? 0, lastModified: head.LastModified, meta: parseMetadata(head.Metadata),
      storageClass: reportClass ? head.StorageClass ?? 'STANDARD' : undefined,
    }),
    ...lockOf(head),
  };
}

/** `Entry.lock` from HeadObject: only a lock still in force (an expired retention protects nothing). */
function lockOf(head: HeadLike): { lock?: ObjectLockState } {
  const lock = activeLock(head);
  if (lock === undefined) return {};
  return {
    lock: {
      mode: lock.mode,
      ...(lock.retainUntil === undefined ? {} : { retainUntilMs: lock.retainUntil.getTime() }),
      ...(lock.legalHold ? { legalHold: true } : {}),
    },
  };
}

/**
 * State of a cold object from HeadObject's `x-amz-restore` header: `ongoing-request="true"` is a restore in
 * progress, `ongoing-request="false", expiry-date=…` a readable copy. `undefined`: no restore was requested.
 */
export function parseRestoreHeader(value: string | undefined): 'restoring' | 'available' | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const m = /ongoing-request\s*=\s*"?(true|false)"?/i.exec(value);
  if (m === null) return undefined;
  return (m[1] as string).toLowerCase() === 'true' ? 'restoring' : 'available';
}

/** Storage classes whose objects must be restored before they can be read (when `restoreFromCold`). */
export const COLD_STORAGE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * URL-encode a key for `x-amz-copy-source` (every byte but unreserved characters and '/'). Why stricter
 * than encodeURIComponent: services disagree on `!'()*` and the header must be decoded to the exact key.
 */
export function encodeCopySource(bucket: string, key: string, versionId?: string): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  const path = `${enc(bucket)}/${key.split('/').map(enc).join('/')}`;
  return versionId === undefined ? path : `${path}?versionId=${enc(versionId)}`;
}
