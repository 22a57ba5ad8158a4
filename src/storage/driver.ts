/**
 * The storage-driver contract.
 *
 * Why this shape (rclone's lesson): a small required interface every backend can honour, plus optional
 * capabilities that are *declared* in {@link DriverFeatures}. The engine checks a feature and falls back
 * (stream copy when there is no server-side copy, full read when there is no range read); it never
 * branches on the driver kind. The shared conformance suite (`conformance/`) pins every rule below.
 *
 * General rules for every method:
 * - Paths are storage-relative, '/'-separated; a leading '/' means the root ('/a/b' == 'a/b'); the root
 *   itself is '' or '/'. '..' may not climb above the root (`path_escape`), NUL bytes are refused
 *   (`invalid_path`); see `paths.ts`. Drivers with `features.symlinks` also refuse to follow a symlink
 *   whose target resolves outside the root (`path_escape`).
 * - Names ending up as `.<name>.barge-<id>.part` are reserved for in-flight writes: never listed, refused
 *   as targets (`invalid_path`).
 * - Every failure is a `StorageError` (errors.ts) with a stable `code`. Errors emitted by the streams a
 *   driver returns may surface raw through `pipeline()`; pass them through `toStorageError()`.
 * - Every long operation takes an `AbortSignal`; when it fires the operation rejects with code `aborted`
 *   and leaves nothing half-done behind.
 * - After `close()`, every method rejects with code `closed`.
 */
import type { Readable, Writable } from 'node:stream';
import type { ChecksumAlgorithm as InFlightChecksum } from '../lib/hashing.js';
import type { BatchTransferFile, BatchTransferOptions, BatchTransferOutcome } from './batch-transfer.js';

/** What kind of object an entry is. Why `other`: sockets, FIFOs and devices must be reported, never read. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/**
 * One object as reported by `stat()` and `list()`.
 * Why numbers (not bigint) for sizes: 2^53 bytes is 8 PiB per object, far above any single file, and
 * numbers keep arithmetic in the engine simple.
 */
export interface Entry {
  /** Last path segment ('' for the root). Never contains '/'. */
  readonly name: string;
  readonly kind: EntryKind;
  /** Bytes for files; drivers report what the backend says for other kinds (0 when it has no notion). */
  readonly size: number;
  /** Modification time, ms since the epoch; may be fractional. Precision: `features.mtimePrecisionMs`. */
  readonly mtimeMs: number;
  readonly atimeMs?: number;
  /** Status change time (posix `st_ctime`), ms since the epoch, where the backend has one; read-only (callback scripts see it). */
  readonly ctimeMs?: number;
  /** Permission bits only (`st_mode & 0o7777`); the type is in `kind`. Present when `features.permissions`. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** For `kind === 'symlink'`: the link's target text, exactly as stored (not resolved). */
  readonly linkTarget?: string;
  /** Storage class label, when `features.storageClasses` is non-empty. */
  readonly storageClass?: string;
  /** User metadata (`features.userMetadata`); `stat()` returns it, `list()` may omit it. */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Digest recorded when the object was written, as `<algorithm>:<lowercase hex>` (e.g. `xxhash64:…`); it is
   * read back, never recomputed, by `stat`/`list`. Why: drivers that keep metadata with their objects (s3)
   * record the digest of the bytes they stored, so a later copy back (or a consistency check) can compare
   * without re-reading the object. Absent when the driver records none or another tool wrote the object.
   */
  readonly checksum?: string;
  /**
   * Object Lock state (`features.objectLock`), reported by `stat()` (a listing may omit it). Why: a copy
   * with `inherit_object_lock_from_source` gives the destination the same protection as the source.
   */
  readonly lock?: ObjectLockState;
}

/** Object Lock state of an object: a retention (mode + date) and/or a legal hold. */
export interface ObjectLockState {
  readonly mode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retainUntilMs?: number;
  readonly legalHold?: boolean;
}

/** Retrieval speed of a restore from a cold tier (AWS names; a driver maps them to its own). */
export type RestoreTier = 'Standard' | 'Bulk' | 'Expedited';

/** Checksums a backend can compute without Barge reading the bytes (`features.nativeChecksums`). */
export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha256' | 'crc32' | 'xxhash64';

/**
 * Declared optional capabilities. Every field is mandatory so a driver states each one explicitly:
 * nothing is guessed from the driver kind. A method marked optional on {@link StorageDriver} must exist
 * exactly when its feature is declared.
 */
