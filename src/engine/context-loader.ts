/**
 * Opens what a process needs to work on an execution — its task snapshot and the drivers of its
 * storages — from the execution's row alone. Why alone: a dispatcher and a mover may be different
 * processes (or hosts), and each builds its own context from the store.
 */
import type { ExecutionRow } from '../store/schema.js';
import { ExecutionContext, type TaskSnapshot } from './execution-context.js';
import type { StorageResolver } from './storage-resolver.js';
import { resolveContextIdentity } from '../storage/posix/context-identity.js';

/** Where a restore finds the storages that hold the backup it restores. */
export interface CatalogStorages {
  catalogStorages(executionId: string): Promise<string[]>;
}

/** The backup execution a restore reads from, or null. */
export function restoreSource(snapshot: TaskSnapshot): string | null {
  return snapshot.workflow_action === 'restore' && typeof snapshot.options?.execution_task_id === 'string' ? snapshot.options.execution_task_id : null;
}

/**
 * The context of `row`, with its storages opened; throws when a storage cannot be opened — and when the
 * task's `context_uid`/`context_gid` names no user or group of this host, or this process cannot take
 * those ids (posix-driver.ts): such work is never run with the process's own rights.
 */
export async function loadContext(row: ExecutionRow, resolver: StorageResolver, catalog: CatalogStorages): Promise<{ ctx: ExecutionContext; restoreStorages: string[] }> {
  const snapshot = JSON.parse(row.task_snapshot) as TaskSnapshot;
  const restoreFrom = restoreSource(snapshot);
  // A restore from a backup reads from the storages that hold the backup's snapshots.
  const restoreStorages = restoreFrom ? await catalog.catalogStorages(restoreFrom) : [];
  const sourceEndpoints = restoreFrom ? restoreStorages.map((id) => ({ id, type: 'nas', storage_id: id, pool_id: null, node_paths: ['/'], range: null })) : snapshot.sources;
  const context = resolveContextIdentity({ contextUid: snapshot.options?.context_uid, contextGid: snapshot.options?.context_gid }) ?? undefined;
  const options = context === undefined ? {} : { context };
  const sources = await Promise.all(sourceEndpoints.map((e) => resolver.resolve(e, options)));
  const destinations = await Promise.all(snapshot.destinations.map((e) => resolver.resolve(e, options)));
  return { ctx: new ExecutionContext(row.id, row.task_id, snapshot, sources, destinations, row.state), restoreStorages };
}
