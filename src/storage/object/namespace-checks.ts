/**
 * The namespace checks the object-store drivers (s3, azure) run before they create a file or a directory:
 * an object store happily stores a key `a` next to keys under `a/`, so the driver refuses to create a file
 * under a file (`not_a_directory`) or over a directory (`is_a_directory`), and a directory over a file.
 *
 * Why a module of its own: these checks sit on the path of every written file, so they are cached, and the
 * caches must learn from everything the driver does (its listings, its own writes). Costs per written file
 * once the caches are warm: no request at all.
 * - Ancestors that are files: one HEAD per ancestor (shared by concurrent writers), remembered as
 *   "not a file" for NAMESPACE_TTL_MS per path.
 * - The target being a directory: answered from a listing of the parent (see subdir-cache.ts), which the
 *   engine's planner usually did just before; otherwise one page of that parent is listed (shared by the
 *   writers starting there at the same time). A target the listing names as a subdirectory, or a parent too
 *   large for one page, is checked with a one-key LIST of `<target>/`, as before.
 */
import { StorageError, abortedError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, baseStorageName, parentStoragePath, splitStoragePath } from '../paths.js';
import { SubdirCache } from './subdir-cache.js';

/**
 * How long a negative answer ("not a file", "not a subdirectory") is trusted. Why: writing `a/b/c/f` must
 * refuse a file at `a`, `a/b` or `a/b/c` and a directory at `a/b/c/f`; bulk writes into one directory would
 * otherwise pay those requests for every file. Another client can race within this window, as it could
 * between any check and the write anyway.
 */
export const NAMESPACE_TTL_MS = 10_000;
const NOT_A_FILE_MAX = 10_000;

/**
 * The requests the checks need, by key. Why structural: S3Objects and AzureBlobs both have them, over the
 * same key space (root prefix + storage path).
 */
export interface NamespaceRequests {
  head(key: string, path: string, signal?: AbortSignal): Promise<unknown>;
  firstKeys(prefix: string, max: number, path: string, signal?: AbortSignal): Promise<string[]>;
  listPage(prefix: string, delimited: boolean, token: string | undefined, path: string): Promise<{ readonly prefixes: readonly string[]; readonly next: string | undefined }>;
}

/** Key helpers of the driver. */
export interface KeyMapper {
  key(norm: string): string;
  dirPrefix(norm: string): string;
}

/** Cached file/directory checks of one driver instance. See the file header. */
export class NamespaceChecks {
  /** Paths recently checked not to be files, with the time the check expires. */
  private readonly notFiles = new Map<string, number>();
  /** HEADs in flight, by path. */
  private readonly fileChecks = new Map<string, Promise<boolean>>();
  readonly subdirs = new SubdirCache(NAMESPACE_TTL_MS);

  constructor(private readonly objects: NamespaceRequests, private readonly keys: KeyMapper) {}

  /** True if anything (a marker, an object, a temporary object) lies under the directory: one LIST of one key. */
  async isDir(norm: string, signal?: AbortSignal): Promise<boolean> {
    return norm === ROOT_PATH || (await this.objects.firstKeys(this.keys.dirPrefix(norm), 1, norm, signal)).length > 0;
  }

  /** Refuse `norm` (with `includeSelf`) or any ancestor being a file: an object store would happily store `a` and `a/b`. */
  async assertNoFileOnPath(norm: string, includeSelf: boolean, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const segments = splitStoragePath(norm);
    const paths = segments.map((_, i) => segments.slice(0, i + 1).join('/')).slice(0, includeSelf ? undefined : -1)
      .filter((p) => (this.notFiles.get(p) ?? 0) <= now);
    if (paths.length === 0) return;
    const files = await Promise.all(paths.map((p) => this.isFile(p, norm, signal)));
    const blocked = files.indexOf(true);
    if (blocked >= 0) throw new StorageError('not_a_directory', `${JSON.stringify(paths[blocked])} is a file`, { path: norm });
    if (this.notFiles.size + paths.length > NOT_A_FILE_MAX) this.notFiles.clear();
    for (const p of paths) this.notFiles.set(p, now + NAMESPACE_TTL_MS);
  }

  /** HEAD of `p`, shared by the callers asking at the same time (writers starting in one folder). */
  private isFile(p: string, norm: string, signal?: AbortSignal): Promise<boolean> {
    let pending = this.fileChecks.get(p);
    if (pending === undefined) {
      pending = this.objects.head(this.keys.key(p), norm).then((h) => h !== null).finally(() => this.fileChecks.delete(p));
      this.fileChecks.set(p, pending);
    }
    return abortable(pending, signal, norm);
  }

  /** Checks before creating a file at `norm`: its parents are not files and it is not a directory. */
  async assertWritableTarget(norm: string, signal?: AbortSignal): Promise<void> {
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    const [, isDir] = await Promise.all([this.assertNoFileOnPath(norm, false, signal), this.targetIsDir(norm, signal)]);
    if (isDir) throw new StorageError('is_a_directory', 'target is a directory', { path: norm });
  }

  private async targetIsDir(norm: string, signal?: AbortSignal): Promise<boolean> {
    const parent = parentStoragePath(norm) ?? ROOT_PATH;
    const name = baseStorageName(norm);
    if (!this.subdirs.isSettled(parent)) await this.listParent(parent, signal);
    if (this.subdirs.isKnownNotDir(parent, name)) return false;
    return this.isDir(norm, signal);
  }

  /**
   * One page of the parent's listing, shared by the writers that start there at the same time. A failure is
   * not an error here: the caller then asks the authoritative one-key LIST (with its own signal).
   */
  private async listParent(parent: string, signal?: AbortSignal): Promise<void> {
    const shared = this.subdirs.once(parent, async () => {
      const since = Date.now();
      const prefix = this.keys.dirPrefix(parent);
      const page = await this.objects.listPage(prefix, true, undefined, parent);
      this.recordListing(parent, page.next === undefined ? page.prefixes.map((p) => p.slice(prefix.length, -1)) : 'too_large', since);
    }).catch(() => {});
    await abortable(shared, signal, parent);
  }

  /** A complete listing of `dir` (or `'too_large'`) that started at `since`: see SubdirCache.recordListing. */
  recordListing(dir: string, names: Iterable<string> | 'too_large', since: number): void {
    this.subdirs.recordListing(dir, names, since);
  }

  /**
   * This instance is about to create keys for `norm` (a file: `self` false; a directory: `self` true): its
   * ancestors become directories, and a published file at `norm` is no longer "not a file".
   */
  noteCreating(norm: string, self: boolean): void {
    this.subdirs.noteAncestors(splitStoragePath(norm), self);
  }

  /** A file was published at `norm` by this instance: it is not "not a file" any more. */
  notePublishedFile(norm: string): void {
    this.notFiles.delete(norm);
  }
}

/** Await `p`, but reject with `aborted` as soon as `signal` fires. Why: a shared request must not hold up a cancelled caller. */
async function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, path: string): Promise<T> {
  if (signal === undefined) return p;
  throwIfAborted(signal, path);
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => {
      onAbort = () => reject(abortedError(signal, path));
      signal.addEventListener('abort', onAbort, { once: true });
    })]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