export interface DriverFeatures {
  /** `openRead` honours `start`/`end` without transferring the skipped bytes. Without it they are refused (`unsupported`). */
  readonly rangeRead: boolean;
  /** `copy()` exists: the backend duplicates an object without the bytes passing through Barge (reflink, S3 CopyObject). */
  readonly serverSideCopy: boolean;
  /** `rename()` exists and is atomic within this storage. */
  readonly rename: boolean;
  /** Algorithms `checksum()` supports; empty means `checksum()` does not exist. */
  readonly nativeChecksums: readonly ChecksumAlgorithm[];
  /** Storage classes `openWrite({storageClass})` accepts (S3 STANDARD, GLACIER…); empty means the option is refused. */
  readonly storageClasses: readonly string[];
  /** `openWrite({retainUntilMs, legalHold})` is honoured (WORM / S3 Object Lock); otherwise refused. */
  readonly objectLock: boolean;
  /** `restore()` exists: objects in a cold class must be restored before `openRead` succeeds. */
  readonly restoreFromCold: boolean;
  /**
   * A `restore()` makes a readable copy that expires after `days` (S3 Glacier). False where a restore moves
   * the object back to an online tier for good (Azure rehydration), or where there is no `restore()`. Why:
   * `restoration_expiry_days` has no meaning on such storages, and the execution log says so.
   */
  readonly restoreExpires: boolean;
  /** Backend is sequential (tape): the engine must not run parallel transfers against it and should order by position. */
  readonly sequentialOnly: boolean;
  /** `setMeta`/`openWrite` may set uid/gid (posix: only as root). Otherwise they are refused with `unsupported`. */
  readonly setOwnership: boolean;
  /** Permission bits are stored and reported (`mode`). Otherwise `mode` is ignored and not reported. */
  readonly permissions: boolean;
  /** Symlinks exist: `list`/`stat` report them, `readlink()`/`symlink()` exist, and links leading outside the root are never followed. */
  readonly symlinks: boolean;
  /** Arbitrary string metadata is stored with an object. Otherwise `openWrite({metadata})` is refused. */
  readonly userMetadata: boolean;
  /** Empty directories exist on their own (posix). Without it `mkdir` is a no-op and directories are implied by keys (S3). */
  readonly directories: boolean;
  /** Granularity of stored mtimes in ms (posix 1 at our API, S3 1000); `null` when mtimes cannot be set at all. */
  readonly mtimePrecisionMs: number | null;
  /**
   * mtime, mode and owner are recorded as object metadata rather than applied to a file (object
   * stores). Why: recording them changes nobody's access, so the engine always keeps the source's
   * attributes there — a later copy back to POSIX can restore them (reset_file_date,
   * keep_file_ownership) even if the copy that wrote the object did not ask to apply them.
   */
  readonly attributesAsMetadata: boolean;
  /**
   * Honours `WriteOptions.noReplace` atomically: publishing never replaces an object that appeared at
   * the target after the caller decided to write there. Why: `conflict_resolution` ignore/rename is
   * decided when the walk plans a file, possibly hours before it is written; another writer may have
   * created the file meanwhile, and a move would then delete the source of a copy that replaced it.
   */
  readonly noReplace: boolean;
}

/** Options common to cancellable calls. */
export interface SignalOptions {
  readonly signal?: AbortSignal;
}

/**
 * Byte range of `openRead`. Both bounds are **inclusive** zero-based offsets, like HTTP `Range` and
 * `fs.createReadStream`: `{start: 0, end: 0}` is the first byte, `{start: 10, end: 19}` ten bytes.
 * `end` beyond the last byte is clamped; `start` at or beyond the size gives an empty stream;
 * `end < start`, negative or non-integer bounds are `invalid_argument`.
 */
export interface ReadOptions extends SignalOptions {
  readonly start?: number;
  readonly end?: number;
}

/** Metadata applied to an object (on commit of a write, or by `setMeta`). Omitted fields are left alone. */
export interface MetaOptions {
  readonly mtimeMs?: number;
  readonly atimeMs?: number;
  /** Permission bits (`0o7777` mask). Ignored when `features.permissions` is false. */
  readonly mode?: number;
  /** Refused with `unsupported` unless `features.setOwnership`. */
  readonly uid?: number;
  readonly gid?: number;
}

