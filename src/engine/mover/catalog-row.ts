import type { CatalogEntryRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkItem } from '../queue/work-item.js';
import type { ItemOutcome } from './item-runner.js';
import { BACKUP_ACTIONS } from '../dispatcher/planner.js';
import { parentOf } from '../dispatcher/plan.js';
import type { Clock } from '../../lib/clock.js';

/**
 * Whether a copy's outcome (one without a `catalog` of its own) can add a catalog row: only in a
 * backup. Why exported: the mover's batch path builds no outcome object per file when it cannot.
 */
export function copiesCatalogued(ctx: ExecutionContext): boolean {
  return BACKUP_ACTIONS.has(ctx.snapshot.workflow_action);
}

/**
 * What an item adds to the catalog: a scan records what it found; a backup records, for each file of
 * the snapshot, where its bytes are kept (this snapshot, or an earlier one for an unchanged file).
 * Only the first destination is catalogued, so a path has one row per execution.
 */
export function catalogRow(ctx: ExecutionContext, item: WorkItem, out: ItemOutcome, clock: Clock): CatalogEntryRow | undefined {
  // Most items (every plain copy) add nothing: decided before anything is built for them.
  if (!out.catalog && !copiesCatalogued(ctx)) return undefined;
  const now = clock.now().toISOString();
  const base = {
    execution_id: ctx.id, task_id: ctx.taskId, storage_id: ctx.sources[item.src.ep]?.storageId ?? '', path: item.src.path, kind: 'file',
    mode: item.mode ?? null, uid: item.uid ?? null, gid: item.gid ?? null, recorded_at: now, parent: parentOf(item.src.path),
  };
  if (out.catalog) {
    const c = out.catalog;
    return { ...base, size: c.size, mtime_ms: c.mtimeMs, checksum: c.checksum, algorithm: c.checksum ? ctx.opts.checksum : null, stored_storage_id: null, stored_path: null };
  }
  if (!copiesCatalogued(ctx) || !item.dst || item.dst.ep !== 0) return undefined;
  const stored = item.op === 'copy' ? { storageId: ctx.destinations[0]?.storageId ?? '', path: item.dst.path } : item.op === 'skip' ? item.stored : undefined;
  if (!stored) return undefined;
  return {
    ...base, size: out.size, mtime_ms: item.mtimeMs, checksum: out.checksum, algorithm: out.checksum ? ctx.opts.checksum : null,
    stored_storage_id: stored.storageId, stored_path: stored.path,
  };
}
