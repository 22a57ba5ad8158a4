/**
 * Blob metadata of the Azure driver: the `barge_*` fields that carry POSIX attributes and the recorded
 * checksum (encoded as object-meta.ts says: the same fields the S3 driver keeps in `x-amz-meta-barge-*`,
 * so a copy S3 → Azure → POSIX restores what the first copy recorded), user metadata, rehydration state,
 * and `Entry` construction from blob properties.
 * Why underscores (S3 uses `barge-`): Azure metadata names must be C# identifiers.
 */
import type { Entry } from '../driver.js';
import { StorageError } from '../errors.js';
import { checkUserMetadata, joinMetadata, objectEntry, splitMetadata } from '../object/object-meta.js';
import type { ParsedMetadata, PosixAttributes } from '../object/object-meta.js';
import { decodeMetaName, encodeMetaName } from './azure-names.js';

/** Prefix of the driver's own metadata fields; user metadata may not use it. */
export const AZURE_META_PREFIX = 'barge_';

/**
 * Refuse user metadata that cannot round-trip: the shared rule (lower-case HTTP token names, not `barge-`),
 * plus Azure's own reserved prefix.
 */
export function checkAzureUserMetadata(metadata: Readonly<Record<string, string>>, path: string): void {
  checkUserMetadata(metadata, path);
  for (const name of Object.keys(metadata)) {
    if (name.startsWith(AZURE_META_PREFIX)) {
      throw new StorageError('invalid_argument', `metadata names starting with ${AZURE_META_PREFIX} are reserved for Barge`, { path });
    }
  }
}

/** The Azure metadata map: encoded user metadata (names made identifiers) plus the barge_* attributes that are set. */
export function buildAzureMetadata(user: Readonly<Record<string, string>> | undefined, attrs: PosixAttributes): Record<string, string> {
  return joinMetadata(user, attrs, AZURE_META_PREFIX, encodeMetaName);
}

/** Split blob metadata into user metadata (decoded) and POSIX attributes; malformed barge_* values are ignored. */
export function parseAzureMetadata(raw: Readonly<Record<string, string>> | undefined): ParsedMetadata {
  return splitMetadata(raw, AZURE_META_PREFIX, (stored) => decodeMetaName(stored));
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
  return objectEntry(name, kind, {
    size: info.size, lastModified: info.lastModified, meta: parseAzureMetadata(info.metadata), storageClass: reportTier ? info.tier ?? 'Hot' : undefined,
  });
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
