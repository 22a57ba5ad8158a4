/**
 * Blob metadata of the Azure driver: the `barge_*` fields that carry POSIX attributes and the recorded
 * checksum (the same fields the S3 driver keeps in `x-amz-meta-barge-*`, so a copy S3 → Azure → POSIX
 * restores what the first copy recorded), user metadata, and `Entry` construction from blob properties.
 *
 * Stored fields (all optional; blobs written by other tools have none of them):
 *   barge_mtime / barge_atime  ms since the epoch, decimal (may be fractional)
 *   barge_mode                 permission bits, octal ("644")
 *   barge_uid / barge_gid      decimal
 *   barge_checksum             `<algorithm>:<hex>` of the bytes, computed by the writer while uploading
 * Why underscores (S3 uses `barge-`): Azure metadata names must be C# identifiers.
 */
import type { Entry } from '../driver.js';
import { StorageError } from '../errors.js';
import type { PosixAttributes } from '../s3/s3-meta.js';
import { attributeFields, attributesFrom, checkUserMetadata, decodeMetaValue, encodeMetaValue } from '../s3/s3-meta.js';
import { decodeMetaName, encodeMetaName } from './azure-names.js';

/** Prefix of the driver's own metadata fields; user metadata may not use it. */
export const AZURE_META_PREFIX = 'barge_';
/** Content type of directory markers (`dir/` blobs), as the S3 driver and the usual tools write them. */
export const DIRECTORY_CONTENT_TYPE = 'application/x-directory';
export const OCTET_STREAM = 'application/octet-stream';

export type { PosixAttributes };

/**
 * Refuse user metadata that cannot round-trip: the S3 rule (lower-case HTTP token names, not `barge-`),
 * plus Azure's own reserved prefix. Why the S3 rule: a task's metadata must work on both object stores.
 */
export function checkAzureUserMetadata(metadata: Readonly<Record<string, string>>, path: string): void {
  checkUserMetadata(metadata, path);
  for (const name of Object.keys(metadata)) {
    if (name.startsWith(AZURE_META_PREFIX)) {
      throw new StorageError('invalid_argument', `metadata names starting with ${AZURE_META_PREFIX} are reserved for Barge`, { path });
    }
  }
}

/** The Azure metadata map: encoded user metadata plus the barge_* attributes that are set. */
export function buildAzureMetadata(user: Readonly<Record<string, string>> | undefined, attrs: PosixAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(user ?? {})) out[encodeMetaName(k)] = encodeMetaValue(v);
  return { ...out, ...attributeFields(AZURE_META_PREFIX, attrs) };
}

/** Split blob metadata into user metadata (decoded) and POSIX attributes; malformed barge_* values are ignored. */
export function parseAzureMetadata(raw: Readonly<Record<string, string>> | undefined): { user: Record<string, string>; attrs: PosixAttributes } {
  const user: Record<string, string> = {};
  const barge: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const name = k.toLowerCase();
    if (name.startsWith(AZURE_META_PREFIX)) barge[name.slice(AZURE_META_PREFIX.length)] = v;
    else user[decodeMetaName(k)] = decodeMetaValue(v);
  }
  return { user, attrs: attributesFrom(barge) };
}

/** What the driver reads of a blob (from Get Blob Properties or a listing). Why structural: both sources, and test stubs, build it. */
export interface BlobInfo {
  readonly size: number;
  readonly lastModified: Date | undefined;
  readonly metadata: Record<string, string> | undefined;
  /** Access tier (Hot, Cool, Cold, Archive), inferred or explicit. */
  readonly tier: string | undefined;
  /** `rehydrate-pending-to-hot`… while an archived blob is being rehydrated. */
  readonly archiveStatus: string | undefined;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
}

/**
 * An `Entry` from blob properties. mtime: `barge_mtime` when present, else the blob's Last-Modified (its
 * upload). `storageClass` is the access tier, reported when the driver declares storage classes.
 */
export function entryFromBlob(name: string, kind: 'file' | 'dir', info: BlobInfo, reportTier: boolean): Entry {
  const { user, attrs } = parseAzureMetadata(info.metadata);
  return {
    name,
    kind,
    size: kind === 'file' ? info.size : 0,
    mtimeMs: attrs.mtimeMs ?? info.lastModified?.getTime() ?? 0,
    ...(attrs.atimeMs === undefined ? {} : { atimeMs: attrs.atimeMs }),
    ...(attrs.mode === undefined ? {} : { mode: attrs.mode }),
    ...(attrs.uid === undefined ? {} : { uid: attrs.uid }),
    ...(attrs.gid === undefined ? {} : { gid: attrs.gid }),
    ...(kind === 'file' && reportTier ? { storageClass: info.tier ?? 'Hot' } : {}),
    ...(Object.keys(user).length === 0 ? {} : { metadata: Object.freeze(user) }),
    ...(attrs.checksum === undefined ? {} : { checksum: attrs.checksum }),
  };
}

/** The access tier whose blobs must be rehydrated before they can be read. */
export const ARCHIVE_TIER = 'Archive';

/**
 * State of a blob for `restore()`: `available` when it is not archived, `restoring` while a rehydration
 * runs (`archiveStatus` rehydrate-pending-to-…), `archived` when nothing has been asked yet. Why a pure
 * function: the service's answers (Azurite rehydrates at once, Azure takes hours) are tested without it.
 */
export function rehydrationState(info: Pick<BlobInfo, 'tier' | 'archiveStatus'>): 'available' | 'restoring' | 'archived' {
  if (info.archiveStatus !== undefined && info.archiveStatus.startsWith('rehydrate-pending')) return 'restoring';
  return info.tier === ARCHIVE_TIER ? 'archived' : 'available';
}
