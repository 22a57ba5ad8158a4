/**
 * A fixed, varied set of tasks for the list suites: every workflow type, several actions, all the
 * endpoint kinds (plain and `primary_`/`secondary_` aliases, mixed sources, no endpoints at all),
 * and distinct created_at/updated_at instants set directly in the store.
 */
import assert from 'node:assert/strict';
import type { Booted } from './barge.js';
import { nasWithShares, unique } from './fixtures.js';

export interface SeedSpec {
  name: string;
  workflow_type: string;
  workflow_action: string;
  sources: string[];
  destinations: string[];
  /** Hours after BASE. */
  created: number;
  updated: number;
}

export interface Seeded extends SeedSpec {
  id: string;
  created_at: string;
  updated_at: string;
}

export const BASE = Date.parse('2025-01-01T00:00:00.000Z');
export const at = (hours: number): string => new Date(BASE + hours * 3_600_000).toISOString();

/** Names are lowercase letters only: ordering is the same under every collation. */
export const SEED: SeedSpec[] = [
  { name: 'alpha', workflow_type: 'data_migration', workflow_action: 'copy', sources: ['nas'], destinations: ['nas'], created: 30, updated: 100 },
  { name: 'alphabet', workflow_type: 'data_migration', workflow_action: 'move', sources: ['primary_nas'], destinations: ['cloud'], created: 6, updated: 40 },
  { name: 'beta', workflow_type: 'active_archive', workflow_action: 'copy', sources: ['nas'], destinations: ['tape'], created: 48, updated: 49 },
  { name: 'bet', workflow_type: 'active_archive', workflow_action: 'full_backup', sources: ['primary_nas'], destinations: ['primary_cloud'], created: 12, updated: 90 },
  { name: 'bat', workflow_type: 'offline_archive', workflow_action: 'copy', sources: ['cloud'], destinations: ['nas'], created: 24, updated: 60 },
  { name: 'gamma', workflow_type: 'offline_archive', workflow_action: 'scan', sources: ['nas'], destinations: [], created: 0, updated: 200 },
  { name: 'delta', workflow_type: 'data_exchange', workflow_action: 'erase', sources: ['secondary_nas'], destinations: [], created: 18, updated: 24 },
  { name: 'epsilon', workflow_type: 'data_exchange', workflow_action: 'copy', sources: ['nas', 'cloud'], destinations: ['secondary_nas'], created: 36, updated: 36 },
  { name: 'zeta', workflow_type: 'maintenance', workflow_action: 'speedtest', sources: [], destinations: ['nas'], created: 60, updated: 70 },
  { name: 'eta', workflow_type: 'data_enrichment', workflow_action: 'check_consistency', sources: ['cloud'], destinations: ['cloud'], created: 42, updated: 50 },
  { name: 'theta', workflow_type: 'data_migration', workflow_action: 'restore', sources: ['tape'], destinations: ['primary_nas'], created: 54, updated: 80 },
  { name: 'iota', workflow_type: 'maintenance', workflow_action: 'format', sources: ['tape'], destinations: [], created: 3, updated: 10 },
  { name: 'kappa', workflow_type: 'data_migration', workflow_action: 'copy', sources: [], destinations: [], created: 66, updated: 66 },
];

/** The storages endpoints point at: one share, one bucket, one tape pool. */
export interface SeedStorages {
  shareId: string;
  bucketId: string;
  tapePoolId: string;
}

export async function seedStorages(b: Booted): Promise<SeedStorages> {
  const shares = await nasWithShares(b.admin, ['seed']);
  const conn = await b.admin.post('/cloud_connectors', { name: unique('conn'), url: 'http://127.0.0.1:1', provider: 'generic_s3' });
  assert.equal(conn.status, 201, JSON.stringify(conn.body));
  const bucket = await b.admin.post(`/cloud_connectors/${conn.body.id}/cloud_buckets`, { name: `seed-${process.pid}` });
  assert.equal(bucket.status, 201, JSON.stringify(bucket.body));
  const pool = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
  assert.equal(pool.status, 201, JSON.stringify(pool.body));
  return { shareId: shares.seed!.id, bucketId: bucket.body.id, tapePoolId: pool.body.id };
}

export function endpoint(type: string, s: SeedStorages): Record<string, unknown> {
  if (type.endsWith('tape')) return { type, pool_id: s.tapePoolId };
  return { type, storage_id: type.endsWith('cloud') ? s.bucketId : s.shareId, node_paths: ['/'] };
}

/** Creates the SEED tasks through the API, then sets their dates in the store. */
export async function seedTasks(b: Booted, specs: SeedSpec[] = SEED): Promise<Seeded[]> {
  const storages = await seedStorages(b);
  const out: Seeded[] = [];
  for (const spec of specs) {
    const r = await b.admin.post('/tasks', {
      name: spec.name, workflow_type: spec.workflow_type, workflow_action: spec.workflow_action,
      sources: spec.sources.map((t) => endpoint(t, storages)), destinations: spec.destinations.map((t) => endpoint(t, storages)),
    });
    assert.equal(r.status, 201, `${spec.name}: ${JSON.stringify(r.body)}`);
    const created_at = at(spec.created);
    const updated_at = at(spec.updated);
    await b.barge.store.db.updateTable('tasks').set({ created_at, updated_at }).where('id', '=', r.body.id).execute();
    out.push({ ...spec, id: r.body.id, created_at, updated_at });
  }
  return out;
}
