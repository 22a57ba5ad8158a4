/**
 * The final step of a successful run, on the directory tree: give destination folders their source
 * dates (reset_folder_date), and after a move (remove_root_folder) or an erase remove the source
 * folders the run emptied — only below the task's selected paths (data-safety rule 4), bottom-up,
 * and never a folder that still holds anything.
 */
import type { ExecutionContext } from '../execution-context.js';
import { destinationBases, sourceRoots } from './planner.js';
import { commonParent, destinationPath, joinPath } from './plan.js';
import { walk } from './walker.js';

export async function finalizeTree(ctx: ExecutionContext): Promise<void> {
  const action = ctx.snapshot.workflow_action;
  if (action === 'speedtest') {
    const targets = ctx.snapshot.destinations.length > 0 ? ctx.destinations : ctx.sources;
    for (const t of targets) {
      await t.driver.remove(joinPath('/.barge-speedtest', ctx.id)).catch(() => false);
      await t.driver.remove('/.barge-speedtest').catch(() => false); // only if no other test is running
    }
    return;
  }
  const roots = sourceRoots(ctx);
  const bases = destinationBases(ctx);
  const signal = ctx.abort.signal;
  if (ctx.opts.resetFolderDate && ['copy', 'move', 'restore'].includes(action)) {
    const strip = ctx.opts.ignoreCommonPath ? commonParent(roots.flat()) : '/';
    for (const [ep, paths] of roots.entries()) {
      const src = ctx.sources[ep]?.driver;
      if (!src) continue;
      for (const [np, p] of paths.entries()) {
        const dirs: Array<{ path: string; mtimeMs: number; atimeMs?: number }> = [];
        const root = await src.stat(p, { signal });
        if (!root || root.kind !== 'dir') continue;
        for await (const w of walk(src, ep, np, p, { recursive: ctx.opts.recursive, ignoreHidden: ctx.opts.ignoreHidden, order: 'asc', signal })) {
          if (w.entry.kind === 'dir' && !w.failure) dirs.push({ path: w.path, mtimeMs: w.entry.mtimeMs, atimeMs: w.entry.atimeMs });
        }
        for (const [i, d] of ctx.destinations.entries()) {
          if (d.driver.features.mtimePrecisionMs === null || !d.driver.features.directories) continue;
          const base = bases[i] ?? '/';
          for (const dir of dirs.reverse()) {
            await d.driver.setMeta(destinationPath(dir.path, base, strip), { mtimeMs: dir.mtimeMs, ...(dir.atimeMs !== undefined ? { atimeMs: dir.atimeMs } : {}) }, { signal }).catch(() => undefined);
          }
        }
      }
    }
  }
  const prune = (action === 'move' && ctx.opts.removeRootFolder) || action === 'erase';
  if (!prune) return;
  for (const [ep, paths] of roots.entries()) {
    const src = ctx.sources[ep]?.driver;
    if (!src || !src.features.directories) continue;
    for (const [np, p] of paths.entries()) {
      const root = await src.stat(p, { signal });
      if (!root || root.kind !== 'dir') continue;
      const dirs: string[] = [];
      for await (const w of walk(src, ep, np, p, { recursive: ctx.opts.recursive, ignoreHidden: ctx.opts.ignoreHidden, order: 'asc', signal })) {
        if (w.entry.kind === 'dir' && !w.failure) dirs.push(w.path);
      }
      // Deepest first; `remove` refuses non-empty folders, which is what keeps anything unplanned safe.
      const keepRoot = action === 'erase' && !ctx.opts.removeRootFolder;
      for (const d of dirs.reverse()) {
        if (keepRoot && d === joinPath(p)) continue;
        if (d === '/') continue;
        await src.remove(d, { signal }).catch(() => false);
      }
    }
  }
}
