/**
 * In-memory storage driver.
 *
 * Why: the engine's unit tests need a driver that is fast, deterministic, needs no disk and honours the
 * exact same contract as the real ones (it runs the shared conformance suite). It also offers a capacity
 * limit so `no_space` paths can be tested. Data lives in a tree of Maps; committed buffers are immutable,
 * so readers and server-side copies share them without copying.
 */
import { createHash } from 'node:crypto';
import { Readable, addAbortSignal } from 'node:stream';
import type {
  ChecksumAlgorithm, CommitResult, DriverFeatures, Entry, MetaOptions, ReadOptions, SignalOptions, StorageDriver,
  TempCleanupOptions, TempCleanupResult, WriteOptions, Writer,
} from '../driver.js';
import { checkMetaOptions, checkWriteOptions, resolveRange } from '../driver-support.js';
import { StorageError, throwIfAborted } from '../errors.js';
import { assertNotTempPath, baseStorageName, normalizeStoragePath, parentStoragePath, splitStoragePath } from '../paths.js';
import { MemoryWriter } from './memory-writer.js';

/** Configuration of the memory driver. */
export interface MemoryDriverConfig {
  /** Total bytes the driver may hold (committed + in-flight); beyond it writes fail with `no_space`. */
  readonly capacityBytes?: number;
}

interface MetaFields {
  mtimeMs: number;
  atimeMs: number;
  mode: number;
  uid: number;
  gid: number;
}
interface MemFile extends MetaFields {
  readonly kind: 'file';
  data: Buffer;
  metadata: Readonly<Record<string, string>> | undefined;
  storageClass: string;
}
interface MemDir extends MetaFields {
  readonly kind: 'dir';
  readonly children: Map<string, MemNode>;
}
type MemNode = MemFile | MemDir;

/** Features of the memory driver: everything cheap to model in RAM; no symlinks, no cold storage. */
export const MEMORY_FEATURES: DriverFeatures = Object.freeze({
  rangeRead: true,
  serverSideCopy: true,
  rename: true,
  nativeChecksums: Object.freeze(['md5', 'sha256'] as ChecksumAlgorithm[]),
  storageClasses: Object.freeze(['STANDARD', 'ARCHIVE']),
  objectLock: false,
  restoreFromCold: false,
  restoreExpires: false,
  sequentialOnly: false,
  setOwnership: true,
  permissions: true,
  symlinks: false,
  userMetadata: true,
  directories: true,
  mtimePrecisionMs: 1,
  attributesAsMetadata: false,
  noReplace: true,
});

const READ_CHUNK = 1 << 20;
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

function newDir(now: number): MemDir {
  return { kind: 'dir', children: new Map(), mtimeMs: now, atimeMs: now, mode: 0o755, uid, gid };
}

function toEntry(name: string, node: MemNode): Entry {
  const common = { name, mtimeMs: node.mtimeMs, atimeMs: node.atimeMs, mode: node.mode, uid: node.uid, gid: node.gid };
  if (node.kind === 'dir') return { ...common, kind: 'dir', size: 0 };
  return {
    ...common, kind: 'file', size: node.data.length, storageClass: node.storageClass,
    ...(node.metadata === undefined ? {} : { metadata: node.metadata }),
  };
}

/** Validate an untrusted config. Why: the registry hands in whatever the operator wrote. */
export function parseMemoryConfig(config: unknown): MemoryDriverConfig {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object') throw new StorageError('invalid_argument', 'memory driver config must be an object');
  const cap = (config as { capacityBytes?: unknown }).capacityBytes;
  if (cap !== undefined && (typeof cap !== 'number' || !Number.isSafeInteger(cap) || cap < 0)) {
    throw new StorageError('invalid_argument', 'memory driver capacityBytes must be a non-negative integer');
  }
  return cap === undefined ? {} : { capacityBytes: cap };
}

