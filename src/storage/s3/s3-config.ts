/**
 * Configuration of the S3 driver: validation of the untrusted config row and construction of the SDK client.
 *
 * Why a module of its own: the config is operator input (a storage row, a cloud connector) and carries a
 * secret; validating it in one place, with messages that never echo the secret, keeps the driver free of
 * config concerns and makes the rules testable without a server.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigReader } from '../object/config-reader.js';

/** Smallest part S3 accepts (except the last). Why a constant: it bounds `partSize` and copy parts. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
/** Largest part S3 accepts. Why: multipart copies of huge objects raise their part size up to it. */
export const S3_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** Largest object a single CopyObject may copy (S3 limit); above it the driver copies by parts. */
export const S3_MAX_COPY_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;
/** Most parts a multipart upload may have. Why: the copy part size grows so that `size / part ≤ 10,000`. */
export const S3_MAX_PARTS = 10_000;

/** Object Lock retention mode. GOVERNANCE can be lifted by privileged users; COMPLIANCE by nobody. */
export type S3LockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** Configuration accepted by `createDriver('s3', config)`. Every field is validated by {@link parseS3Config}. */
export interface S3DriverConfig {
  /** Service URL, e.g. `http://127.0.0.1:7480` (RGW) or `https://s3.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  /** Signing region (default `us-east-1`, which RGW and most S3-compatible services accept). */
  readonly region?: string;
  readonly accessKeyId: string;
  /** Never logged nor echoed in errors; only handed to the SDK's credential provider. */
  readonly secretAccessKey: string;
  /** Temporary-credential token (STS), when the keys are temporary. */
  readonly sessionToken?: string;
  readonly bucket: string;
  /** Path-style URLs (`endpoint/bucket/key`), default true: what RGW, MinIO and most on-premise services need. */
  readonly forcePathStyle?: boolean;
  /** Key prefix acting as the storage root (`'projects/a'` → keys `projects/a/...`). Default: the whole bucket. */
  readonly prefix?: string;
  /** Multipart part size in bytes (default 16 MiB, S3 minimum 5 MiB); objects up to it go up as one PutObject. */
  readonly partSize?: number;
  /** Parts uploaded in parallel per writer (default 4). Memory per writer is about (queueSize + 1) × partSize. */
  readonly queueSize?: number;
  /** Attempts per request, including the first (default 5): the SDK's standard retry mode backs off on throttling, 5xx and network errors. */
  readonly maxAttempts?: number;
  /** Storage classes `openWrite({storageClass})` accepts (default STANDARD, STANDARD_IA, GLACIER). */
  readonly storageClasses?: readonly string[];
  /** The bucket has Object Lock enabled: declare `objectLock` and honour `retainUntilMs`/`legalHold` (default false). */
  readonly objectLock?: boolean;
  /** Retention mode used when a write does not give `lockMode` (default GOVERNANCE: COMPLIANCE cannot be undone). */
  readonly lockMode?: S3LockMode;
  /** The service archives cold classes (AWS GLACIER/DEEP_ARCHIVE): declare `restoreFromCold` (default false). */
  readonly restoreFromCold?: boolean;
  /** Retrieval tier of `restore()` (default Standard). */
  readonly restoreTier?: 'Standard' | 'Bulk' | 'Expedited';
  /** Keys per ListObjectsV2 page (default 1000, the S3 maximum). Smaller pages bound memory further. */
  readonly listPageSize?: number;
  /**
   * `list()` issues one HeadObject per entry (default true) so listed entries carry the stored mtime, mode,
   * uid, gid and checksum exactly like `stat()`. Without it, listings are one request per page, but files
   * report LastModified (upload time) and no mode/uid/gid: incremental runs then compare upload times.
   */
  readonly listMetadata?: boolean;
  /** HeadObject calls in flight per listing (default 16). */
  readonly statConcurrency?: number;
  /** Objects above this size are copied with UploadPartCopy instead of CopyObject (default and maximum 5 GiB). */
  readonly multipartCopyThreshold?: number;
  /** Part size of multipart copies (default 512 MiB; raised automatically to stay within 10,000 parts). */
  readonly copyPartSize?: number;
}

/** A validated config with every default applied. The secret stays in the client; see {@link createS3Client}. */
export interface S3Settings {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  /** '' or a key prefix ending in '/'. */
  readonly keyPrefix: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly maxAttempts: number;
  readonly storageClasses: readonly string[];
  readonly objectLock: boolean;
  readonly lockMode: S3LockMode;
  readonly restoreFromCold: boolean;
  readonly restoreTier: 'Standard' | 'Bulk' | 'Expedited';
  readonly listPageSize: number;
  readonly listMetadata: boolean;
  readonly statConcurrency: number;
  readonly multipartCopyThreshold: number;
  readonly copyPartSize: number;
}

