/**
 * Typed storage errors.
 *
 * Why: the engine decides between "retry this file", "fail this file" and "fail the whole execution" from
 * an error alone, and the API shows users a stable reason. Both need a small closed set of codes that mean
 * the same thing for every driver (posix errno, S3 error codes, tape sense keys), plus a `retryable` flag
 * so retry policy does not have to know each backend's error vocabulary.
 */

/** Stable, driver-independent error codes. Values are part of the public contract: never rename one. */
export type StorageErrorCode =
  | 'not_found'
  | 'exists'
  | 'permission_denied'
  | 'read_only'
  | 'no_space'
  | 'too_large'
  | 'path_escape'
  | 'invalid_path'
  | 'invalid_argument'
  | 'not_a_directory'
  | 'is_a_directory'
  | 'not_empty'
  | 'size_mismatch'
  | 'checksum_mismatch'
  | 'unsupported'
  | 'busy'
  | 'aborted'
  | 'closed'
  | 'restoring'
  /** Not the storage's: a task's callback script failed on this entry (engine/callbacks); the ledger's error class. */
  | 'callback'
  | 'io';

/**
 * Codes that are worth retrying when nothing else is known: the condition is usually transient (a busy
 * device, file-descriptor exhaustion, a flaky network filesystem, a source that changed under the copy).
 * Why a table: a `StorageError` built without an explicit `retryable` gets a sane default.
 */
const RETRYABLE_BY_DEFAULT: ReadonlySet<StorageErrorCode> = new Set<StorageErrorCode>(['busy', 'io', 'size_mismatch', 'checksum_mismatch']);

/** Options for {@link StorageError}; `retryable` defaults per code (see RETRYABLE_BY_DEFAULT). */
export interface StorageErrorOptions {
  readonly retryable?: boolean;
  /** The storage-relative path the operation was about, for logs and ledger rows. */
  readonly path?: string;
  /** The underlying error (an errno error, an SDK error…), kept for diagnostics. */
  readonly cause?: unknown;
  /** The backend's own code (`ENOSPC`, `SlowDown`…), kept for diagnostics only: never branch on it. */
  readonly sysCode?: string;
}

/**
 * The only error type drivers throw (or emit on their streams, see {@link toStorageError}).
 * Why a class with `code`: callers branch on `err.code`, never on message text or on the driver kind.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly retryable: boolean;
  readonly path: string | undefined;
  readonly sysCode: string | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.path = options.path;
    this.sysCode = options.sysCode;
  }
}

/** Type guard, optionally narrowed to one code. Why: `catch (e)` gives `unknown`; this keeps call sites short. */
export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

interface ErrnoMapping {
  readonly code: StorageErrorCode;
  readonly retryable?: boolean;
}

/**
 * errno → storage code. Why these choices:
 * - EPERM and EACCES are both "you may not" for the user; we do not distinguish them.
 * - EDQUOT is a full quota: same remedy as a full disk.
 * - EMFILE/ENFILE/EAGAIN/EBUSY/EINTR are pressure or contention and go away by themselves: retryable.
 * - EIO/ETIMEDOUT/ESTALE/ECONNRESET mostly come from network filesystems (NFS, SMB, FUSE) and often succeed
 *   on a bounded retry; a real media error fails again and the retry budget ends it.
 * - ELOOP is what O_NOFOLLOW returns when the last component is a symlink, i.e. a path we refused to follow.
 */