/** Options of `openWrite`. Capability-bound options are refused (`unsupported`) when the feature is not declared. */
export interface WriteOptions extends MetaOptions, SignalOptions {
  /** Expected byte count. When given, `commit()` fails with `size_mismatch` (retryable) if it differs. */
  readonly size?: number;
  /** Requires `features.userMetadata`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Must be one of `features.storageClasses`. */
  readonly storageClass?: string;
  /** Require `features.objectLock`. */
  readonly retainUntilMs?: number;
  readonly legalHold?: boolean;
  /**
   * Retention mode of `retainUntilMs` (default: the driver's configured mode). GOVERNANCE can be lifted by
   * privileged users, COMPLIANCE by nobody before the date. Why an option: the same storage may hold
   * compliance archives and ordinary protected copies. It only qualifies `retainUntilMs` and has no effect
   * alone; drivers that declare `objectLock` refuse it without `retainUntilMs` so a mistake is not silent.
   */
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /**
   * Do not replace what is at the target when publishing (drivers declaring `features.noReplace`;
   * others publish as usual). Something there with exactly the bytes being published is taken as this
   * copy (a redo after a crash finds its own earlier one) and the commit succeeds; anything else fails
   * the commit with `exists` (not retryable), nothing replaced and nothing left behind.
   */
  readonly noReplace?: boolean;
}

/**
 * Options of `Writer.commit`.
 * Why `verify`: data-safety rule 2 — a checksum must be compared with the bytes actually stored, and
 * rule 1 — nothing unverified may become visible. So the driver hands the durable, not-yet-published
 * bytes to `verify` (posix: a re-read of the fsynced temp file); if it rejects, the writer aborts (nothing
 * visible, nothing left behind) and `commit()` rejects with that error. Drivers whose backend verifies
 * a checksum itself on completion (S3) may also call it with their own read-back.
 */
export interface CommitOptions {
  readonly verify?: (stored: Readable) => Promise<void>;
}

/** What a successful commit made visible. */
export interface CommitResult {
  readonly size: number;
}

/**
 * An in-flight write returned by `openWrite`. Invariants (the heart of data-safety rule 1):
 * - Nothing is visible at the target path (not through `stat`, `list` or `openRead`) before `commit()`
 *   resolves; a previous object at the path stays fully readable until then and is replaced atomically.
 * - `stream` is a plain Writable, so `await pipeline(source, hasher, writer.stream)` gets backpressure and
 *   large-chunk throughput (drivers buffer internally, posix coalesces with writev). Ending the stream does
 *   NOT publish the object; only `commit()` does.
 * - `commit()` ends the stream if the caller has not, waits for every byte to be durable (posix: fsync of
 *   file and directory), checks `size`, applies the metadata options, then publishes. If anything fails,
 *   or the stream had errored, it rejects and the writer aborts itself.
 * - `abort()` discards the temporary data and resolves when nothing is left of it. It is idempotent, safe in
 *   any state, and a no-op after a successful commit. Parent directories that `openWrite` created may remain.
 * - If the `signal` given to `openWrite` fires before publication, the writer aborts itself: the stream is
 *   destroyed with an `aborted` StorageError and `commit()` rejects with `aborted` once cleanup is done.
 */
export interface Writer {
  readonly stream: Writable;
  /** Bytes accepted so far. Why: progress accounting without wrapping the stream. */
  readonly bytesWritten: number;
  commit(options?: CommitOptions): Promise<CommitResult>;
  abort(reason?: unknown): Promise<void>;
}

/** Options of `cleanupTemp`. */
export interface TempCleanupOptions extends SignalOptions {
  /** Descend into subdirectories (never through symlinks). Default true. */
  readonly recursive?: boolean;
  /**
   * Only temporary files whose last modification is at least this old count. Default 0.
   * Why: other processes or hosts may be writing into the same tree; pass a bound above the longest
   * possible stall of a live writer when that can happen. Live writers of this driver instance are never
   * touched whatever the age.
   */
  readonly minAgeMs?: number;
  /** Report what would be removed without removing it. */
  readonly dryRun?: boolean;
  /**
   * Only temporary files of writes to these file names (directly in `dir`; give `recursive: false`).
   * Why: a mover redoing a batch whose previous mover died removes that mover's leftovers of the same
   * targets while other writers, on other hosts, may be writing other files of the directory.
   */
  readonly names?: readonly string[];
}

/** Result of `cleanupTemp`. */
export interface TempCleanupResult {
  /** Storage-relative paths of the temporary files removed (or, with `dryRun`, found). */
  readonly paths: readonly string[];
  readonly bytes: number;
}

