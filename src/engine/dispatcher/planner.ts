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
import type { CatalogEntryRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import { baseName, commonParent, destinationPath, joinPath, parentOf, renamed } from './plan.js';
import type { WalkEntry } from './walker.js';
import type { WorkItem } from '../queue/work-item.js';
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

export class Planner {
  private readonly strip: string;
  private readonly dirCache = new Map<string, Map<string, Entry>>();
  /** Destination names this execution already decided to write, per destination dir (rename must not reuse them). */
  private readonly planned = new Map<string, Set<string>>();
  private readonly dstBases: string[];
  /** One source root (or a restore): destination directories are visited as contiguous subtrees. */
  private readonly contiguous: boolean;
  /** Per destination endpoint: the directory of the last item planned there (prune when it changes). */
  private readonly lastDir = new Map<number, string>();

  private readonly previousDirs = new Map<string, Map<string, CatalogEntryRow>>();

  constructor(
    private readonly ctx: ExecutionContext,
    /** Optional folder inserted under every destination base (backup snapshots). */
    private readonly snapshotDir: string | null = null,
    /** Incremental backups: files unchanged since this backup are not copied again. */
    private readonly previous: PreviousBackup | null = null,
  ) {
    const roots = sourceRoots(ctx).flat();
    this.strip = ctx.opts.ignoreCommonPath ? commonParent(roots) : '/';
    this.contiguous = roots.length <= 1;
    this.dstBases = destinationBases(ctx).map((base) => (snapshotDir ? joinPath(base, snapshotDir) : joinPath(base)));
  }

  get action(): string {
    return this.ctx.snapshot.workflow_action;
  }

  /** The items for one walked entry (several destinations → several items). */
  async plan(w: WalkEntry, key: string): Promise<WorkItem[]> {
    const e = w.entry;
    const meta = { size: e.kind === 'file' ? e.size : 0, mtimeMs: e.mtimeMs, atimeMs: e.atimeMs, mode: e.mode, uid: e.uid, gid: e.gid };
    const src = { ep: w.position.ep, path: w.path };
    if (w.failure?.code === 'callback') {
      // The task's filter failed on this entry (engine/callbacks): the file, or the folder left unwalked, fails.
      return [{ ...failed(e.kind === 'dir' ? `${key}/` : key, src, w.failure, w.failure.message), size: e.kind === 'file' ? e.size : 0 }];
    }
    if (w.failure) {
      // A folder that could not be listed: one failed entry (its key ends with `/`: the folder's own is taken by its mkdir).
      return [failed(`${key}/`, src, w.failure, `folder not listed: ${w.failure.message}`)];
    }
    if (e.kind === 'symlink' || e.kind === 'other') {
      return e.kind === 'symlink' || this.action !== 'erase' ? [{ key, op: 'skip', src, ...meta, size: 0, note: `${e.kind === 'symlink' ? 'symbolic link' : 'special file'} not transferred` }] : [];
    }
    if (this.action === 'erase') return e.kind === 'file' ? [{ key, op: 'erase', src, ...meta }] : [];
    if (this.action === 'scan') return e.kind === 'file' ? [{ key, op: 'scan', src, ...meta }] : [];
    if (this.action === 'check_consistency') {
      if (e.kind !== 'file') return [];
      return this.dstBases.map((base, i) => ({ key: `${key}>${i}`, op: 'verify' as const, src, dst: { ep: i, path: destinationPath(w.path, base, this.strip) }, ...meta }));
    }
    if (!COPY_LIKE.has(this.action)) return [];
    const out: WorkItem[] = [];
    for (let i = 0; i < this.dstBases.length; i++) {
      const dst = this.ctx.destinations[i]?.driver;
      if (!dst) continue;
      const target = destinationPath(w.path, this.dstBases[i] as string, this.strip);
      const k = this.dstBases.length > 1 ? `${key}>${i}` : key;
      if (e.kind === 'dir') {
        if (dst.features.directories) out.push({ key: k, op: 'mkdir', src, dst: { ep: i, path: target }, ...meta, size: 0 });
        continue;
      }
      if (BACKUP_ACTIONS.has(this.action)) {
        const unchanged = await this.unchangedSince(w);
        out.push(unchanged
          ? { key: k, op: 'skip', src, dst: { ep: i, path: target }, ...meta, stored: unchanged, note: `unchanged since backup ${this.previous?.executionId}` }
          : { key: k, op: 'copy', src, dst: { ep: i, path: target }, ...meta });
        continue;
      }
      let decided: Decision;
      try {
        decided = await this.resolveConflict(dst, i, target, e.kind === 'file' ? meta : undefined);
      } catch (err) {
        // The destination folder could not be listed: without it no conflict decision is safe.
        if (this.ctx.abort.signal.aborted) throw err;
        const error = toStorageError(err, parentOf(target));
        out.push({ ...failed(k, src, error, `destination folder not listed: ${error.message}`), size: meta.size, dst: { ep: i, path: target } });
        continue;
      }
      if (decided.skip !== undefined) {
        out.push({ key: k, op: 'skip', src, dst: { ep: i, path: target }, ...meta, note: decided.skip });
        continue;
      }
      // Built field by field: the one object per file of a plain copy (no spread copies).
      const planned: WorkItem = {
        key: k, op: this.action === 'move' ? 'move' : 'copy', src, dst: { ep: i, path: decided.path },
        size: meta.size, mtimeMs: meta.mtimeMs, atimeMs: meta.atimeMs, mode: meta.mode, uid: meta.uid, gid: meta.gid,
      };
      if (decided.unlessSame !== undefined) planned.unlessSame = decided.unlessSame;
      out.push(planned);
    }
    return out;
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
    this.restoring = true;
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

  private restoring = false;

  /** Items come as contiguous subtrees (one root, or a restore): memory is pruned to the walk's path. */
  private get subtrees(): boolean {
    return this.contiguous || this.restoring;
  }

  /**
   * A walk resumed after a crash: the names handed out before it (`batches`, all planned items so far)
   * are taken again, so that a rename decided then for a file not yet written is not decided twice.
   * `resumeAt` is the source path of the checkpoint (null: the walk had not planned anything); with
   * contiguous subtrees only the folders on its path are kept.
   */
  async remember(batches: AsyncIterable<WorkItem[]>, resumeAt: string | null, restoring: boolean): Promise<void> {
    if (this.ctx.opts.conflict === 'overwrite' || resumeAt === null) return;
    this.restoring = restoring;
    const targets = this.dstBases.map((base) => destinationPath(resumeAt, base, restoring ? '/' : this.strip));
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
   * Forgets the destination directories of endpoint `ep` that no later item can reach — those that are
   * not `dir` or one of its ancestors — when items arrive as contiguous subtrees (see the file header).
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
    for (const key of this.planned.keys()) if (!keep(key)) this.planned.delete(key);
    for (const key of this.dirCache.keys()) if (!keep(key)) this.dirCache.delete(key);
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
    this.enter(ep, dir);
    const plannedKey = `${ep}:${dir}`;
    let taken = this.planned.get(plannedKey);
    if (taken === undefined) {
      taken = new Set<string>();
      this.planned.set(plannedKey, taken);
    }
    if (this.ctx.opts.conflict === 'overwrite') {
      taken.add(name);
      return { path: target };
    }
    const existing = await this.listing(dst, dir, plannedKey);
    const exists = (n: string) => existing.has(n) || taken.has(n);
    if (!exists(name)) {
      taken.add(name);
      return { path: target };
    }
    if (this.ctx.opts.conflict === 'ignore') return { skip: 'destination exists (conflict_resolution: ignore)' };
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

  /** `key`: `${ep}:${dir}`, as the names given out are kept. */
  private async listing(dst: StorageDriver, dir: string, key: string): Promise<Map<string, Entry>> {
    const hit = this.dirCache.get(key);
    if (hit) return hit;
    const m = new Map<string, Entry>();
    try {
      for await (const e of dst.list(dir, { signal: this.ctx.abort.signal })) m.set(e.name, e);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'not_found' && code !== 'not_a_directory') throw err;
    }
    this.dirCache.set(key, m);
    // Pruned by `enter` when subtrees are contiguous; otherwise a small cache (names given out are kept apart).
    if (!this.subtrees && this.dirCache.size > DIR_CACHE) this.dirCache.delete(this.dirCache.keys().next().value as string);
    return m;
  }
}
