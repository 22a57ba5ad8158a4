/**
 * The part of a storage driver that is the same on every object store (s3, azure): storage paths ↔ keys
 * under a root prefix, directories as `dir/` markers or implied by keys, the namespace checks before a
 * write, live writers and their temporary keys, and the preamble and error rules of each contract method.
 *
 * Why a component the drivers hold (not a base class they extend): a driver stays a plain
 * `StorageDriver` whose methods read top to bottom; each asks the core for the shared steps and passes in
 * only the store's own requests (a HEAD, a marker PUT, a removal). The contract's rules for those steps
 * (`is_a_directory` vs `not_found`, `not_empty`, `closed`, nothing left of a writer after close) are
 * therefore written once, and the conformance suite checks them through both drivers.
 */
import { Readable, addAbortSignal } from 'node:stream';
import type { CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, SignalOptions, StorageDriver, WriteOptions, Writer } from '../driver.js';
import { checkMetaOptions, checkWriteOptions, resolveRange } from '../driver-support.js';
import { StorageError, isStorageError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, assertNotTempPath, baseStorageName, makeTempName, normalizeStoragePath, parentStoragePath } from '../paths.js';
import { NamespaceChecks } from './namespace-checks.js';
import type { NamespaceRequests } from './namespace-checks.js';
import { ObjectWriter } from './object-writer.js';
import type { ObjectWriteBackend, SealedTemp } from './write-backend.js';

/** The store requests the core needs, by key; `H` is what the store's HEAD reports. */
export interface ObjectLookups<H> extends NamespaceRequests {
  head(key: string, path: string, signal?: AbortSignal): Promise<H | null>;
}

/** `StorageDriver.restore`, which object-store drivers define when `restoreFromCold` is configured. */
export type RestoreMethod = NonNullable<StorageDriver['restore']>;

/** Where one write goes. */
export interface WriteKeys {
  readonly path: string;
  readonly finalKey: string;
  readonly tempKey: string;
}

/** An `Entry` from what a HEAD reported (`null`: a directory without a marker). */
export type EntryOf<H> = (name: string, kind: 'file' | 'dir', head: H | null) => Entry;

/** Where `setMeta` applies: an object, or a directory (with its marker when it has one). */
export type MetaTarget<H> = { readonly file: H } | { readonly prefix: string; readonly marker: H | null };

/** Shared state and steps of one object-store driver instance. See the file header. */
export class ObjectDriverCore<H> {
  /** Cached "not a file" / "not a directory" checks before creating keys (namespace-checks.ts). */
  readonly checks: NamespaceChecks;
  /** Temporary keys of this instance's live writers: `cleanupTemp` never touches them. */
  readonly liveTemps = new Set<string>();
  private readonly writers = new Set<Writer>();
  private closed = false;

  /** `keyPrefix`: '' or the root prefix ending in '/'. */
  constructor(private readonly store: ObjectLookups<H>, readonly keyPrefix: string, private readonly features: DriverFeatures) {
    this.checks = new NamespaceChecks(store, { key: (n) => this.key(n), dirPrefix: (n) => this.dirPrefix(n) });
  }

  /** Every method rejects with `closed` after `close()`. */
  guard(): void {
    if (this.closed) throw new StorageError('closed', 'driver is closed');
  }

  /** The preamble of every method: not closed, a valid path that is not a temporary name, not aborted. */
  begin(path: string, signal?: AbortSignal): string {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    throwIfAborted(signal, norm);
    return norm;
  }

  /** Key of a (normalized) storage path. */
  key(norm: string): string {
    return this.keyPrefix + norm;
  }

  /** Key prefix of a directory's children (also the key of its marker). */
  dirPrefix(norm: string): string {
    return norm === ROOT_PATH ? this.keyPrefix : `${this.keyPrefix}${norm}/`;
  }

  /** True if anything (a marker, an object, a temporary object) lies under the directory. */
  isDir(norm: string, signal?: AbortSignal): Promise<boolean> {
    return this.checks.isDir(norm, signal);
  }

