/**
 * Keys and object metadata of the S3 driver: storage paths ↔ keys, the `x-amz-meta-barge-*` fields that
 * carry POSIX attributes, user-metadata encoding, and `Entry` construction from HeadObject/ListObjectsV2.
 *
 * Why POSIX attributes in metadata: S3 has no mtime (LastModified is the upload time), no mode and no
 * owner. Storing them with the object lets a later copy back to POSIX restore them, and lets incremental
 * runs compare the source's mtime with what was recorded instead of with the upload time.
 *
 * Stored fields (all optional; objects written by other tools have none of them):
 *   barge-mtime / barge-atime  ms since the epoch, decimal (may be fractional)
 *   barge-mode                 permission bits, octal ("644")
 *   barge-uid / barge-gid      decimal
 *   barge-checksum             `<algorithm>:<hex>` of the bytes, computed by the writer while uploading
 */
import type { Entry, MetaOptions, ObjectLockState } from '../driver.js';
import { StorageError } from '../errors.js';

/** Prefix of the driver's own metadata fields. Why reserved: user metadata must not be able to spoof a stored mtime or mode. */
export const BARGE_META_PREFIX = 'barge-';
/** Content type of directory markers. Why this one: the S3 console and rclone write and recognise the same "folder" objects. */
export const DIRECTORY_CONTENT_TYPE = 'application/x-directory';

/** POSIX attributes kept in metadata. Why a type of its own: writes, setMeta and copies merge them field by field. */
export interface PosixAttributes {
  mtimeMs?: number;
  atimeMs?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  checksum?: string;
}

/** The fields of `meta` that are set. Why: spreading `{mtimeMs: undefined}` over stored values would erase them. */
export function definedAttrs(meta: MetaOptions): PosixAttributes {
  const out: PosixAttributes = {};
  if (meta.mtimeMs !== undefined) out.mtimeMs = meta.mtimeMs;
  if (meta.atimeMs !== undefined) out.atimeMs = meta.atimeMs;
  if (meta.mode !== undefined) out.mode = meta.mode;
  if (meta.uid !== undefined) out.uid = meta.uid;
  if (meta.gid !== undefined) out.gid = meta.gid;
  return out;
}

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

