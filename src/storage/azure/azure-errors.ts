/**
 * Azure Blob error → StorageError mapping.
 *
 * Why a table: the engine decides retry / fail-file / fail-execution from `code` and `retryable` alone, so
 * Azure's error codes (`x-ms-error-code`, or `<Code>` in the XML body) must land on the same small set of
 * storage codes as S3's. The SDK has already retried throttling, 5xx and network errors by the time an
 * error reaches us; `retryable` tells the engine that a later attempt may still succeed.
 */
import type { ServiceErrorMapping, StorageError } from '../errors.js';
import { classifyServiceError } from '../object/service-errors.js';
import type { ServiceErrors } from '../object/service-errors.js';

const AZURE_CODE_MAP: Readonly<Record<string, ServiceErrorMapping>> = {
  BlobNotFound: { code: 'not_found' },
  ResourceNotFound: { code: 'not_found' },
  ContainerNotFound: { code: 'not_found', hint: 'the container does not exist' },
  ContainerBeingDeleted: { code: 'not_found', hint: 'the container is being deleted' },
  BlobAlreadyExists: { code: 'exists' },
  AuthenticationFailed: { code: 'permission_denied', hint: 'the account key does not match the account' },
  AuthorizationFailure: { code: 'permission_denied', hint: 'the account key does not match the account' },
  AuthorizationPermissionMismatch: { code: 'permission_denied' },
  AuthorizationResourceTypeMismatch: { code: 'permission_denied' },
  InsufficientAccountPermissions: { code: 'permission_denied' },
  InvalidAuthenticationInfo: { code: 'permission_denied' },
  AccountIsDisabled: { code: 'permission_denied' },
  BlobImmutableDueToPolicy: { code: 'permission_denied', hint: 'the blob is protected by an immutability policy' },
  CannotVerifyCopySource: { code: 'permission_denied', hint: 'the service could not read the copy source' },
  ServerBusy: { code: 'busy', retryable: true },
  ConditionNotMet: { code: 'busy', retryable: true, hint: 'the blob changed during the operation' },
  LeaseIdMissing: { code: 'busy', retryable: true, hint: 'the blob is leased by another client' },
  LeaseAlreadyPresent: { code: 'busy', retryable: true, hint: 'the blob is leased by another client' },
  InvalidBlockList: { code: 'busy', retryable: true, hint: 'the staged blocks were discarded (another writer committed the blob meanwhile)' },
  InternalError: { code: 'io', retryable: true },
  OperationTimedOut: { code: 'io', retryable: true },
  Md5Mismatch: { code: 'io', retryable: true, hint: 'the bytes were corrupted in transit' },
  Crc64Mismatch: { code: 'io', retryable: true, hint: 'the bytes were corrupted in transit' },
  REQUEST_SEND_ERROR: { code: 'io', retryable: true },
  InvalidBlobTier: { code: 'invalid_argument' },
  InvalidHeaderValue: { code: 'invalid_argument' },
  InvalidMetadata: { code: 'invalid_argument', hint: 'metadata names must be identifiers and values ASCII' },
  InvalidInput: { code: 'invalid_argument' },
  InvalidQueryParameterValue: { code: 'invalid_argument' },
  InvalidBlockId: { code: 'invalid_argument' },
  InvalidRange: { code: 'invalid_argument' },
  OutOfRangeInput: { code: 'invalid_argument' },
  MetadataTooLarge: { code: 'invalid_argument', hint: 'metadata exceeds the service limit (8 KiB)' },
  InvalidResourceName: { code: 'invalid_path' },
  InvalidUri: { code: 'invalid_path' },
  RequestBodyTooLarge: { code: 'too_large' },
  BlockCountExceedsLimit: { code: 'too_large' },
  BlockListTooLong: { code: 'too_large' },
  UnsupportedHeader: { code: 'unsupported' },
  FeatureNotSupported: { code: 'unsupported' },
  BlobArchived: { code: 'unsupported', hint: 'the blob is in the Archive tier: rehydrate it first' },
  BlobBeingRehydrated: { code: 'restoring', retryable: false, hint: 'the blob is being rehydrated from the Archive tier' },
};

/** The Azure error code of an SDK error (`x-ms-error-code`, the body's Code, or the RestError code). */
export function azureErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; details?: { errorCode?: unknown }; response?: { headers?: { get?(name: string): string | undefined } } };
  const header = typeof e.response?.headers?.get === 'function' ? e.response.headers.get('x-ms-error-code') : undefined;
  for (const c of [e.details?.errorCode, header, e.code]) if (typeof c === 'string' && c !== '') return c;
  return undefined;
}

/** HTTP status of an SDK error, if the request reached the service. */
export function azureHttpStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

const AZURE_ERRORS: ServiceErrors = {
  service: 'Azure',
  table: AZURE_CODE_MAP,
  codeOf: azureErrorCode,
  statusOf: azureHttpStatus,
  messageOf: (err) => (err instanceof Error && err.message !== '' ? err.message.split('\n')[0] : undefined),
};

/** Map anything the SDK throws to a StorageError (object/service-errors.ts). */
export function classifyAzureError(err: unknown, path?: string): StorageError {
  return classifyServiceError(err, path, AZURE_ERRORS);
}
