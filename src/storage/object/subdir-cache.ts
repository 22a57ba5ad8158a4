/**
 * What one object-store driver instance (s3, azure) recently learnt about the subdirectories of
 * directories, so that writing a file does not cost a LIST of its own.
 *
 * Why: the contract refuses to write a file over a directory (`is_a_directory`), and on an object store a
 * directory is any key under `<path>/`, which only a LIST can tell. One LIST per written file doubled the requests of a
 * small-file copy and, on Ceph RGW, cost ~40 ms each (RGW answers a body in two segments without
 * TCP_NODELAY, and a keep-alive client delays its ACK). A listing of the PARENT answers the question for
 * every file written there: it names all subdirectories of the parent (CommonPrefixes). The engine's
 * planner lists each destination folder anyway (`list()` records what it saw), and a writer whose parent is
 * unknown lists it once (one page), shared by concurrent writers.
 *
 * Rules that keep it safe:
 * - Only "`name` is NOT a subdirectory of `dir`" is trusted, and only from a complete listing, for `ttlMs`
 *   after the listing started. A name the cache holds is always re-checked by the caller with a LIST, so
 *   a stale "is a directory" can never refuse a write wrongly.
 * - Whatever this instance creates under `dir/name/` (a write, a temporary object, mkdir, copy) is noted at
 *   once, also while a listing of `dir` is in flight (the listing is merged with the notes), so the
 *   instance never trusts a listing that predates its own keys.
 * - Another client creating `dir/name/…` within the TTL is not seen: the same race as between any check and
 *   the write, and the same bound as the ancestor checks (`notFiles`) of the driver.
 * Memory: at most `maxDirs` directories (all forgotten when full) of at most `maxNames` names each (a
 * larger listing is not recorded: its files fall back to one LIST each).
 */

interface DirEntry {
  /** Subdirectory names: from a listing (when `complete`) plus the names noted by this instance. */
  readonly names: Set<string>;
  /** The names come from a complete listing, so a name NOT in the set is known not to be a subdirectory. */
  complete: boolean;
  /** Listing too large to record: do not list this directory again before `expires`. */
  tooLarge: boolean;
  expires: number;
}

/** Cache of subdirectory names per directory (storage paths, '' is the root). See the file header. */
export class SubdirCache {
  private readonly entries = new Map<string, DirEntry>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly ttlMs: number, private readonly maxDirs = 1_000, private readonly maxNames = 10_000) {}

  private live(dir: string, now: number): DirEntry | undefined {
    const e = this.entries.get(dir);
    if (e === undefined) return undefined;
    if (e.expires > now) return e;
    this.entries.delete(dir);
    return undefined;
  }

  private put(dir: string, entry: DirEntry): void {
    if (!this.entries.has(dir) && this.entries.size >= this.maxDirs) this.entries.clear();
    this.entries.set(dir, entry);
  }

  /** True only when a complete, fresh listing of `dir` says `name` is not a subdirectory (see the header). */
  isKnownNotDir(dir: string, name: string, now = Date.now()): boolean {
    const e = this.live(dir, now);
    return e !== undefined && e.complete && !e.names.has(name);
  }

  /** True when listing `dir` again now would teach nothing new: a fresh complete listing, or one too large. */
  isSettled(dir: string, now = Date.now()): boolean {
    const e = this.live(dir, now);
    return e !== undefined && (e.complete || e.tooLarge);
  }

  /**
   * Record a complete listing of `dir` that started at `since`: `names` are ALL its subdirectories, or
   * `'too_large'` when the listing was not read to the end (the directory is not listed again before the TTL).
   * Names this instance noted meanwhile are kept.
   */
  recordListing(dir: string, names: Iterable<string> | 'too_large', since: number, now = Date.now()): void {
    const expires = since + this.ttlMs;
    if (expires <= now) return;
    const noted = this.live(dir, now)?.names ?? new Set<string>();
    if (names === 'too_large') {
      this.put(dir, { names: noted, complete: false, tooLarge: true, expires });
      return;
    }
    const all = new Set(names);
    if (all.size > this.maxNames) {
      this.put(dir, { names: noted, complete: false, tooLarge: true, expires });
      return;
    }
    for (const n of noted) all.add(n);
    this.put(dir, { names: all, complete: true, tooLarge: false, expires });
  }

  /** This instance is creating keys under `dir/name/`: from now on `name` counts as a subdirectory of `dir`. */
  noteSubdir(dir: string, name: string, now = Date.now()): void {
    const e = this.live(dir, now);
    if (e !== undefined) e.names.add(name);
    else this.put(dir, { names: new Set([name]), complete: false, tooLarge: false, expires: now + this.ttlMs });
  }

  /** Note every ancestor of `path` (a/b/c → '' has a, a has b; with `self`, a/b has c too). */
  noteAncestors(segments: readonly string[], self: boolean, now = Date.now()): void {
    const last = self ? segments.length : segments.length - 1;
    let dir = '';
    for (let i = 0; i < last; i++) {
      const name = segments[i] as string;
      this.noteSubdir(dir, name, now);
      dir = dir === '' ? name : `${dir}/${name}`;
    }
  }

  /**
   * Run `list` for `dir` unless a listing of it is already in flight (then wait for that one). Why: eight
   * writers starting in a new folder at once must not list it eight times. `list` records its result itself.
   */
  async once(dir: string, list: () => Promise<void>): Promise<void> {
    let p = this.pending.get(dir);
    if (p === undefined) {
      p = list().finally(() => this.pending.delete(dir));
      this.pending.set(dir, p);
    }
    await p;
  }
}