/** Options of `transferTo`: the destination's write options, plus the in-flight checksum. */
export interface TransferToOptions extends WriteOptions {
  /**
   * Hash the bytes as they are read and, before publishing, compare with a digest of the bytes stored
   * (data-safety rule 2); a mismatch is `checksum_mismatch` and nothing is published.
   */
  readonly checksum?: InFlightChecksum | null;
  /** Progress: called with byte counts as data moves; the calls add up to the size copied. */
  readonly onBytes?: (bytes: number) => void;
}

/** What `transferTo` published. */
export interface TransferToResult {
  readonly size: number;
  /** Digest of the bytes read (lowercase hex), when `checksum` was asked. */
  readonly checksum: string | null;
}

/** State of a cold object (`features.restoreFromCold`). */
export interface RestoreResult {
  readonly state: 'available' | 'restoring';
}

/**
 * A storage backend. See the file header for the rules every method follows.
 * Why an interface plus declared features (and not a class hierarchy): drivers live in separate folders,
 * can be written without knowing each other, and the conformance suite checks them from outside.
 */
export interface StorageDriver {
  /** Driver kind ('posix', 'memory'…) for logs and metrics only. Never branch on it: use `features`. */
  readonly kind: string;
  readonly features: DriverFeatures;

  /**
   * Metadata of one object, or `null` when nothing exists at the path (also when a parent is missing or is
   * a file). Why null and not a throw: "does the destination exist?" is the engine's most common question
   * and not an error. The last component is not followed: a symlink is reported as `kind: 'symlink'`.
   * `stat('')` describes the root.
   */
  stat(path: string, options?: SignalOptions): Promise<Entry | null>;

  /**
   * Entries of ONE directory (not recursive: the engine walks), streamed: a driver never materialises more
   * than one directory (posix) or one page (object stores) of entries. Order is unspecified. Temporary
   * write files are skipped; entries vanishing during the listing are skipped. Missing directory:
   * `not_found`; a file: `not_a_directory`. The call itself never throws: every error (including path
   * errors) surfaces from the first iteration step. Breaking out of `for await` releases the listing.
   */
  list(dir: string, options?: SignalOptions): AsyncIterable<Entry>;

  /**
   * Optional: the entries of `list(dir)`, handed over a chunk at a time — every rule of `list` applies
   * (same entries, temporary files and vanished entries left out, the same errors, surfacing from the
   * first step; the call itself never throws), each chunk a non-empty array the caller may keep. The
   * signal is checked at least once per chunk. Callers use {@link listInChunks}, which falls back to
   * `list` for drivers without it. Why: a walk consumes a folder in a loop of its own, and one awaited
   * step per entry (a promise, a microtask and a generator resume each) was a visible share of the
   * engine's CPU per file walked (issue #14). No feature declares it: it changes only how entries travel.
   */
  listChunks?(dir: string, options?: SignalOptions): AsyncIterable<readonly Entry[]>;

  /**
   * Read an object's bytes (see {@link ReadOptions} for the inclusive range rules). Opening happens before
   * the promise resolves, so `not_found`, `is_a_directory`, `permission_denied` and `path_escape` reject
   * here rather than on the stream. Symlinks inside the root are followed. The stream delivers at most the
   * bytes present when it was opened.
   */
  openRead(path: string, options?: ReadOptions): Promise<Readable>;

  /**
   * Start an atomic write (see {@link Writer}). Missing parent directories are created. Resources are
   * acquired before the promise resolves, so permission and space problems surface here. If the target
   * is a directory: `is_a_directory`. Writing to a path whose last component is a symlink replaces the link
   * itself; it never writes through it.
   */
  openWrite(path: string, options?: WriteOptions): Promise<Writer>;

  /**
   * Remove a file, a symlink (not its target) or an EMPTY directory (`not_empty` otherwise). Resolves
   * `true` if something was removed, `false` if nothing was there. Why not recursive: data-safety rule 4 —
   * the engine deletes exactly what it planned, entry by entry.
   */
  remove(path: string, options?: SignalOptions): Promise<boolean>;

  /** Create a directory and its parents; succeeds if it already exists; `not_a_directory` if a non-directory is in the way. */
  mkdir(path: string, options?: SignalOptions): Promise<void>;

  /**
   * Apply metadata to an existing object (for a symlink: to the link itself; `mode` is ignored there).
   * Missing: `not_found`. uid/gid without `features.setOwnership`: `unsupported`.
   */
  setMeta(path: string, meta: MetaOptions, options?: SignalOptions): Promise<void>;