/** The in-memory driver. See driver.ts for the contract of each method. */
export class MemoryDriver implements StorageDriver {
  readonly kind = 'memory';
  readonly features = MEMORY_FEATURES;
  private readonly root: MemDir = newDir(Date.now());
  private readonly writers = new Set<MemoryWriter>();
  private usedBytes = 0;
  private closed = false;

  constructor(private readonly config: MemoryDriverConfig = {}) {}

  /** Bytes held (committed plus in-flight). Why public: engine tests assert that aborts free space. */
  get bytesUsed(): number {
    return this.usedBytes;
  }

  private guard(): void {
    if (this.closed) throw new StorageError('closed', 'driver is closed');
  }

  /** Node at a normalized path, or undefined when missing or under a file. */
  private find(norm: string): MemNode | undefined {
    let node: MemNode = this.root;
    for (const seg of splitStoragePath(norm)) {
      if (node.kind !== 'dir') return undefined;
      const child: MemNode | undefined = node.children.get(seg);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  /** Directory at a path, with the contract's error codes. */
  private dirAt(norm: string): MemDir {
    let node: MemNode = this.root;
    for (const seg of splitStoragePath(norm)) {
      if (node.kind !== 'dir') break;
      const child: MemNode | undefined = node.children.get(seg);
      if (child === undefined) throw new StorageError('not_found', 'no such directory', { path: norm });
      node = child;
    }
    if (node.kind !== 'dir') throw new StorageError('not_a_directory', 'not a directory', { path: norm });
    return node;
  }

  private mkdirp(norm: string): MemDir {
    let node: MemDir = this.root;
    for (const seg of splitStoragePath(norm)) {
      const child = node.children.get(seg);
      if (child === undefined) {
        const now = Date.now();
        const dir = newDir(now);
        node.children.set(seg, dir);
        node.mtimeMs = now;
        node = dir;
      } else if (child.kind === 'dir') {
        node = child;
      } else {
        throw new StorageError('not_a_directory', `${JSON.stringify(seg)} is not a directory`, { path: norm });
      }
    }
    return node;
  }

  private fileAt(norm: string): MemFile {
    const node = this.find(norm);
    if (node === undefined) throw new StorageError('not_found', 'no such file', { path: norm });
    if (node.kind === 'dir') throw new StorageError('is_a_directory', 'is a directory', { path: norm });
    return node;
  }

  private reserve(extra: number, path: string): void {
    const cap = this.config.capacityBytes;
    if (cap !== undefined && this.usedBytes + extra > cap) {
      throw new StorageError('no_space', `capacity of ${cap} bytes exceeded`, { path });
    }
    this.usedBytes += extra;
  }

  /** Put a file node at `norm` (parent must exist), replacing a file there. Synchronous: atomic for readers. */
  /** Puts `file` at `norm`; with `noReplace` a different file already there is `exists` (the same bytes: kept as is). */
  private place(norm: string, file: MemFile, noReplace = false): void {
    const parentPath = parentStoragePath(norm);
    if (parentPath === null) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    const parent = this.find(parentPath);
    if (parent === undefined || parent.kind !== 'dir') throw new StorageError('not_found', 'parent directory vanished', { path: norm });
    const name = baseStorageName(norm);
    const old = parent.children.get(name);
    if (old?.kind === 'dir') throw new StorageError('is_a_directory', 'target is a directory', { path: norm });
    if (noReplace && old !== undefined) {
      if (old.data.equals(file.data)) {
        this.usedBytes -= file.data.length; // reserved while written, never placed
        return;
      }
      throw new StorageError('exists', 'a file appeared at the destination after this copy was planned: not replaced', { path: norm, retryable: false });
    }
    if (old !== undefined) this.usedBytes -= old.data.length;
    parent.children.set(name, file);
    parent.mtimeMs = Date.now();
  }

  private newFile(data: Buffer, options: WriteOptions): MemFile {
    const now = Date.now();
    return {
      kind: 'file', data, metadata: options.metadata === undefined ? undefined : Object.freeze({ ...options.metadata }),
      storageClass: options.storageClass ?? 'STANDARD', mtimeMs: options.mtimeMs ?? now, atimeMs: options.atimeMs ?? now,
      mode: options.mode ?? 0o644, uid: options.uid ?? uid, gid: options.gid ?? gid,
    };
  }

  async stat(path: string, _options?: SignalOptions): Promise<Entry | null> {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    const node = this.find(norm);
    return node === undefined ? null : toEntry(baseStorageName(norm), node);
  }

  async *list(dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
    this.guard();
    const norm = normalizeStoragePath(dir);
    const node = this.dirAt(norm);
    for (const name of [...node.children.keys()]) {
      throwIfAborted(options.signal, norm);
      this.guard();
      const child = node.children.get(name);
      if (child !== undefined) yield toEntry(name, child);
    }
  }

  async openRead(path: string, options: ReadOptions = {}): Promise<Readable> {
    this.guard();
    const norm = normalizeStoragePath(path);
    throwIfAborted(options.signal, norm);
    const data = this.fileAt(norm).data;
    const range = resolveRange(options, data.length, this.features, norm);
    function* chunks(): Generator<Buffer> {
      if (range === null) return;
      for (let at = range.start; at <= range.end; at += READ_CHUNK) yield data.subarray(at, Math.min(at + READ_CHUNK, range.end + 1));
    }
    const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: READ_CHUNK });
    return options.signal === undefined ? stream : addAbortSignal(options.signal, stream);
  }

