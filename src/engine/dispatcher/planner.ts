/**
 * Plans each walked entry against the destination: which operation, to which path. Decisions that
 * depend on the destination (exists? rename to what?) are taken here, once, and travel in the batch.
 * Destination directories are listed once each, never stat'ed per file.
 *
 * What the planner remembers per destination directory — its listing, and the names it already gave
 * out there (planned, maybe not written yet) — must outlive every later item that can land in that
 * directory: a forgotten name can be handed out twice by `conflict_resolution: rename`, and the second
 * copy then replaces the first (a move would have removed both sources: data lost). With one source
 * root (or a restore), items arrive in depth-first order, so a destination directory receives nothing
 * once the walk has left it: what is kept is pruned to the directories on the walk's current path.
 * With several roots, trees can merge into one destination directory at any time: names given out
 * are then kept for the whole execution (listings are re-read when evicted from a small cache).
 */
import type { Entry, StorageDriver } from '../../storage/driver.js';
import { DestinationMemory } from './destination-memory.js';
import type { CatalogEntryRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import { baseName, commonParent, destinationPath, isNormalPath, joinPath, parentOf, renamed } from './plan.js';
import type { WalkEntry } from './walker.js';
import type { EndpointPath, WorkItem } from '../queue/work-item.js';
import { normalizeNodePath } from '../../domain/storage-path.js';
import { StorageError, toStorageError } from '../../storage/errors.js';

const COPY_LIKE = new Set(['copy', 'move', 'full_backup', 'incremental_backup', 'restore', 'duplication']);
export const BACKUP_ACTIONS = new Set(['full_backup', 'incremental_backup']);

/** The catalog of the previous good backup, read one directory at a time. */
export interface PreviousBackup {
  executionId: string;
  dir(storageId: string, parent: string): Promise<Map<string, CatalogEntryRow>>;
}
const DIR_CACHE = 64;

/**
 * A task's node path as a storage path, resolved against `working_dir` as the API validated it. A path
 * that escapes the root (validation refuses it; this guards a task stored by an older version) fails
 * the execution instead of becoming the root — an erase of `/` is not what anyone asked for.
 */
export function resolveNodePath(ctx: ExecutionContext, p: string): string {
  const wd = typeof ctx.snapshot.options.working_dir === 'string' ? ctx.snapshot.options.working_dir : '/';
  const r = normalizeNodePath(p, wd);
  if ('problem' in r) throw new StorageError(r.problem === 'escape' ? 'path_escape' : 'invalid_path', `node path ${JSON.stringify(p)} is not usable (${r.problem})`, { path: p, retryable: false });
  return r.path;
}

/** Source node paths as storage paths, resolved against `working_dir`. */
export function sourceRoots(ctx: ExecutionContext): string[][] {
  return ctx.snapshot.sources.map((s) => (s.node_paths.length ? s.node_paths : ['/']).map((p) => resolveNodePath(ctx, p)));
}

/** Where each destination endpoint writes (its first node path), resolved against `working_dir` like the sources. */
export function destinationBases(ctx: ExecutionContext): string[] {
  return ctx.snapshot.destinations.map((d) => resolveNodePath(ctx, d.node_paths[0] ?? '/'));
}

/** A `fail` item: recorded as a failed file with this error (see work-item.ts). */
function failed(key: string, src: WorkItem['src'], error: StorageError, message: string): WorkItem {
  return { key, op: 'fail', src, size: 0, mtimeMs: 0, error: { code: error.code, message } };
}

/** What the planner decided for one destination of a file. */
type Decision = { path: string; skip?: undefined; unlessSame?: string } | { skip: string; path?: undefined; unlessSame?: undefined };

const UNCHANGED = 'unchanged at the destination (same size and modification time)';
const IGNORED: Decision = { skip: 'destination exists (conflict_resolution: ignore)' };

/** The size, times, mode and owner of a walked entry, as its items carry them (a folder's size is 0). */
function metaOf(e: Entry): { size: number; mtimeMs: number; atimeMs?: number; mode?: number; uid?: number; gid?: number } {
  return { size: e.kind === 'file' ? e.size : 0, mtimeMs: e.mtimeMs, atimeMs: e.atimeMs, mode: e.mode, uid: e.uid, gid: e.gid };
}

export class Planner {
  private readonly strip: string;
  private readonly dstBases: string[];
  /** What is remembered of the destination folders (listings, names given out): see the file header. */
  private readonly memory: DestinationMemory;
  private readonly previousDirs = new Map<string, Map<string, CatalogEntryRow>>();
  /** The snapshot's action and conflict rule, read once (they do not change during an execution). */
  private readonly act: string;
  private readonly copyLike: boolean;
  private readonly backup: boolean;
  private readonly conflict: 'rename' | 'overwrite' | 'ignore';

  constructor(
    private readonly ctx: ExecutionContext,
    /** Optional folder inserted under every destination base (backup snapshots). */
    private readonly snapshotDir: string | null = null,
    /** Incremental backups: files unchanged since this backup are not copied again. */
    private readonly previous: PreviousBackup | null = null,
  ) {
    const roots = sourceRoots(ctx).flat();
    this.strip = ctx.opts.ignoreCommonPath ? commonParent(roots) : '/';
    this.memory = new DestinationMemory(roots.length <= 1, ctx.abort.signal);
    this.dstBases = destinationBases(ctx).map((base) => (snapshotDir ? joinPath(base, snapshotDir) : joinPath(base)));
    this.act = ctx.snapshot.workflow_action;
    this.copyLike = COPY_LIKE.has(this.act);
    this.backup = BACKUP_ACTIONS.has(this.act);
    this.conflict = ctx.opts.conflict;
  }

  get action(): string {
    return this.act;
  }

  /** The items for one walked entry (several destinations → several items). */
  async plan(w: WalkEntry, key: string): Promise<WorkItem[]> {
    const out: WorkItem[] = [];
    const pending = this.planInto(w, key, out);
    if (pending !== undefined) await pending;
    return out;
  }

  /**
   * {@link plan}, appending the items to `out`: undefined when they are all there, else a promise of
   * the rest (a destination folder to list, a previous backup's catalog to read, a rename to decide).
   * Why: most files are planned without waiting for anything, and an async call per file (a promise
   * and a microtask each, three deep) was a visible share of the dispatcher's CPU (issue #14).
   */
  planInto(w: WalkEntry, key: string, out: WorkItem[]): Promise<void> | undefined {
    const e = w.entry;
    const src: EndpointPath = { ep: w.position.ep, path: w.path };
    if (w.failure?.code === 'callback') {
      // The task's filter failed on this entry (engine/callbacks): the file, or the folder left unwalked, fails.
      out.push({ ...failed(e.kind === 'dir' ? `${key}/` : key, src, w.failure, w.failure.message), size: e.kind === 'file' ? e.size : 0 });
      return undefined;
    }
    if (w.failure) {
      // A folder that could not be listed: one failed entry (its key ends with `/`: the folder's own is taken by its mkdir).
      out.push(failed(`${key}/`, src, w.failure, `folder not listed: ${w.failure.message}`));
      return undefined;
    }
    if (e.kind === 'symlink' || e.kind === 'other') {
      if (e.kind === 'symlink' || this.act !== 'erase') out.push({ key, op: 'skip', src, ...metaOf(e), size: 0, note: `${e.kind === 'symlink' ? 'symbolic link' : 'special file'} not transferred` });
      return undefined;
    }
    if (this.act === 'erase' || this.act === 'scan') {
      if (e.kind === 'file') out.push({ key, op: this.act, src, ...metaOf(e) });
      return undefined;
    }
    if (this.act === 'check_consistency') {
      if (e.kind !== 'file') return undefined;
      const meta = metaOf(e);
      this.dstBases.forEach((base, i) => out.push({ key: `${key}>${i}`, op: 'verify' as const, src, dst: { ep: i, path: destinationPath(w.path, base, this.strip) }, ...meta }));
      return undefined;
    }
    if (!this.copyLike) return undefined;
    for (let i = 0; i < this.dstBases.length; i++) {
      const pending = this.planDestination(w, key, src, i, out);
      if (pending !== undefined) return this.planRest(pending, w, key, src, i + 1, out);
    }
    return undefined;
  }

  /** The destinations from `from` on, once `pending` (an earlier one's) is done. */
  private async planRest(pending: Promise<void>, w: WalkEntry, key: string, src: EndpointPath, from: number, out: WorkItem[]): Promise<void> {
    await pending;
    for (let i = from; i < this.dstBases.length; i++) {
      const next = this.planDestination(w, key, src, i, out);
      if (next !== undefined) await next;
    }
  }

  /** The item of a copy-like action for destination `i` (see planInto). */
  private planDestination(w: WalkEntry, key: string, src: EndpointPath, i: number, out: WorkItem[]): Promise<void> | undefined {
    const dst = this.ctx.destinations[i]?.driver;
    if (!dst) return undefined;
    const e = w.entry;
    const base = this.dstBases[i] as string;
    // The common case as strings: nothing stripped, a path in normal form (destinationPath's result).
    const fast = this.strip === '/' && isNormalPath(w.path);
    const target = fast ? (base === '/' ? w.path : base + w.path) : destinationPath(w.path, base, this.strip);
    const k = this.dstBases.length > 1 ? `${key}>${i}` : key;
    if (e.kind === 'dir') {
      if (dst.features.directories) {
        out.push({ key: k, op: 'mkdir', src, dst: { ep: i, path: target }, size: 0, mtimeMs: e.mtimeMs, atimeMs: e.atimeMs, mode: e.mode, uid: e.uid, gid: e.gid });
        // A folder new at the destination needs no listing for its files' conflict decisions.
        if (this.conflict !== 'overwrite') return this.memory.madeFolder(dst, i, target, w.position.path.length === 0);
      }
      return undefined;
    }
    if (this.backup) {
      if (this.previous !== null) return this.planBackup(w, k, src, i, target, out);
      out.push({ key: k, op: 'copy', src, dst: { ep: i, path: target }, ...metaOf(e) });
      return undefined;
    }
    const cut = target.lastIndexOf('/');
    const normal = fast || isNormalPath(target);
    const dir = normal ? (cut === 0 ? '/' : target.slice(0, cut)) : parentOf(target);
    const name = normal ? target.slice(cut + 1) : baseName(target);
    const folder = this.memory.folder(i, dir);
    // Decided here when nothing needs waiting for (resolveConflict's first steps, without an await).
    let decided: Decision | undefined;
    if (this.conflict === 'overwrite') {
      folder.taken.add(name);
      decided = undefined;
    } else {
      const existing = this.memory.cachedListing(folder);
      if (existing === undefined) return this.planConflict(dst, w, k, src, i, target, out);
      if (existing.has(name) || folder.taken.has(name)) {
        if (this.conflict !== 'ignore') return this.planConflict(dst, w, k, src, i, target, out);
        decided = IGNORED;
      } else {
        folder.taken.add(name);
      }
    }
    this.push(out, k, e, src, i, target, decided);
    return undefined;
  }

  /** The item of a file decided `decided` (undefined: written at `target`). Built field by field: one shape, no spread copies. */
  private push(out: WorkItem[], k: string, e: Entry, src: EndpointPath, i: number, target: string, decided: Decision | undefined): void {
    if (decided?.skip !== undefined) {
      out.push({ key: k, op: 'skip', src, dst: { ep: i, path: target }, ...metaOf(e), note: decided.skip });
      return;
    }
    const planned: WorkItem = {
      key: k, op: this.act === 'move' ? 'move' : 'copy', src, dst: { ep: i, path: decided === undefined ? target : decided.path },
      size: e.kind === 'file' ? e.size : 0, mtimeMs: e.mtimeMs, atimeMs: e.atimeMs, mode: e.mode, uid: e.uid, gid: e.gid,
    };
    if (decided?.unlessSame !== undefined) planned.unlessSame = decided.unlessSame;
    out.push(planned);
  }

  /** A backup's file with a previous backup: unchanged since (a skip) or copied. */
  private async planBackup(w: WalkEntry, k: string, src: EndpointPath, i: number, target: string, out: WorkItem[]): Promise<void> {
    const unchanged = await this.unchangedSince(w);
    out.push(unchanged
      ? { key: k, op: 'skip', src, dst: { ep: i, path: target }, ...metaOf(w.entry), stored: unchanged, note: `unchanged since backup ${this.previous?.executionId}` }
      : { key: k, op: 'copy', src, dst: { ep: i, path: target }, ...metaOf(w.entry) });
  }

  /** A file whose conflict decision waits for something (see resolveConflict). */
  private async planConflict(dst: StorageDriver, w: WalkEntry, k: string, src: EndpointPath, i: number, target: string, out: WorkItem[]): Promise<void> {
    const e = w.entry;
    let decided: Decision;
    try {
      decided = await this.resolveConflict(dst, i, target, e.kind === 'file' ? { size: e.size, mtimeMs: e.mtimeMs } : undefined);
    } catch (err) {
      // The destination folder could not be listed: without it no conflict decision is safe.
      if (this.ctx.abort.signal.aborted) throw err;
      const error = toStorageError(err, parentOf(target));
      out.push({ ...failed(k, src, error, `destination folder not listed: ${error.message}`), size: e.kind === 'file' ? e.size : 0, dst: { ep: i, path: target } });
      return;
    }
    this.push(out, k, e, src, i, target, decided);
  }

  /** Where the previous backup keeps this file, if it has not changed since (same size and mtime). */
  private async unchangedSince(w: WalkEntry): Promise<{ storageId: string; path: string } | null> {
    if (!this.previous) return null;
    const storageId = this.ctx.sources[w.position.ep]?.storageId ?? '';
    const parent = parentOf(w.path);
    const key = `${storageId}:${parent}`;
    let dir = this.previousDirs.get(key);
    if (!dir) {
      dir = await this.previous.dir(storageId, parent);
      this.previousDirs.set(key, dir);
      if (this.previousDirs.size > DIR_CACHE) this.previousDirs.delete(this.previousDirs.keys().next().value as string);
    }
    const prev = dir.get(baseName(w.path));
    if (!prev || prev.stored_path === null || prev.stored_storage_id === null) return null;
    if (Number(prev.size) !== w.entry.size || Number(prev.mtime_ms) !== w.entry.mtimeMs) return null;
    return { storageId: prev.stored_storage_id, path: prev.stored_path };
  }

  /**
   * Restore of a backup from its catalog: the file's bytes come from the snapshot that holds them
   * (`srcEp` is the index of that storage among the execution's sources), and land at the file's
   * original path under the destination.
   */
  async planRestore(entry: CatalogEntryRow, srcEp: number, key: string): Promise<WorkItem[]> {
    // Catalog entries come in path order: subtrees are contiguous, as in a walk of one root.
    this.memory.restoring();
    const out: WorkItem[] = [];
    const meta = { size: Number(entry.size), mtimeMs: Number(entry.mtime_ms), mode: entry.mode ?? undefined, uid: entry.uid ?? undefined, gid: entry.gid ?? undefined };
    for (let i = 0; i < this.dstBases.length; i++) {
      const dst = this.ctx.destinations[i]?.driver;
      if (!dst || entry.stored_path === null) continue;
      const target = destinationPath(entry.path, this.dstBases[i] as string, '/');
      const k = this.dstBases.length > 1 ? `${key}>${i}` : key;
      const decided = await this.resolveConflict(dst, i, target, meta);
      const src = { ep: srcEp, path: entry.stored_path };
      out.push(decided.skip !== undefined
        ? { key: k, op: 'skip', src, dst: { ep: i, path: target }, ...meta, note: decided.skip }
        : { key: k, op: 'copy', src, dst: { ep: i, path: decided.path }, ...meta, ...(decided.unlessSame !== undefined ? { unlessSame: decided.unlessSame } : {}) });
    }
    return out;
  }

  /**
   * A walk resumed after a crash: the names handed out before it (`batches`, all planned items so far)
   * are taken again, so that a rename decided then for a file not yet written is not decided twice.
   * `resumeAt` is the source path of the checkpoint (null: the walk had not planned anything); with
   * contiguous subtrees only the folders on its path are kept.
   */
  async remember(batches: AsyncIterable<WorkItem[]>, resumeAt: string | null, restoring: boolean): Promise<void> {
    if (this.ctx.opts.conflict === 'overwrite' || resumeAt === null) return;
    const targets = this.dstBases.map((base) => destinationPath(resumeAt, base, restoring ? '/' : this.strip));
    await this.memory.remember(batches, targets, restoring);
  }

  /**
   * Where a file goes: its target, a renamed target, or nowhere (`skip`: the reason for the ledger).
   * Ignore skips whatever is there. With rename, a file already at the destination with the same size
   * and modification time is the same file (a re-run must not write `name (1).ext` beside every
   * unchanged file); with
   * `file_checksum` that is only a presumption, so rename plans the next free name and leaves the
   * mover to compare checksums (`unlessSame`) before writing it. A move never skips this way: its
   * source must go, which only a transfer does.
   */
  private async resolveConflict(dst: StorageDriver, ep: number, target: string, file?: { size: number; mtimeMs: number }): Promise<Decision> {
    const dir = parentOf(target);
    const name = baseName(target);
    const { taken, key } = this.memory.folder(ep, dir);
    if (this.conflict === 'overwrite') {
      taken.add(name);
      return { path: target };
    }
    const existing = await this.memory.listing(dst, dir, key);
    const exists = (n: string) => existing.has(n) || taken.has(n);
    if (!exists(name)) {
      taken.add(name);
      return { path: target };
    }
    if (this.conflict === 'ignore') return IGNORED;
    // The file itself, or its copy under a name an earlier run gave it (`name (n).ext`).
    let same: string | undefined;
    const check = async (n: string): Promise<void> => {
      if (same !== undefined || !file || this.action === 'move' || taken.has(n)) return;
      const there = existing.get(n);
      if (there && (await this.sameFile(dst, joinPath(dir, n), there, file))) same = joinPath(dir, n);
    };
    await check(name);
    for (let n = 1; ; n++) {
      if (same !== undefined && !this.ctx.opts.checksum) return { skip: UNCHANGED };
      const candidate = renamed(name, n);
      if (!exists(candidate)) {
        taken.add(candidate);
        return { path: joinPath(dir, candidate), ...(same !== undefined ? { unlessSame: same } : {}) };
      }
      await check(candidate);
    }
  }

  /**
   * The file at the destination is taken for this one: same size, and a modification time that
   * says so. Where copies keep the source's mtime (`reset_file_date`, or object stores that record
   * it in metadata) it must be the source's (within the destination's precision); where they do not,
   * a copy's mtime is when it was written, so it must not be older than the source's last change
   * (rsync's `--update` reading). An object store's listing has upload times (the file's own mtime is
   * in its metadata): there a same-size file whose listed time disagrees is looked at once more with
   * `stat`.
   */
  private async sameFile(dst: StorageDriver, path: string, there: Entry, file: { size: number; mtimeMs: number }): Promise<boolean> {
    if (there.kind !== 'file' || there.size !== file.size) return false;
    const tolerance = Math.max(1, dst.features.mtimePrecisionMs ?? 1);
    const keeps = this.ctx.opts.resetFileDate || dst.features.attributesAsMetadata;
    const agrees = (mtimeMs: number): boolean => (keeps ? Math.abs(mtimeMs - file.mtimeMs) < tolerance : mtimeMs + tolerance > file.mtimeMs);
    if (agrees(there.mtimeMs)) return true;
    if (!dst.features.attributesAsMetadata) return false;
    const st = await dst.stat(path, { signal: this.ctx.abort.signal });
    return st !== null && st.kind === 'file' && st.size === file.size && agrees(st.mtimeMs);
  }
}