  /**
   * Find (and unless `dryRun`, remove) temporary files left by writers that died before commit or abort:
   * crash recovery calls this on the destination directories of an interrupted execution. Defaults to the
   * whole storage, recursively.
   */
  cleanupTemp(dir?: string, options?: TempCleanupOptions): Promise<TempCleanupResult>;

  /** Abort live writers, release handles and connections. Idempotent. */
  close(): Promise<void>;

  /**
   * `features.serverSideCopy`: copy an object's bytes to another path of the same storage, published
   * atomically like a Writer (missing parents created, an existing file replaced). Times are fresh unless
   * given in the options; drivers may carry over the mode (posix does). Source: symlinks inside the root
   * are followed, like `openRead`.
   */
  copy?(from: string, to: string, options?: SignalOptions & MetaOptions): Promise<CommitResult>;
  /** `features.rename`: atomically move an object, replacing a file at `to`. Parent directories of `to` are created. */
  rename?(from: string, to: string, options?: SignalOptions): Promise<void>;
  /** `features.nativeChecksums`: lowercase hex digest computed by the backend (crc32: 8 digits, big-endian). */
  checksum?(path: string, algorithm: ChecksumAlgorithm, options?: SignalOptions): Promise<string>;
  /** `features.restoreFromCold`: request (or poll) the restore of a cold object for `days`. */
  restore?(path: string, options?: SignalOptions & { readonly days?: number; readonly tier?: RestoreTier }): Promise<RestoreResult>;
  /** `features.symlinks`: the stored target text of a symlink (`invalid_argument` if not a symlink). */
  readlink?(path: string, options?: SignalOptions): Promise<string>;
  /**
   * `features.symlinks`: create a symlink at `path` whose text is `target` (any text without NUL: a link is
   * data, it is just never followed outside the root). `exists` if something is already at `path`.
   */
  symlink?(path: string, target: string, options?: SignalOptions): Promise<void>;
  /**
   * Optional fast path for a whole-file copy from this storage to `dstPath` of another driver `dst`
   * (rclone's optional-interface idea: a driver that knows a better way than the generic stream takes
   * it). Resolves `null`, having done nothing, when it has no fast way to that destination: the caller
   * then streams (`openRead` → `dst.openWrite` → `commit({verify})`). Otherwise the effect is exactly
   * that of the streamed copy: `dst`'s write options and `Writer` invariants apply (nothing visible at
   * `dstPath` before completion and verification, replaced atomically, missing parents created, no
   * temporary file left on failure or abort), errors are StorageErrors with the same codes, and the
   * source is read like `openRead` (symlinks inside the root followed, a directory is `is_a_directory`).
   * Why: posix → posix copies are dominated by per-call overhead when streamed through the event loop.
   */
  transferTo?(path: string, dst: StorageDriver, dstPath: string, options?: TransferToOptions): Promise<TransferToResult | null>;
  /**
   * Optional: `transferTo` for many files to the same `dst` in one call (batch-transfer.ts). Resolves
   * `null`, having done nothing, when it has no fast way to `dst`; otherwise one outcome per file, in
   * order — each exactly what `transferTo` would have given (a failure is a StorageError in its slot,
   * never a rejection of the batch). Why: per-file overhead dominates small files (issue #14).
   */
  transferBatch?(files: readonly BatchTransferFile[], dst: StorageDriver, options?: BatchTransferOptions): Promise<BatchTransferOutcome[] | null>;
}

/** Entries per chunk of {@link listInChunks}'s fallback (bounds what a caller holds before it sees them). */
const LIST_FALLBACK_CHUNK = 256;

/**
 * `driver.listChunks(dir)` where the driver has it, else `driver.list(dir)` gathered into chunks of at
 * most 256 entries: the same entries and errors either way (see `listChunks`).
 */
export async function* listInChunks(driver: StorageDriver, dir: string, options?: SignalOptions): AsyncGenerator<readonly Entry[]> {
  if (driver.listChunks !== undefined) {
    yield* driver.listChunks(dir, options);
    return;
  }
  let chunk: Entry[] = [];
  for await (const e of driver.list(dir, options)) {
    chunk.push(e);
    if (chunk.length >= LIST_FALLBACK_CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Factory registered per kind in `registry.ts`. Why async: drivers validate their root or connect first. */
export type DriverFactory = (config: unknown) => Promise<StorageDriver>;