const ERRNO_MAP: Readonly<Record<string, ErrnoMapping>> = {
  ENOENT: { code: 'not_found' },
  EEXIST: { code: 'exists' },
  EACCES: { code: 'permission_denied' },
  EPERM: { code: 'permission_denied' },
  EROFS: { code: 'read_only' },
  ENOSPC: { code: 'no_space' },
  EDQUOT: { code: 'no_space' },
  EFBIG: { code: 'too_large' },
  ENOTDIR: { code: 'not_a_directory' },
  EISDIR: { code: 'is_a_directory' },
  ENOTEMPTY: { code: 'not_empty' },
  ENAMETOOLONG: { code: 'invalid_path' },
  ELOOP: { code: 'invalid_path' },
  EINVAL: { code: 'invalid_argument' },
  EXDEV: { code: 'unsupported' },
  ENOTSUP: { code: 'unsupported' },
  EOPNOTSUPP: { code: 'unsupported' },
  ENOSYS: { code: 'unsupported' },
  EMFILE: { code: 'busy', retryable: true },
  ENFILE: { code: 'busy', retryable: true },
  EAGAIN: { code: 'busy', retryable: true },
  EWOULDBLOCK: { code: 'busy', retryable: true },
  EBUSY: { code: 'busy', retryable: true },
  ETXTBSY: { code: 'busy', retryable: true },
  EINTR: { code: 'busy', retryable: true },
  ENOMEM: { code: 'busy', retryable: true },
  EIO: { code: 'io', retryable: true },
  ETIMEDOUT: { code: 'io', retryable: true },
  ESTALE: { code: 'io', retryable: true },
  ECONNRESET: { code: 'io', retryable: true },
  EPIPE: { code: 'io', retryable: true },
};

function errnoCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errors `AbortSignal`-aware Node APIs throw. */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}

/**
 * Map a Node fs/errno error to a {@link StorageError}.
 * Why a function rather than inline mapping: every driver over a filesystem (posix, NFS-backed vtape) and
 * every stream error handler needs the same table, and tests can pin it once.
 * Unknown errno values become `io` (retryable: a bounded retry of an unexplained error is cheap, and a
 * persistent one fails again). A StorageError passes through unchanged.
 */
export function classifyFsError(err: unknown, path?: string): StorageError {
  if (err instanceof StorageError) return err;
  if (isAbortError(err)) return new StorageError('aborted', 'operation aborted', { path, cause: err });
  const sys = errnoCodeOf(err);
  const mapped = sys === undefined ? undefined : ERRNO_MAP[sys];
  const detail = err instanceof Error ? err.message : String(err);
  if (mapped !== undefined) {
    return new StorageError(mapped.code, detail, { path, cause: err, sysCode: sys, retryable: mapped.retryable });
  }
  return new StorageError('io', detail, { path, cause: err, sysCode: sys });
}

/**
 * Normalize anything caught around a driver call (including errors emitted by the Readable/Writable streams
 * a driver hands out, which may surface raw through `pipeline`) into a StorageError.
 * Why: the engine's retry and ledger code then handles exactly one error type.
 */
export function toStorageError(err: unknown, path?: string): StorageError {
  return classifyFsError(err, path);
}

/** The error every driver throws when an AbortSignal fired. Why shared: callers test `code === 'aborted'`. */
export function abortedError(signal: AbortSignal | undefined, path?: string): StorageError {
  return new StorageError('aborted', 'operation aborted', { path, cause: signal?.reason });
}

/** Throw {@link abortedError} if the signal already fired. Why: one line at every await boundary. */
export function throwIfAborted(signal: AbortSignal | undefined, path?: string): void {
  if (signal?.aborted === true) throw abortedError(signal, path);
}

/** How a service's error maps to a storage error (object-store drivers keep a table of these by service code). */
export interface ServiceErrorMapping {
  readonly code: StorageErrorCode;
  readonly retryable?: boolean;
  /** Replaces the server's message (often empty, or full of request ids). */
  readonly hint?: string;
}

/**
 * The HTTP status fallback for service codes a driver's table does not know. Why shared: every
 * HTTP-speaking backend (S3-compatible services invent their own codes, Azure adds some) means the
 * same thing by a status, and one reading keeps retries and error classes alike across drivers.
 */
export function mappingForHttpStatus(status: number): ServiceErrorMapping | undefined {
  if (status === 400) return { code: 'invalid_argument' };
  if (status === 401 || status === 403) return { code: 'permission_denied' };
  if (status === 404) return { code: 'not_found' };
  if (status === 405 || status === 501) return { code: 'unsupported' };
  if (status === 409 || status === 412 || status === 429 || status === 503) return { code: 'busy', retryable: true };
  if (status === 413) return { code: 'too_large' };
  if (status === 416) return { code: 'invalid_argument' };
  if (status === 507) return { code: 'no_space' };
  if (status >= 500) return { code: 'io', retryable: true };
  return undefined;
}
