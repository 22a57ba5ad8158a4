/**
 * The metadata both object-store drivers (s3, azure) keep with an object: the POSIX attributes and the
 * recorded checksum, user metadata encoded so that it survives an HTTP header, and `Entry` construction.
 *
 * Why one encoding: S3 (`x-amz-meta-barge-*`) and Azure (`barge_*`) store the same fields under their own
 * prefix, so a copy S3 → Azure → POSIX restores what the first copy recorded, and the two drivers cannot
 * drift apart in what they accept or report.
 *
 * Stored fields, named `<prefix><field>` (all optional; objects written by other tools have none of them):
 *   mtime / atime  ms since the epoch, decimal (may be fractional)
 *   mode           permission bits, octal ("644")
 *   uid / gid      decimal
 *   checksum       `<algorithm>:<hex>` of the bytes, computed by the writer while uploading
 */
import type { Entry, MetaOptions } from '../driver.js';
import { StorageError } from '../errors.js';

/** Prefix of Barge's own fields on S3. Why reserved on every store: user metadata must not spoof a stored mtime or mode. */
export const BARGE_META_PREFIX = 'barge-';
/** Content type of directory markers. Why this one: the S3 console, Azure tools and rclone recognise such "folder" objects. */
export const DIRECTORY_CONTENT_TYPE = 'application/x-directory';
/** The body of a directory marker (`dir/`): nothing. */
export const MARKER_BODY = Buffer.alloc(0);
/** Content type of file objects (and of temporary ones). */
export const OCTET_STREAM = 'application/octet-stream';

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

/** Lower-case HTTP token characters: S3 lower-cases metadata names, so only these round-trip exactly. */
const META_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Values carried unchanged in an HTTP header: printable ASCII without edge spaces or the encoded-word marker. */
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

/**
 * Refuse user metadata that cannot round-trip (upper case, non-token names, the reserved prefix). Why the
 * S3 rule on every object store: a task's metadata must work on all of them.
 */
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

/** The POSIX attributes that are set, as metadata fields named `<prefix>mtime`… */
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

/** User metadata and POSIX attributes of one object, as read back. */
export interface ParsedMetadata {
  readonly user: Record<string, string>;
  readonly attrs: PosixAttributes;
}

/**
 * The stored metadata map: user metadata (values encoded, names through `encodeName`) plus the attributes
 * that are set, under `prefix`.
 */
export function joinMetadata(user: Readonly<Record<string, string>> | undefined, attrs: PosixAttributes, prefix: string,
  encodeName: (name: string) => string = (n) => n): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(user ?? {})) out[encodeName(k)] = encodeMetaValue(v);
  return { ...out, ...attributeFields(prefix, attrs) };
}

/**
 * Split a stored metadata map into user metadata (decoded; names through `decodeName`, which gets the
 * stored name and its lower-case form) and the attributes under `prefix` (matched case-insensitively).
 */
export function splitMetadata(raw: Readonly<Record<string, string>> | undefined, prefix: string,
  decodeName: (stored: string, lower: string) => string = (_, lower) => lower): ParsedMetadata {
  const user: Record<string, string> = {};
  const barge: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const name = k.toLowerCase();
    if (name.startsWith(prefix)) barge[name.slice(prefix.length)] = v;
    else user[decodeName(k, name)] = decodeMetaValue(v);
  }
  return { user, attrs: attributesFrom(barge) };
}

/** What an entry is built from, whichever store reported it. */
export interface StoredObject {
  readonly size: number;
  readonly lastModified: Date | undefined;
  readonly meta: ParsedMetadata;
  /** The storage class (tier) to report; undefined when the driver reports none. */
  readonly storageClass?: string | undefined;
}

/**
 * An `Entry` of an object or a directory marker. mtime: the recorded one when present, else the object's
 * Last-Modified (its upload). Why shared: `stat` and `list` of both stores must report the same fields the
 * same way, or an incremental run comparing S3 with Azure would see differences that are not there.
 */
export function objectEntry(name: string, kind: 'file' | 'dir', o: StoredObject): Entry {
  const { user, attrs } = o.meta;
  return {
    name,
    kind,
    size: kind === 'file' ? o.size : 0,
    mtimeMs: attrs.mtimeMs ?? o.lastModified?.getTime() ?? 0,
    ...(attrs.atimeMs === undefined ? {} : { atimeMs: attrs.atimeMs }),
    ...(attrs.mode === undefined ? {} : { mode: attrs.mode }),
    ...(attrs.uid === undefined ? {} : { uid: attrs.uid }),
    ...(attrs.gid === undefined ? {} : { gid: attrs.gid }),
    ...(kind === 'file' && o.storageClass !== undefined ? { storageClass: o.storageClass } : {}),
    ...(Object.keys(user).length === 0 ? {} : { metadata: Object.freeze(user) }),
    ...(attrs.checksum === undefined ? {} : { checksum: attrs.checksum }),
  };
}
