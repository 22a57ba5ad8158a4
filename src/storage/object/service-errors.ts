/**
 * The one way an object-store driver turns what its SDK throws into a StorageError.
 *
 * Why shared: the engine decides retry / fail-file / fail-execution from `code` and `retryable` alone, so
 * each service's error codes (looked up in the driver's table), the HTTP status fallback
 * (errors.ts `mappingForHttpStatus`) and everything else (aborts, network errno codes) must be read in
 * the same order, and the message must be built the same way, whatever the service.
 */
import { StorageError, isAbortError, mappingForHttpStatus, toStorageError } from '../errors.js';
import type { ServiceErrorMapping } from '../errors.js';

/** How to read one service's errors. */
export interface ServiceErrors {
  /** Service name in messages ("S3", "Azure"). */
  readonly service: string;
  /** Service error code → storage mapping. */
  readonly table: Readonly<Record<string, ServiceErrorMapping>>;
  /** The service error code of an SDK error, if any. */
  codeOf(err: unknown): string | undefined;
  /** The HTTP status of an SDK error, if the request reached the service. */
  statusOf(err: unknown): number | undefined;
  /** The server's message worth showing, if any. */
  messageOf(err: unknown): string | undefined;
}

/**
 * Map anything thrown by an SDK (service errors, network errors, aborts) to a StorageError. A StorageError
 * passes through unchanged; errors without a service code or status (ECONNRESET, ENOTFOUND…) go through
 * the shared errno table, whose default is a retryable `io`. The message names the code and status:
 * `S3 NoSuchBucket, HTTP 404: the bucket does not exist`.
 */
export function classifyServiceError(err: unknown, path: string | undefined, errors: ServiceErrors): StorageError {
  if (err instanceof StorageError) return err;
  if (isAbortError(err)) return new StorageError('aborted', 'operation aborted', { path, cause: err });
  const code = errors.codeOf(err);
  const status = errors.statusOf(err);
  const mapped = (code === undefined ? undefined : errors.table[code]) ?? (status === undefined ? undefined : mappingForHttpStatus(status));
  if (mapped === undefined) return toStorageError(err, path);
  const detail = mapped.hint ?? errors.messageOf(err) ?? 'request failed';
  const label = [code, status === undefined ? undefined : `HTTP ${status}`].filter((x) => x !== undefined).join(', ');
  return new StorageError(mapped.code, `${errors.service} ${label}: ${detail}`, { path, cause: err, sysCode: code, retryable: mapped.retryable });
}
