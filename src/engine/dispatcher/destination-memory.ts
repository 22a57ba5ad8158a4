/**
 * What the planner (planner.ts) remembers of destination folders: each folder's listing, and the names
 * it already gave out there (planned, maybe not written yet). Why it matters, and when it may forget:
 * see planner.ts's header — a forgotten name can be handed out twice by `conflict_resolution: rename`.
 * A module of its own: the rules of forgetting are the delicate part, and the planner had grown past
 * the project's size limit.
 */
import { listInChunks, type Entry, type StorageDriver } from '../../storage/driver.js';
import type { WorkItem } from '../queue/work-item.js';
import { baseName, parentOf } from './plan.js';

/** Listings kept without contiguous subtrees (names given out are kept apart, for the whole execution). */
const DIR_CACHE = 64;

/**
 * The destination folder an endpoint's last items went to, and what is remembered of it. Why: files
 * come folder after folder, and finding this again per file (a key string, two map look-ups) was a
 * visible share of planning a small file (issue #14). Valid while `gen` is the memory's: whenever
 * something remembered is forgotten, the generation moves on.
 */
export interface Folder {
  dir: string;
  /** `${ep}:${dir}`, the key of `planned` and `dirCache`. */
  key: string;
  taken: Set<string>;
  /** The folder's listing, once read (`dirCache`'s). */
  listing: Map<string, Entry> | undefined;
  gen: number;
}

export class DestinationMemory {
  private readonly dirCache = new Map<string, Map<string, Entry>>();
  /** Destination names this execution already decided to write, per destination dir (rename must not reuse them). */
  private readonly planned = new Map<string, Set<string>>();
  /** Per destination endpoint: the directory of the last item planned there (prune when it changes). */
  private readonly lastDir = new Map<number, string>();
  /** Per destination endpoint: its current folder (see Folder). */
  private readonly folders: Array<Folder | undefined> = [];
  /** Moves on whenever `planned` or `dirCache` forgets a folder (a cached Folder is then looked up again). */
  private gen = 0;
  private restore = false;

  constructor(
    /** One source root: destination directories are visited as contiguous subtrees. */
    private readonly contiguous: boolean,
    private readonly signal: AbortSignal,
  ) {}

  /** Items come as contiguous subtrees (one root, or a restore): memory is pruned to the walk's path. */
  private get subtrees(): boolean {
    return this.contiguous || this.restore;
  }

  /** A restore from the catalog: entries come in path order, subtrees are contiguous from now on. */
  restoring(): void {
    if (this.restore) return;
    this.restore = true;
    this.gen++; // folders are now pruned (enter): none was entered so far
  }

  /**
   * A resumed walk: takes again the names of every item planned before it (`batches`); with contiguous
   * subtrees keeps only the folders on the path to each endpoint's resume target (`targets`).
   */
  async remember(batches: AsyncIterable<WorkItem[]>, targets: readonly string[], restoring: boolean): Promise<void> {
    this.restore = restoring;
    this.gen++;
    for await (const items of batches) {
      for (const item of items) {
        if ((item.op !== 'copy' && item.op !== 'move') || !item.dst) continue;
        const key = `${item.dst.ep}:${parentOf(item.dst.path)}`;
        const taken = this.planned.get(key) ?? new Set<string>();
        taken.add(baseName(item.dst.path));
        this.planned.set(key, taken);
      }
      if (this.subtrees) targets.forEach((t, ep) => this.prune(ep, t));
    }
  }

  /**
   * Destination folder `dir` of endpoint `ep` as a file about to land there finds it: entered (see
   * enter), with the names given out there.
   */
  folder(ep: number, dir: string): Folder {
    const cached = this.folders[ep];
    if (cached !== undefined && cached.gen === this.gen && cached.dir === dir) return cached;
    this.enter(ep, dir);
    const key = `${ep}:${dir}`;
    let taken = this.planned.get(key);
    if (taken === undefined) {
      taken = new Set<string>();
      this.planned.set(key, taken);
    }
    const folder: Folder = { dir, key, taken, listing: this.dirCache.get(key), gen: this.gen };
    this.folders[ep] = folder;
    return folder;
  }