  async openWrite(path: string, options: WriteOptions = {}): Promise<Writer> {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    checkWriteOptions(options, this.features, norm);
    throwIfAborted(options.signal, norm);
    const parentPath = parentStoragePath(norm);
    if (parentPath === null) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
    this.mkdirp(parentPath);
    if (this.find(norm)?.kind === 'dir') throw new StorageError('is_a_directory', 'target is a directory', { path: norm });
    const writer: MemoryWriter = new MemoryWriter({
      path: norm,
      reserve: (extra) => this.reserve(extra, norm),
      release: (bytes) => { this.usedBytes -= bytes; },
      publish: (data, opts) => this.place(norm, this.newFile(data, opts), opts.noReplace === true),
      done: (w) => this.writers.delete(w),
    }, options);
    this.writers.add(writer);
    return writer;
  }

  async remove(path: string, options: SignalOptions = {}): Promise<boolean> {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    throwIfAborted(options.signal, norm);
    const parentPath = parentStoragePath(norm);
    if (parentPath === null) throw new StorageError('invalid_argument', 'cannot remove the root', { path: norm });
    const parent = this.find(parentPath);
    if (parent?.kind !== 'dir') return false;
    const name = baseStorageName(norm);
    const node = parent.children.get(name);
    if (node === undefined) return false;
    if (node.kind === 'dir' && node.children.size > 0) throw new StorageError('not_empty', 'directory is not empty', { path: norm });
    if (node.kind === 'file') this.usedBytes -= node.data.length;
    parent.children.delete(name);
    parent.mtimeMs = Date.now();
    return true;
  }

  async mkdir(path: string, options: SignalOptions = {}): Promise<void> {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    throwIfAborted(options.signal, norm);
    this.mkdirp(norm);
  }

  async setMeta(path: string, meta: MetaOptions, options: SignalOptions = {}): Promise<void> {
    this.guard();
    const norm = normalizeStoragePath(path);
    assertNotTempPath(norm);
    checkMetaOptions(meta, this.features, norm);
    throwIfAborted(options.signal, norm);
    const node = this.find(norm);
    if (node === undefined) throw new StorageError('not_found', 'no such object', { path: norm });
    if (meta.mtimeMs !== undefined) node.mtimeMs = meta.mtimeMs;
    if (meta.atimeMs !== undefined) node.atimeMs = meta.atimeMs;
    if (meta.mode !== undefined) node.mode = meta.mode;
    if (meta.uid !== undefined) node.uid = meta.uid;
    if (meta.gid !== undefined) node.gid = meta.gid;
  }

