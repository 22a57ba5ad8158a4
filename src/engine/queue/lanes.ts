/**
 * Lanes: batches travel (BullMQ on Redis) in one queue per set of storages, so that a mover listens
 * only to the lanes of storages it reaches — and any mover that reaches them can take over a batch
 * whose mover died. An execution's lane is a digest of the storages its endpoints name.
 */
import { createHash } from 'node:crypto';
import type { TaskSnapshot } from '../execution-context.js';

export function laneOf(snapshot: Pick<TaskSnapshot, 'workflow_action' | 'options' | 'sources' | 'destinations'>): string {
  const ids = [...snapshot.sources, ...snapshot.destinations].map((e) => e.storage_id ?? `pool:${e.pool_id ?? ''}`);
  const backup = snapshot.workflow_action === 'restore' ? snapshot.options?.execution_task_id : undefined;
  if (typeof backup === 'string') ids.push(`restore:${backup}`);
  return createHash('sha256').update([...new Set(ids)].sort().join('\n')).digest('hex').slice(0, 16);
}