  /** `stat`: the root, an object, a directory (marker metadata when there is a marker), or null. */
  async stat(path: string, options: SignalOptions, entryOf: EntryOf<H>): Promise<Entry | null> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return { name: '', kind: 'dir', size: 0, mtimeMs: Date.now() };
    const head = await this.store.head(this.key(norm), norm, options.signal);
    if (head !== null) return entryOf(baseStorageName(norm), 'file', head);
    const prefix = this.dirPrefix(norm);
    const keys = await this.store.firstKeys(prefix, 1, norm, options.signal);
    if (keys.length === 0) return null;
    const marker = keys[0] === prefix ? await this.store.head(prefix, norm, options.signal) : null;
    return entryOf(baseStorageName(norm), 'dir', marker);
  }

  /** Why a directory listing found nothing under `norm`: it is a file (`not_a_directory`) or missing (`not_found`). */
  async missingDirectory(norm: string, signal?: AbortSignal): Promise<StorageError> {
    if ((await this.store.head(this.key(norm), norm, signal)) !== null) return new StorageError('not_a_directory', 'not a directory', { path: norm });
    return new StorageError('not_found', 'no such directory', { path: norm });
  }

  /** The object at `norm` (a copy's source, a restore's target); a directory is `is_a_directory`, nothing `not_found`. */
  async object(norm: string, signal: AbortSignal | undefined, what = 'is a directory'): Promise<H> {
    const head = norm === ROOT_PATH ? null : await this.store.head(this.key(norm), norm, signal);
    if (head !== null) return head;
    if (await this.isDir(norm, signal)) throw new StorageError('is_a_directory', what, { path: norm });
    throw new StorageError('not_found', 'no such object', { path: norm });
  }

  /** Where `setMeta` of `norm` applies (see {@link MetaTarget}); `not_found` when nothing is there. */
  async metaTarget(norm: string, signal?: AbortSignal): Promise<MetaTarget<H>> {
    const head = await this.store.head(this.key(norm), norm, signal);
    if (head !== null) return { file: head };
    const prefix = this.dirPrefix(norm);
    const keys = await this.store.firstKeys(prefix, 1, norm, signal);
    if (keys.length === 0) throw new StorageError('not_found', 'no such object', { path: norm });
    return { prefix, marker: keys[0] === prefix ? await this.store.head(prefix, norm, signal) : null };
  }

  /**
   * `openRead`: the argument rules (the service clamps the end itself), then `get`; a missing key that is
   * a directory is `is_a_directory`; `null` (a range starting at or past the end) is an empty stream.
   */
  async read(path: string, options: ReadOptions, get: (key: string, norm: string) => Promise<Readable | null>): Promise<Readable> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    resolveRange(options, Number.MAX_SAFE_INTEGER, this.features, norm);
    let body: Readable | null;
    try {
      body = await get(this.key(norm), norm);
    } catch (err) {
      if (isStorageError(err, 'not_found') && (await this.isDir(norm, signal))) throw new StorageError('is_a_directory', 'is a directory', { path: norm });
      throw err;
    }
    const stream = body ?? Readable.from([], { objectMode: false });
    return signal === undefined ? stream : addAbortSignal(signal, stream);
  }

  /**
   * `remove`: an object through `removeFile` (which may refuse it), or an EMPTY directory's marker
   * through `removeMarker` (`not_empty` when anything else lies under it); false when nothing is there.
   */
  async remove(path: string, options: SignalOptions, removeFile: (key: string, norm: string, head: H) => Promise<boolean>,
    removeMarker: (prefix: string, norm: string) => Promise<boolean>): Promise<boolean> {
    const { signal } = options;
    const norm = this.begin(path, signal);
    if (norm === ROOT_PATH) throw new StorageError('invalid_argument', 'cannot remove the root', { path: norm });
    const head = await this.store.head(this.key(norm), norm, signal);
    if (head !== null) return removeFile(this.key(norm), norm, head);
    const prefix = this.dirPrefix(norm);
    const keys = await this.store.firstKeys(prefix, 2, norm, signal);
    if (keys.length === 0) return false;
    if (keys.some((k) => k !== prefix)) throw new StorageError('not_empty', 'directory is not empty', { path: norm });
    return removeMarker(prefix, norm);
  }

  /** `mkdir`: no file on the path; a marker is written (`putMarker`) unless the directory already exists. */
  async mkdir(path: string, options: SignalOptions, putMarker: (prefix: string, norm: string) => Promise<void>): Promise<void> {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) return;
    await this.checks.assertNoFileOnPath(norm, true, options.signal);
    this.checks.noteCreating(norm, true);
    if (await this.isDir(norm, options.signal)) return;
    await putMarker(this.dirPrefix(norm), norm);
  }

  /** `setMeta`'s preamble: the path, the argument rules; `null` for the root (it holds no object: a no-op). */
  beginSetMeta(path: string, meta: MetaOptions, options: SignalOptions): string | null {
    const norm = this.begin(path, options.signal);
    checkMetaOptions(meta, this.features, norm);
    return norm === ROOT_PATH ? null : norm;
  }

  /** `openWrite`'s preamble: the path (never the root) and the argument rules. */
  beginWrite(path: string, options: WriteOptions): string {
    const norm = this.begin(path, options.signal);
    if (norm === ROOT_PATH) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    checkWriteOptions(options, this.features, norm);
    return norm;
  }

  /**
   * Open the shared ObjectWriter on `norm` after the namespace checks; the store's side comes from
   * `backendOf`. The temporary key is live (safe from `cleanupTemp`) until the writer settles, and the
   * writer is aborted by `close()`.
   */
  async openWriter<P, T extends SealedTemp>(norm: string, options: WriteOptions,
    backendOf: (keys: WriteKeys, done: (published: boolean) => void) => ObjectWriteBackend<P, T>): Promise<Writer> {
    await this.checks.assertWritableTarget(norm, options.signal);
    throwIfAborted(options.signal, norm);
    this.checks.noteCreating(norm, false);
    const parent = parentStoragePath(norm) ?? ROOT_PATH;
    const tempName = makeTempName(baseStorageName(norm));
    const tempKey = this.key(parent === ROOT_PATH ? tempName : `${parent}/${tempName}`);
    let writer: Writer | undefined;
    const backend = backendOf({ path: norm, finalKey: this.key(norm), tempKey }, (published) => {
      this.liveTemps.delete(tempKey);
      if (published) this.checks.notePublishedFile(norm);
      if (writer !== undefined) this.writers.delete(writer);
    });
    this.liveTemps.add(tempKey);
    try {
      writer = await ObjectWriter.open(backend, options);
    } catch (err) {
      this.liveTemps.delete(tempKey);
      throw backend.classify(err, norm);
    }
    this.writers.add(writer);
    return writer;
  }

  /**
   * `copy`: the source object (`is_a_directory` / `not_found` otherwise) and the target checks; `run`
   * copies server-side and returns the size published.
   */
  async copy(from: string, to: string, options: SignalOptions & MetaOptions, run: (src: string, dst: string, head: H) => Promise<number>): Promise<CommitResult> {
    const { signal } = options;
    const src = this.begin(from, signal);
    const dst = this.begin(to, signal);
    checkMetaOptions(options, this.features, dst);
    const head = await this.object(src, signal, 'source is a directory');
    await this.checks.assertWritableTarget(dst, signal);
    this.checks.noteCreating(dst, false);
    const size = await run(src, dst, head);
    this.checks.notePublishedFile(dst);
    return { size };
  }

  /** Mark the driver closed and abort its live writers. False when it was already closed. */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    await Promise.all([...this.writers].map((w) => w.abort(new StorageError('closed', 'driver closed')).catch(() => {})));
    return true;
  }
}

/**
 * The pages of a listing from `first` on, the next one fetched while the current one is handed out: at
 * most two pages in memory. Breaking out stops the fetching (a prefetched page is dropped).
 */
export async function* prefetchingPages<P extends { readonly next: string | undefined }>(first: P, fetch: (token: string) => Promise<P>): AsyncGenerator<P> {
  let page = first;
  for (;;) {
    const next = page.next === undefined ? undefined : fetch(page.next);
    next?.catch(() => {});
    yield page;
    if (next === undefined) return;
    page = await next;
  }
}