  /** In-flight data only ever lives in this instance's live writers, so there is never a stale temp file. */
  async cleanupTemp(dir = '', options: TempCleanupOptions = {}): Promise<TempCleanupResult> {
    this.guard();
    const norm = normalizeStoragePath(dir);
    throwIfAborted(options.signal, norm);
    this.dirAt(norm);
    return { paths: [], bytes: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.writers].map((w) => w.abort(new StorageError('closed', 'driver closed'))));
    this.closed = true;
  }

  async copy(from: string, to: string, options: SignalOptions & MetaOptions = {}): Promise<CommitResult> {
    this.guard();
    const src = normalizeStoragePath(from);
    const dst = normalizeStoragePath(to);
    assertNotTempPath(dst);
    checkMetaOptions(options, this.features, dst);
    throwIfAborted(options.signal, dst);
    const file = this.fileAt(src);
    const parentPath = parentStoragePath(dst);
    if (parentPath === null) throw new StorageError('is_a_directory', 'the root is a directory', { path: dst });
    this.mkdirp(parentPath);
    this.reserve(file.data.length, dst);
    try {
      this.place(dst, this.newFile(file.data, { ...options, metadata: file.metadata, storageClass: file.storageClass, mode: options.mode ?? file.mode }));
    } catch (err) {
      this.usedBytes -= file.data.length;
      throw err;
    }
    return { size: file.data.length };
  }

  async rename(from: string, to: string, options: SignalOptions = {}): Promise<void> {
    this.guard();
    const src = normalizeStoragePath(from);
    const dst = normalizeStoragePath(to);
    assertNotTempPath(dst);
    throwIfAborted(options.signal, dst);
    const srcParentPath = parentStoragePath(src);
    const dstParentPath = parentStoragePath(dst);
    if (srcParentPath === null || dstParentPath === null) throw new StorageError('invalid_argument', 'cannot rename the root', { path: src });
    const node = this.find(src);
    if (node === undefined) throw new StorageError('not_found', 'no such object', { path: src });
    if (src === dst) return;
    if (node.kind === 'dir' && (dst + '/').startsWith(src + '/')) {
      throw new StorageError('invalid_argument', 'cannot move a directory into itself', { path: dst });
    }
    const dstParent = this.mkdirp(dstParentPath);
    const name = baseStorageName(dst);
    const existing = dstParent.children.get(name);
    if (existing !== undefined) {
      if (existing.kind === 'dir' && node.kind === 'file') throw new StorageError('is_a_directory', 'target is a directory', { path: dst });
      if (existing.kind === 'file' && node.kind === 'dir') throw new StorageError('not_a_directory', 'target is a file', { path: dst });
      if (existing.kind === 'dir' && existing.children.size > 0) throw new StorageError('not_empty', 'target directory is not empty', { path: dst });
      if (existing.kind === 'file') this.usedBytes -= existing.data.length;
    }
    const srcParent = this.find(srcParentPath) as MemDir;
    srcParent.children.delete(baseStorageName(src));
    dstParent.children.set(name, node);
    const now = Date.now();
    srcParent.mtimeMs = now;
    dstParent.mtimeMs = now;
  }

  async checksum(path: string, algorithm: ChecksumAlgorithm, options: SignalOptions = {}): Promise<string> {
    this.guard();
    const norm = normalizeStoragePath(path);
    throwIfAborted(options.signal, norm);
    if (!this.features.nativeChecksums.includes(algorithm)) {
      throw new StorageError('unsupported', `checksum ${algorithm} is not supported`, { path: norm });
    }
    return createHash(algorithm).update(this.fileAt(norm).data).digest('hex');
  }
}

/** Registry factory. Why a function: the registry only knows `(config: unknown) => Promise<StorageDriver>`. */
export async function createMemoryDriver(config: unknown): Promise<StorageDriver> {
  return new MemoryDriver(parseMemoryConfig(config));
}