const DEFAULTS = {
  region: 'us-east-1',
  forcePathStyle: true,
  partSize: 16 * 1024 * 1024,
  queueSize: 4,
  maxAttempts: 5,
  storageClasses: ['STANDARD', 'STANDARD_IA', 'GLACIER'] as readonly string[],
  lockMode: 'GOVERNANCE' as S3LockMode,
  restoreTier: 'Standard' as const,
  listPageSize: 1000,
  statConcurrency: 16,
  copyPartSize: 512 * 1024 * 1024,
};

const KNOWN_KEYS = new Set([
  'endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'bucket', 'forcePathStyle', 'prefix', 'partSize',
  'queueSize', 'maxAttempts', 'storageClasses', 'objectLock', 'lockMode', 'restoreFromCold', 'restoreTier', 'listPageSize',
  'listMetadata', 'statConcurrency', 'multipartCopyThreshold', 'copyPartSize',
]);

/** S3 bucket naming rules (3–63 chars, lowercase letters, digits, dots, hyphens; no IP-address form). */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Validate an untrusted config; throws `invalid_argument` listing every problem (object/config-reader.ts:
 * unknown keys refused, credentials never quoted).
 */
export function parseS3Config(config: unknown): { settings: S3Settings; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  const r = new ConfigReader('s3', config, KNOWN_KEYS);
  const endpoint = r.endpoint();
  const region = r.str('region', false) ?? DEFAULTS.region;
  const accessKeyId = r.str('accessKeyId');
  const secretAccessKey = r.str('secretAccessKey');
  const sessionToken = r.str('sessionToken', false);
  const bucket = r.str('bucket');
  if (bucket !== undefined && (!BUCKET_RE.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket))) {
    r.problem('bucket must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)');
  }
  const keyPrefix = r.keyPrefix();
  const storageClasses = r.distinctList('storageClasses', DEFAULTS.storageClasses, (s) => typeof s === 'string' && /^[A-Z][A-Z0-9_]*$/.test(s),
    'storageClasses must be a list of distinct upper-case S3 storage class names');
  const lockMode = r.oneOf<S3LockMode>('lockMode', DEFAULTS.lockMode, ['GOVERNANCE', 'COMPLIANCE'], 'lockMode must be GOVERNANCE or COMPLIANCE');
  const restoreTier = r.oneOf<S3Settings['restoreTier']>('restoreTier', DEFAULTS.restoreTier, ['Standard', 'Bulk', 'Expedited'], 'restoreTier must be Standard, Bulk or Expedited');
  const settings: S3Settings = {
    endpoint: endpoint ?? '',
    region,
    bucket: bucket ?? '',
    forcePathStyle: r.bool('forcePathStyle', DEFAULTS.forcePathStyle),
    keyPrefix,
    partSize: r.int('partSize', DEFAULTS.partSize, S3_MIN_PART_BYTES, S3_MAX_PART_BYTES),
    queueSize: r.int('queueSize', DEFAULTS.queueSize, 1, 64),
    maxAttempts: r.int('maxAttempts', DEFAULTS.maxAttempts, 1, 20),
    storageClasses,
    objectLock: r.bool('objectLock', false),
    lockMode,
    restoreFromCold: r.bool('restoreFromCold', false),
    restoreTier,
    listPageSize: r.int('listPageSize', DEFAULTS.listPageSize, 1, 1000),
    listMetadata: r.bool('listMetadata', true),
    statConcurrency: r.int('statConcurrency', DEFAULTS.statConcurrency, 1, 256),
    multipartCopyThreshold: r.int('multipartCopyThreshold', S3_MAX_COPY_OBJECT_BYTES, S3_MIN_PART_BYTES, S3_MAX_COPY_OBJECT_BYTES),
    copyPartSize: r.int('copyPartSize', DEFAULTS.copyPartSize, S3_MIN_PART_BYTES, S3_MAX_PART_BYTES),
  };
  r.finish();
  return {
    settings: Object.freeze(settings),
    credentials: { accessKeyId: accessKeyId as string, secretAccessKey: secretAccessKey as string, ...(sessionToken === undefined ? {} : { sessionToken }) },
  };
}

/**
 * Build the SDK client. Why these settings:
 * - `requestChecksumCalculation/responseChecksumValidation: 'WHEN_REQUIRED'`: third-party S3 services differ
 *   in their support of the SDK's default CRC32 trailers; the driver must not depend on them (stack notes §6).
 * - `retryMode: 'standard'` with `maxAttempts`: exponential backoff with jitter on throttling (SlowDown,
 *   503), 5xx and transient network errors. Bodies are Buffers, so every request can be replayed.
 * - keep-alive agents and bounded timeouts: a connection attempt gives up after 10 s, a stalled socket
 *   after 5 min (long enough for a slow consumer applying backpressure to a download).
 */
export function createS3Client(settings: S3Settings, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): S3Client {
  const agent = { keepAlive: true, maxSockets: 64 };
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials,
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 300_000, httpAgent: agent, httpsAgent: agent },
  });
}
