/**
 * S3 error → StorageError mapping.
 *
 * Why a table: the engine decides retry / fail-file / fail-execution from `code` and `retryable` alone, so
 * every S3 error code (AWS's and the S3-compatible services' variants) must land on the same small set of
 * storage codes. The SDK has already retried throttling, 5xx and network errors `maxAttempts` times by the
 * time an error reaches us; `retryable` tells the engine that a later attempt (its own backoff, a new
 * execution) may still succeed.
 */
import type { ServiceErrorMapping, StorageError } from '../errors.js';
import { classifyServiceError } from '../object/service-errors.js';
import type { ServiceErrors } from '../object/service-errors.js';

/** S3 error codes (`err.name` / `<Code>` in the XML body) and their storage codes. */
const S3_CODE_MAP: Readonly<Record<string, ServiceErrorMapping>> = {
  NoSuchKey: { code: 'not_found' },
  NotFound: { code: 'not_found' },
  NoSuchVersion: { code: 'not_found' },
  NoSuchUpload: { code: 'not_found' },
  NoSuchBucket: { code: 'not_found', hint: 'the bucket does not exist' },
  AccessDenied: { code: 'permission_denied' },
  Forbidden: { code: 'permission_denied' },
  AllAccessDisabled: { code: 'permission_denied' },
  AccountProblem: { code: 'permission_denied' },
  InvalidAccessKeyId: { code: 'permission_denied', hint: 'the access key is not known to the service' },
  SignatureDoesNotMatch: { code: 'permission_denied', hint: 'the secret key does not match the access key' },
  InvalidSecurity: { code: 'permission_denied' },
  ExpiredToken: { code: 'permission_denied' },
  InvalidToken: { code: 'permission_denied' },
  SlowDown: { code: 'busy', retryable: true },
  Throttling: { code: 'busy', retryable: true },
  ThrottlingException: { code: 'busy', retryable: true },
  RequestThrottled: { code: 'busy', retryable: true },
  RequestLimitExceeded: { code: 'busy', retryable: true },
  TooManyRequests: { code: 'busy', retryable: true },
  TooManyRequestsException: { code: 'busy', retryable: true },
  ServiceUnavailable: { code: 'busy', retryable: true },
  OperationAborted: { code: 'busy', retryable: true },
  RestoreAlreadyInProgress: { code: 'busy', retryable: true },
  PreconditionFailed: { code: 'busy', retryable: true, hint: 'the object changed during the operation' },
  InternalError: { code: 'io', retryable: true },
  RequestTimeout: { code: 'io', retryable: true },
  RequestTimeoutException: { code: 'io', retryable: true },
  TimeoutError: { code: 'io', retryable: true },
  NetworkingError: { code: 'io', retryable: true },
  BadDigest: { code: 'io', retryable: true, hint: 'the bytes were corrupted in transit' },
  IncompleteBody: { code: 'io', retryable: true },
  XAmzContentSHA256Mismatch: { code: 'io', retryable: true },
  RequestTimeTooSkewed: { code: 'io', retryable: true, hint: 'the clocks of Barge and the service differ too much' },
  InvalidArgument: { code: 'invalid_argument' },
  InvalidRequest: { code: 'invalid_argument' },
  InvalidStorageClass: { code: 'invalid_argument' },
  InvalidRange: { code: 'invalid_argument' },
  InvalidBucketName: { code: 'invalid_argument' },
  InvalidBucketState: { code: 'invalid_argument' },
  InvalidDigest: { code: 'invalid_argument' },
  InvalidPart: { code: 'invalid_argument' },
  InvalidPartOrder: { code: 'invalid_argument' },
  InvalidRetentionPeriod: { code: 'invalid_argument' },
  InvalidTag: { code: 'invalid_argument' },
  MalformedXML: { code: 'invalid_argument' },
  MetadataTooLarge: { code: 'invalid_argument', hint: 'user metadata exceeds the service limit (2 KiB on AWS)' },
  MissingContentLength: { code: 'invalid_argument' },
  EntityTooSmall: { code: 'invalid_argument' },
  ObjectLockConfigurationNotFoundError: { code: 'invalid_argument', hint: 'the bucket has no Object Lock configuration' },
  KeyTooLongError: { code: 'invalid_path', hint: 'the key exceeds 1024 bytes' },
  EntityTooLarge: { code: 'too_large' },
  MaxMessageLengthExceeded: { code: 'too_large' },
  QuotaExceeded: { code: 'no_space' },
  InsufficientStorage: { code: 'no_space' },
  NotImplemented: { code: 'unsupported' },
  MethodNotAllowed: { code: 'unsupported' },
  InvalidObjectState: { code: 'unsupported', hint: 'the object is archived in a cold storage class: restore it first' },
};

/**
 * The S3 error code of an SDK error (`Code` from the body, or the exception `name`), if any. Why exported:
 * the driver tolerates a few codes (a missing key on HEAD, an upload already aborted) instead of failing.
 */
export function s3ErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== '') return e.name;
  return undefined;
}

/** HTTP status of an SDK error, if the request reached the service. Why: some services answer 404/416 with no code. */
export function s3HttpStatus(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

const S3_ERRORS: ServiceErrors = {
  service: 'S3',
  table: S3_CODE_MAP,
  codeOf: s3ErrorCode,
  statusOf: s3HttpStatus,
  messageOf: (err) => (err instanceof Error && err.message !== '' && err.message !== 'UnknownError' ? err.message : undefined),
};

/** Map anything thrown by the SDK to a StorageError (object/service-errors.ts). */
export function classifyS3Error(err: unknown, path?: string): StorageError {
  return classifyServiceError(err, path, S3_ERRORS);
}
