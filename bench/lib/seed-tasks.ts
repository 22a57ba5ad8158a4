/**
 * Bulk seeding of tasks for the list benchmark, straight into the store (the API would take minutes
 * for 100,000 tasks). Rows look like what `POST /tasks` writes: every column of every row is given
 * (SQLite puts NULL where PostgreSQL would use a DEFAULT), options/metadata are JSON text, and each
 * task has one or two endpoint rows on real NAS shares created through the API beforehand, so the
 * list embeds `sources`/`destinations` as it does in real use. Dates vary (spread over a year, with
 * some exact ties) so the default `created_at desc, id asc` order has real work to do.
 */
import type { Kysely } from 'kysely';
import type { Database, TaskEndpointRow, TaskRow } from '../../src/store/schema.js';
import { newId } from '../../src/lib/tokens.js';

export interface SeedOptions {
  count: number;
  owner: { id: string; username: string };
  /** NAS share ids: sources use the first, destinations the second. */
  shares: { source: string; destination: string };
  /** Deterministic data for comparable runs. */
  seed?: number;
  /** Stops between transactions (Ctrl-C should not wait for 100,000 rows). */
  signal?: AbortSignal;
}

/** Rows per INSERT: 12 columns × 500 = 6,000 parameters, well under SQLite's and pg's limits. */
const BATCH = 500;
/** Rows per transaction: large enough to be fast, small enough to keep the WAL modest. */
const TX_TASKS = 10_000;
const YEAR_MS = 365 * 86_400_000;

/** Realistic, valid combinations: scan/erase have no destination; the rest copy share to share. */
const KINDS = [
  { type: 'data_migration', action: 'copy', dest: true },
  { type: 'data_migration', action: 'move', dest: true },
  { type: 'active_archive', action: 'copy', dest: true },
  { type: 'data_exchange', action: 'copy', dest: true },
  { type: 'active_archive', action: 'full_backup', dest: true },
  { type: 'active_archive', action: 'incremental_backup', dest: true },
  { type: 'offline_archive', action: 'scan', dest: false },
  { type: 'data_exchange', action: 'erase', dest: false },
  { type: 'data_enrichment', action: 'check_consistency', dest: true },
] as const;

const OPTIONS = [
  {},
  { parallel: 4 },
  { parallel: 8, recursive: true, ignore_hidden: true },
  { working_dir: '/projects', overwrite: false, keep_file_ownership: true },
  { processing_order: 'asc', full_report: true },
].map((o) => JSON.stringify(o));

const METADATA = [{}, {}, { task: { team: 'imaging', ticket: 4211 } }, { task: { project: 'archive-2024' }, files: { origin: 'scanner-3' } }].map((m) => JSON.stringify(m));

/** mulberry32: a tiny seeded PRNG, so two runs seed the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Builds one task and its endpoints. `prev` is the previous created_at, reused for ~1% ties. */
function makeTask(i: number, rnd: () => number, o: SeedOptions, prev: number): { task: TaskRow; endpoints: TaskEndpointRow[]; createdMs: number } {
  const kind = KINDS[Math.floor(rnd() * KINDS.length)] ?? KINDS[0];
  const createdMs = rnd() < 0.01 ? prev : Date.parse('2025-01-01T00:00:00.000Z') + Math.floor(rnd() * YEAR_MS);
  const created_at = new Date(createdMs).toISOString();
  const updated_at = new Date(createdMs + Math.floor(rnd() * 30 * 86_400_000)).toISOString();
  const id = newId();
  const task: TaskRow = {
    id, name: `${kind.action}-${String(i).padStart(6, '0')}`,
    comment: rnd() < 0.3 ? `nightly ${kind.action} of project ${i % 97}` : null,
    workflow_type: kind.type, workflow_action: kind.action,
    options: OPTIONS[i % OPTIONS.length] ?? '{}', metadata: METADATA[i % METADATA.length] ?? '{}',
    user_id: o.owner.id, created_by: o.owner.username, updated_by: o.owner.username, created_at, updated_at,
  };
  const endpoint = (role: 'source' | 'destination', storage: string, paths: string[]): TaskEndpointRow => ({
    id: newId(), task_id: id, role, position: 0, type: rnd() < 0.2 ? `primary_nas` : 'nas', kind: 'nas',
    storage_id: storage, pool_id: null, node_paths: JSON.stringify(paths), range_first: null, range_last: null, created_at,
  });
  const endpoints = [endpoint('source', o.shares.source, [`/projects/p${i % 97}`, ...(i % 3 === 0 ? [`/incoming/batch-${i % 13}`] : [])])];
  if (kind.dest) endpoints.push(endpoint('destination', o.shares.destination, ['/']));
  return { task, endpoints, createdMs };
}

/** Inserts `count` tasks (and their endpoints) for `owner`; returns the endpoint row count. */
export async function seedTasks(db: Kysely<Database>, o: SeedOptions): Promise<{ tasks: number; endpoints: number }> {
  const rnd = prng(o.seed ?? 42);
  let prev = Date.parse('2025-06-01T00:00:00.000Z');
  let endpointsTotal = 0;
  for (let start = 0; start < o.count; start += TX_TASKS) {
    o.signal?.throwIfAborted();
    const tasks: TaskRow[] = [];
    const endpoints: TaskEndpointRow[] = [];
    for (let i = start; i < Math.min(o.count, start + TX_TASKS); i++) {
      const made = makeTask(i, rnd, o, prev);
      prev = made.createdMs;
      tasks.push(made.task);
      endpoints.push(...made.endpoints);
    }
    await db.transaction().execute(async (trx) => {
      for (let b = 0; b < tasks.length; b += BATCH) await trx.insertInto('tasks').values(tasks.slice(b, b + BATCH)).execute();
      for (let b = 0; b < endpoints.length; b += BATCH) await trx.insertInto('task_endpoints').values(endpoints.slice(b, b + BATCH)).execute();
    });
    endpointsTotal += endpoints.length;
    // SQLite calls never yield; let signal handlers (Ctrl-C) run between transactions.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { tasks: o.count, endpoints: endpointsTotal };
}