/** Lower-case HTTP token characters: S3 lower-cases metadata names, so only these round-trip exactly. */
const META_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Values S3 carries unchanged in an HTTP header: printable ASCII without edge spaces or the encoded-word marker. */
const PLAIN_VALUE_RE = /^(?!=\?)[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const ENCODED_RE = /^=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/i;

/**
 * Encode a metadata value for an HTTP header. Non-ASCII (and edge-space, empty) values become an RFC 2047
 * encoded word (`=?UTF-8?B?…?=`), the form AWS itself returns for such values. Why: header values are
 * Latin-1 on the wire; RGW returned "ünïcode" as "Ã¼nÃ¯code" and Node refuses CJK characters outright.
 */
export function encodeMetaValue(value: string): string {
  return PLAIN_VALUE_RE.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Inverse of {@link encodeMetaValue}; values that are not an encoded word are returned unchanged. */
export function decodeMetaValue(value: string): string {
  const m = ENCODED_RE.exec(value);
  return m === null ? value : Buffer.from(m[1] as string, 'base64').toString('utf8');
}

/** Refuse user metadata that cannot round-trip (upper case, non-token names, the reserved prefix). */
export function checkUserMetadata(metadata: Readonly<Record<string, string>>, path: string): void {
  for (const name of Object.keys(metadata)) {
    if (!META_NAME_RE.test(name)) {
      throw new StorageError('invalid_argument', `metadata name ${JSON.stringify(name)} must be lower-case letters, digits or -._~ (S3 lower-cases names)`, { path });
    }
    if (name.startsWith(BARGE_META_PREFIX)) {
      throw new StorageError('invalid_argument', `metadata names starting with ${BARGE_META_PREFIX} are reserved for Barge`, { path });
    }
  }
}

/**
 * The POSIX attributes that are set, as metadata fields named `<prefix>mtime`… Why exported: the
 * Azure driver stores the same fields (under `barge_`), so one encoding serves both object stores.
 */
export function attributeFields(prefix: string, attrs: PosixAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  if (attrs.mtimeMs !== undefined) out[`${prefix}mtime`] = String(attrs.mtimeMs);
  if (attrs.atimeMs !== undefined) out[`${prefix}atime`] = String(attrs.atimeMs);
  if (attrs.mode !== undefined) out[`${prefix}mode`] = attrs.mode.toString(8);
  if (attrs.uid !== undefined) out[`${prefix}uid`] = String(attrs.uid);
  if (attrs.gid !== undefined) out[`${prefix}gid`] = String(attrs.gid);
  if (attrs.checksum !== undefined) out[`${prefix}checksum`] = attrs.checksum;
  return out;
}

/** Build the S3 `Metadata` map: encoded user metadata plus the barge-* attributes that are set. */
export function buildMetadata(user: Readonly<Record<string, string>> | undefined, attrs: PosixAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(user ?? {})) out[k] = encodeMetaValue(v);
  return { ...out, ...attributeFields(BARGE_META_PREFIX, attrs) };
}

function finite(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function nonNegativeInt(text: string | undefined, radix: number): number | undefined {
  if (text === undefined || !(radix === 8 ? /^[0-7]{1,6}$/ : /^\d{1,15}$/).test(text)) return undefined;
  return Number.parseInt(text, radix);
}

/**
 * The POSIX attributes from their metadata fields (names without the prefix). Malformed values
 * (written by hand, say) are ignored rather than trusted.
 */
export function attributesFrom(fields: Readonly<Record<string, string>>): PosixAttributes {
  const mode = nonNegativeInt(fields.mode, 8);
  return {
    mtimeMs: finite(fields.mtime),
    atimeMs: finite(fields.atime),
    mode: mode !== undefined && mode <= 0o7777 ? mode : undefined,
    uid: nonNegativeInt(fields.uid, 10),
    gid: nonNegativeInt(fields.gid, 10),
    checksum: fields.checksum !== undefined && /^[a-z0-9]+:[0-9a-f]+$/.test(fields.checksum) ? fields.checksum : undefined,
  };
}

/**
 * Split a HeadObject `Metadata` map into user metadata (decoded) and POSIX attributes. Malformed barge-*
 * values (written by hand, say) are ignored rather than trusted.
 */
export function parseMetadata(raw: Readonly<Record<string, string>> | undefined): { user: Record<string, string>; attrs: PosixAttributes } {
  const user: Record<string, string> = {};
  const barge: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const name = k.toLowerCase();
    if (name.startsWith(BARGE_META_PREFIX)) barge[name.slice(BARGE_META_PREFIX.length)] = v;
    else user[name] = decodeMetaValue(v);
  }
  const attrs = attributesFrom(barge);
  return { user, attrs };
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
 * An `Entry` from a HeadObject response. mtime: `barge-mtime` when present, else LastModified (upload time).
 * `storageClass` is reported only when the driver declares storage classes (S3 omits the header for STANDARD).
 */
export function entryFromHead(name: string, kind: 'file' | 'dir', head: HeadLike, reportClass: boolean): Entry {
  const { user, attrs } = parseMetadata(head.Metadata);
  return {
    name,
    kind,
    size: kind === 'file' ? head.ContentLength ?? 0 : 0,
    mtimeMs: attrs.mtimeMs ?? head.LastModified?.getTime() ?? 0,
    ...(attrs.atimeMs === undefined ? {} : { atimeMs: attrs.atimeMs }),
    ...(attrs.mode === undefined ? {} : { mode: attrs.mode }),
    ...(attrs.uid === undefined ? {} : { uid: attrs.uid }),
    ...(attrs.gid === undefined ? {} : { gid: attrs.gid }),
    ...(kind === 'file' && reportClass ? { storageClass: head.StorageClass ?? 'STANDARD' } : {}),
    ...(Object.keys(user).length === 0 ? {} : { metadata: Object.freeze(user) }),
    ...(attrs.checksum === undefined ? {} : { checksum: attrs.checksum }),
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