  /** The folder's listing if it was read already (undefined: `listing` must read it first). */
  cachedListing(folder: Folder): Map<string, Entry> | undefined {
    return folder.listing ?? (folder.listing = this.dirCache.get(folder.key));
  }

  /** The listing of `dir` (`key`: `${ep}:${dir}`), read once; a folder that is not there lists empty. */
  async listing(dst: StorageDriver, dir: string, key: string): Promise<Map<string, Entry>> {
    const hit = this.dirCache.get(key);
    if (hit) return hit;
    const m = new Map<string, Entry>();
    try {
      for await (const chunk of listInChunks(dst, dir, { signal: this.signal })) for (const e of chunk) m.set(e.name, e);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'not_found' && code !== 'not_a_directory') throw err;
    }
    this.keep(key, m);
    return m;
  }

  /**
   * A walked folder `dir` of endpoint `ep` is about to be made at the destination (its mkdir is planned).
   * When its parent's listing lacks it, the folder is new: its listing is known to be empty, and is not
   * read (a fresh destination then costs one listing per execution instead of one per folder — a file
   * thread round trip the walk waited on, issue #14). The parent's listing is read here if it was not
   * yet; the walk's own base (`base`) has its own listing read instead (its parent may be a large folder
   * outside what the task names). Undefined when nothing had to be read. A folder that appears at the
   * destination after its parent was listed is the race every plan has with other writers (see planner.ts).
   * A listing that fails is not an error here: the folder's files find it again, and fail there.
   */
  madeFolder(dst: StorageDriver, ep: number, dir: string, base: boolean): Promise<void> | undefined {
    const key = `${ep}:${dir}`;
    if (this.dirCache.has(key)) return undefined;
    if (base || dir === '/') return this.quietly(this.listing(dst, dir, key));
    const parent = parentOf(dir);
    const parentKey = `${ep}:${parent}`;
    const known = this.dirCache.get(parentKey);
    if (known === undefined) return this.quietly(this.listing(dst, parent, parentKey).then((m) => this.derive(m, dir, key)));
    this.derive(known, dir, key);
    return undefined;
  }

  /** `dir`'s listing is empty when its parent's (`parent`) lacks it and nothing is known of `dir` yet. */
  private derive(parent: Map<string, Entry>, dir: string, key: string): void {
    if (!parent.has(baseName(dir)) && !this.dirCache.has(key)) this.keep(key, new Map());
  }

  /** A listing read for madeFolder: its failure is left to the files that need it (after an abort, thrown). */
  private quietly(reading: Promise<unknown>): Promise<void> {
    return reading.then(() => undefined, (err: unknown) => {
      if (this.signal.aborted) throw err;
    });
  }

  /** Remembers `dir`'s listing under `key`: pruned by `enter` when subtrees are contiguous, else a small cache (names given out are kept apart). */
  private keep(key: string, m: Map<string, Entry>): void {
    this.dirCache.set(key, m);
    if (!this.subtrees && this.dirCache.size > DIR_CACHE && this.dirCache.delete(this.dirCache.keys().next().value as string)) this.gen++;
  }

  /**
   * Forgets the destination directories of endpoint `ep` that no later item can reach — those that are
   * not `dir` or one of its ancestors — when items arrive as contiguous subtrees (see planner.ts).
   */
  private enter(ep: number, dir: string): void {
    if (!this.subtrees || this.lastDir.get(ep) === dir) return;
    this.lastDir.set(ep, dir);
    this.prune(ep, dir);
  }

  /** Drops what is remembered of endpoint `ep`'s folders that are neither `path` nor its ancestors. */
  private prune(ep: number, path: string): void {
    const prefix = `${ep}:`;
    const keep = (key: string): boolean => {
      if (!key.startsWith(prefix)) return true;
      const d = key.slice(prefix.length);
      return d === path || d === '/' || path.startsWith(`${d}/`);
    };
    for (const key of this.planned.keys()) if (!keep(key) && this.planned.delete(key)) this.gen++;
    for (const key of this.dirCache.keys()) if (!keep(key) && this.dirCache.delete(key)) this.gen++;
  }
}
