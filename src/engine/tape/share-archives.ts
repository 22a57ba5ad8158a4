/**
 * The tape copies of a share's files (for `cache_cleaning`): for a path of the share, the copy the
 * archives of that share put on tape. Why computed from the archive executions rather than stored
 * with each tape file: an archive's member name is a pure function of its task snapshot — the source
 * node paths, `working_dir`, `ignore_common_path` and the destination node path (tape-run.ts's
 * archive list) — so the catalog needs no second copy of it, and `tape_files.execution_id` ties each
 * committed copy to its archive. Rows rebuilt by `get_index` have no execution: they are never used to
 * evict (nothing says which share they came from).
 *
 * A copy counts only when it is verified: its session was committed (a `tape_files` row exists only
 * then) with a checksum, and its size and mtime are the local file's (the file is unchanged since).
 */
import { normalizeNodePath } from '../../domain/storage-path.js';
import { endpointKind } from '../../domain/task.js';
import type { TapeCacheRepository, TapeCopyRow } from '../../store/tape-cache-repository.js';
import { isUnderPath } from '../../domain/tape.js';
import { commonParent, destinationPath, segments } from '../dispatcher/plan.js';
import type { TaskSnapshot } from '../execution-context.js';

/** One archive of the share: which paths it covered and where their members went. */
interface ShareArchive {
  roots: string[];
  strip: string;
  base: string;
  copies: Map<string, TapeCopyRow[]>;
}

/** What a path's tape copies say about a local file. */
export type CopyVerdict = { kind: 'verified'; copy: TapeCopyRow } | { kind: 'changed'; copy: TapeCopyRow } | { kind: 'none' };

/** The archive's storage paths from a snapshot (as the archive resolved them), or undefined when it cannot be read. */
function archiveOf(snapshot: TaskSnapshot, shareId: string): Omit<ShareArchive, 'copies'> | undefined {
  const src = snapshot.sources[0];
  const dst = snapshot.destinations[0];
  if (!['copy', 'move'].includes(snapshot.workflow_action) || snapshot.sources.length !== 1 || snapshot.destinations.length !== 1) return undefined;
  if (!src || !dst || endpointKind(src.type) !== 'nas' || src.storage_id !== shareId || endpointKind(dst.type) !== 'tape') return undefined;
  const wd = typeof snapshot.options?.working_dir === 'string' ? snapshot.options.working_dir : '/';
  const resolve = (p: string) => {
    const r = normalizeNodePath(p, wd);
    return 'path' in r ? r.path : undefined;
  };
  const roots = (src.node_paths.length ? src.node_paths : ['/']).map(resolve);
  const base = resolve(dst.node_paths[0] ?? '/');
  if (roots.some((r) => r === undefined) || base === undefined) return undefined;
  const strip = snapshot.options?.ignore_common_path === true ? commonParent(roots as string[]) : '/';
  return { roots: roots as string[], strip, base };
}

export class ShareArchives {
  private constructor(private readonly archives: ShareArchive[]) {}

  /** The archives of `shareId` that committed files to tape, newest first. */
  static async load(repo: TapeCacheRepository, shareId: string): Promise<ShareArchives> {
    const out: ShareArchive[] = [];
    for (const e of await repo.archiveExecutions()) {
      const a = archiveOf(JSON.parse(e.task_snapshot) as TaskSnapshot, shareId);
      if (!a) continue;
      const copies = new Map<string, TapeCopyRow[]>();
      for (const r of await repo.copiesOf(e.id)) copies.set(r.path, [...(copies.get(r.path) ?? []), r]);
      out.push({ ...a, copies });
    }
    return new ShareArchives(out);
  }

  /** How many archives of the share there are (for the log). */
  get count(): number {
    return this.archives.length;
  }

  /**
   * The newest verified copy of the share's `path` as it is now (`size`, `mtimeMs`); else whether a
   * copy exists of an earlier state of the file (`changed`), or none.
   */
  verdict(path: string, size: number, mtimeMs: number): CopyVerdict {
    let changed: TapeCopyRow | undefined;
    for (const a of this.archives) {
      if (!a.roots.some((r) => isUnderPath(path, r))) continue;
      const member = segments(destinationPath(path, a.base, a.strip)).join('/');
      const rows = [...(a.copies.get(member) ?? [])].sort((x, y) => (x.recorded_at < y.recorded_at ? 1 : x.recorded_at > y.recorded_at ? -1 : Number(y.session_no) - Number(x.session_no)));
      for (const r of rows) {
        if (r.checksum && Number(r.size) === size && Number(r.mtime_ms) === mtimeMs) return { kind: 'verified', copy: r };
        changed ??= r;
      }
    }
    return changed ? { kind: 'changed', copy: changed } : { kind: 'none' };
  }
}
