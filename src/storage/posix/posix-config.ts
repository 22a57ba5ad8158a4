/**
 * Configuration of the posix driver (what an operator or the engine gives it, validated here) and its
 * declared features. Why a module of its own: the driver file stays about the contract's operations.
 */
import type { DriverFeatures } from '../driver.js';
import { StorageError } from '../errors.js';
import type { CopyPool } from './copy-pool.js';
import { isValidId, type FsCredentials } from './fs-credentials.js';

/** Configuration of the posix driver. */
export interface PosixDriverConfig {
  /** Absolute path of the storage root; must exist and be a directory. */
  readonly root: string;
  /**
   * fsync file and directory on commit (default true). Why configurable: scratch storages and benchmarks
   * may trade durability for speed; production destinations must keep it (data-safety rule 1).
   */
  readonly fsync?: boolean;
  /** Parallel lstat calls per listing (default 64). */
  readonly statConcurrency?: number;
  /**
   * Run every path operation as this user and group (`options.context_uid`/`context_gid`): on a thread
   * whose file-system ids are theirs, and posix → posix copies in a copy pool of theirs
   * (credentialed-fs.ts). Set by the engine for an execution, never by a storage's own config.
   */
  readonly context?: FsCredentials;
}

/** What the composition root gives every posix driver (not part of the untrusted storage config). */
export interface PosixDriverDeps {
  /** Worker threads for `transferTo` between posix roots; default: the process-wide shared pool. */
  readonly copyPool?: CopyPool;
  /** Copy workers of a context's own pool, when the config has a context (default 2). */
  readonly contextCopyWorkers?: number;
}

/** Features of the posix driver; `setOwnership` depends on running as root. */
export function posixFeatures(isRoot: boolean): DriverFeatures {
  return Object.freeze({
    rangeRead: true,
    serverSideCopy: true,
    rename: true,
    nativeChecksums: Object.freeze([]),
    storageClasses: Object.freeze([]),
    objectLock: false,
    restoreFromCold: false,
    restoreExpires: false,
    sequentialOnly: false,
    setOwnership: isRoot,
    permissions: true,
    symlinks: true,
    userMetadata: false,
    directories: true,
    mtimePrecisionMs: 1,
    attributesAsMetadata: false,
    noReplace: true,
  });
}

/** Validate an untrusted config. Why here: the registry passes whatever the operator configured. */
export function parsePosixConfig(config: unknown): PosixDriverConfig {
  if (typeof config !== 'object' || config === null) throw new StorageError('invalid_argument', 'posix driver config must be an object');
  const { root, fsync, statConcurrency, context } = config as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof root !== 'string' || !root.startsWith('/')) problems.push('root must be an absolute path');
  if (fsync !== undefined && typeof fsync !== 'boolean') problems.push('fsync must be a boolean');
  if (statConcurrency !== undefined && (typeof statConcurrency !== 'number' || !Number.isInteger(statConcurrency) || statConcurrency < 1)) {
    problems.push('statConcurrency must be a positive integer');
  }
  if (context !== undefined) {
    const c = context as Partial<FsCredentials> | null;
    if (typeof c !== 'object' || c === null || !isValidId(c.uid as number) || !isValidId(c.gid as number)) problems.push('context must be {uid, gid} with valid ids');
  }
  if (problems.length > 0) throw new StorageError('invalid_argument', `posix driver config: ${problems.join('; ')}`);
  return config as PosixDriverConfig;
}
