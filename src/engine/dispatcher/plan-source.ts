/**
 * What a run's walk plans from besides its sources: backups land in a dated snapshot folder (named
 * after the run's start, so a resumed run keeps it); an incremental compares with the task's previous
 * good backup; a restore reads a backup's catalog.
 */
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext, TaskSnapshot } from '../execution-context.js';
import type { StoreParts } from './stats.js';
import type { PlanSource } from './walk.js';

export async function planSource(
  ctx: ExecutionContext, row: ExecutionRow, restoreFrom: string | null, restoreStorages: string[], d: Pick<StoreParts, 'executions' | 'ledger' | 'clock'>,
): Promise<PlanSource> {
  const action = ctx.snapshot.workflow_action;
  if (restoreFrom) {
    return { restore: { entries: (after) => d.ledger.catalogEntries(restoreFrom, after), epOf: (id) => restoreStorages.indexOf(id) } };
  }
  if (action !== 'full_backup' && action !== 'incremental_backup') return {};
  const started = row.started_at ?? d.clock.now().toISOString();
  // Millisecond precision: two runs of one task (never concurrent) get distinct, sortable folders.
  const snapshotDir = `backup-${started.replace(/[-:]/g, '')}`;
  if (action === 'full_backup') return { snapshotDir };
  const done = await d.executions.lastDone(ctx.taskId, ctx.id);
  const prev = done.find((e) => ['full_backup', 'incremental_backup'].includes((JSON.parse(e.task_snapshot) as TaskSnapshot).workflow_action));
  if (!prev) {
    ctx.notes.push('incremental_backup: no previous good backup of this task, so every file is copied');
    return { snapshotDir };
  }
  return { snapshotDir, previous: { executionId: prev.id, dir: (sid, parent) => d.ledger.catalogDir(prev.id, sid, parent) } };
}
