/**
 * The catalog's search and aggregates, and the execution and storage statistics, on a real migrated
 * store of each dialect: "latest per storage and path" before the filters, the reader's privileges
 * (the rule of `readableBy`: own entry, else groups, else guest right), bucket dimensions, and the
 * name/extension columns that migration 0009 fills for rows written before it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { openStore, type Store } from './db.js';
import { CatalogRepository, type CatalogScope } from './catalog-repository.js';
import { LedgerRepository } from './ledger-repository.js';
import { StatisticsRepository } from './statistics-repository.js';
import type { CatalogEntryRow } from './schema.js';
import { TEST_PG_URL, testTarget } from './test-stores.js';
import { parseListQuery } from '../domain/list-query.js';
import { CATALOG_SPEC } from '../services/catalog-service.js';

if (!TEST_PG_URL) console.log('# PostgreSQL variant skipped: BARGE_TEST_PG_URL is not set');

const T0 = '2026-01-01T00:00:00.000Z';
const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

async function seed(db: Kysely<any>): Promise<void> {
  const at = { created_at: T0, updated_at: T0 };
  await db.insertInto('users').values([
    { id: 'admin', username: 'admin', password_hash: 'x', is_admin: 1, ...at },
    { id: 'alice', username: 'alice', password_hash: 'x', is_admin: 0, ...at },
    { id: 'bob', username: 'bob', password_hash: 'x', is_admin: 0, ...at },
  ]).execute();
  await db.insertInto('nas').values({ id: 'nas1', name: 'nas1', type: 'local', ...at }).execute();
  await db.insertInto('pools').values({ id: 'pool1', name: 'pool1', type: 'primary', content: 'nas', guest_right: 'none', ...at }).execute();
  await db.insertInto('nas_shares').values([
    { id: 'open', nas_id: 'nas1', pool_id: 'pool1', name: 'open', path: '/tmp/open', options: '{}', guest_right: 'read', ...at },
    { id: 'closed', nas_id: 'nas1', pool_id: null, name: 'closed', path: '/tmp/closed', options: '{}', guest_right: 'none', ...at },
  ]).execute();
  await db.insertInto('cloud_connectors').values({ id: 'cc', name: 'cc', provider: 'generic_s3', options: '{}', ...at }).execute();
  await db.insertInto('cloud_buckets').values({ id: 'bkt', cloud_connector_id: 'cc', name: 'bkt', options: '{}', guest_right: 'none', ...at }).execute();
  // alice may read the bucket; bob is shut out of the open share by his own `none`.
  await db.insertInto('storage_privileges').values([
    { id: 'p1', resource: 'cloud_buckets', storage_id: 'bkt', cloud_bucket_id: 'bkt', user_id: 'alice', privilege: 'read', ...at },
    { id: 'p2', resource: 'nas_shares', storage_id: 'open', nas_share_id: 'open', user_id: 'bob', privilege: 'none', ...at },
  ]).execute();
  const task = (id: string, action: string, user: string) => ({ id, name: id, workflow_type: 'data_migration', workflow_action: action, options: '{}', metadata: '{}', user_id: user, created_by: user, updated_by: user, ...at });
  await db.insertInto('tasks').values([task('scan', 'scan', 'admin'), task('copy', 'copy', 'alice')]).execute();
  const exec = (id: string, taskId: string, user: string, state: string, extra: Record<string, unknown> = {}) => ({
    id, task_id: taskId, user_id: user, state, bandwidth: 0, movers: '[]', trigger: '{}', task_snapshot: '{}', created_at: T0, updated_at: T0, finished_at: T0, ...extra,
  });
  await db.insertInto('task_executions').values([
    exec('e1', 'scan', 'admin', 'done', { nodes_todo: 3, nodes_done: 3, size_todo: 30, size_done: 30, bandwidth: 100 }),
    exec('e2', 'scan', 'admin', 'done', { nodes_todo: 2, nodes_done: 2, size_todo: 20, size_done: 20, bandwidth: 300 }),
    exec('e3', 'copy', 'alice', 'error', { nodes_todo: 5, nodes_done: 1, size_todo: 50, size_done: 10 }),
    exec('e4', 'copy', 'alice', 'in_progress', { finished_at: null, nodes_todo: 4, nodes_done: 2, size_todo: 40, size_done: 20 }),
  ]).execute();
}

function row(executionId: string, storageId: string, path: string, size: number, ageDays: number, recordedAt: string, extra: Partial<CatalogEntryRow> = {}): CatalogEntryRow {
  return {
    execution_id: executionId, task_id: 'scan', storage_id: storageId, path, kind: 'file', size, mtime_ms: NOW - ageDays * DAY,
    mode: 0o644, uid: 1000, gid: 1000, checksum: null, algorithm: null, recorded_at: recordedAt, parent: path.slice(0, path.lastIndexOf('/')) || '/',
    stored_storage_id: null, stored_path: null, ...extra,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`catalog and statistics repositories (${dialect})`, { skip: dialect === 'postgres' && !TEST_PG_URL ? 'BARGE_TEST_PG_URL is not set' : false }, () => {
    let store: Store;
    let remove: () => Promise<void>;
    let catalog: CatalogRepository;
    let stats: StatisticsRepository;
    const E1 = '2026-02-01T00:00:00.000Z';
    const E2 = '2026-03-01T00:00:00.000Z';

    before(async () => {
      const t = await testTarget(dialect, 'catalog');
      remove = t.remove;
      // Rows written before migration 0009 get their name and extension from it.
      const old = await openStore(t.target, { migrateTo: '0008-metrics' });
      await seed(old.db as Kysely<any>);
      await (old.db as Kysely<any>).insertInto('catalog_entries').values(row('e1', 'open', '/docs/Old.TXT', 5, 400, E1)).execute();
      await old.close();
      store = await openStore(t.target);
      catalog = new CatalogRepository(store.db, store.dialect);
      stats = new StatisticsRepository(store.db, store.dialect);
      const ledger = new LedgerRepository(store.db, store.dialect, store.sqlite);
      // e1 scanned /docs/a.txt (1 byte), /docs/b.jpg and the bucket; e2, later, scanned /docs/a.txt again (200 000 bytes).
      await ledger.recordCatalog([
        row('e1', 'open', '/docs/a.txt', 1, 3, E1),
        row('e1', 'open', '/docs/b.jpg', 2_000_000, 100, E1, { uid: 0 }),
        row('e1', 'closed', '/secret.txt', 7, 3, E1),
        row('e1', 'bkt', '/photos/c.JPG', 3, 20, E1, { uid: null, gid: null, mode: null }),
        row('e2', 'open', '/docs/a.txt', 200_000, 1, E2),
      ]);
    });
    after(async () => {
      await store?.close();
      await remove?.();
    });

    const query = (raw: Record<string, unknown> = {}) => parseListQuery(raw, CATALOG_SPEC);
    const paths = async (raw: Record<string, unknown>, scope: CatalogScope) => (await catalog.search(query({ sort_by: 'storage_id|path', ...raw }), scope)).rows.map((r) => `${r.storage_id}:${r.path}:${r.execution_id}`);
    const ADMIN: CatalogScope = { latest: true };

    it('fills name and extension, for rows written before migration 0009 too', async () => {
      const rows = await store.db.selectFrom('catalog_entries').select(['path', 'name', 'extension']).orderBy('path').orderBy('execution_id').execute();
      assert.deepEqual(rows.find((r) => r.path === '/docs/Old.TXT'), { path: '/docs/Old.TXT', name: 'Old.TXT', extension: 'txt' });
      assert.deepEqual(rows.find((r) => r.path === '/photos/c.JPG'), { path: '/photos/c.JPG', name: 'c.JPG', extension: 'jpg' });
    });

    it('keeps the latest row of each storage and path, before the other filters apply', async () => {
      assert.deepEqual(await paths({}, ADMIN), ['bkt:/photos/c.JPG:e1', 'closed:/secret.txt:e1', 'open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e2', 'open:/docs/b.jpg:e1']);
      assert.equal((await catalog.search(query(), { latest: false })).count, 6, 'every row with latest off');
      // a.txt was 1 byte at e1 and 200 000 at e2: only its latest size counts.
      assert.deepEqual(await paths({ size: '<10' }, ADMIN), ['bkt:/photos/c.JPG:e1', 'closed:/secret.txt:e1', 'open:/docs/Old.TXT:e1']);
      assert.deepEqual(await paths({ size: '<10' }, { latest: false }), ['bkt:/photos/c.JPG:e1', 'closed:/secret.txt:e1', 'open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e1']);
      // Within one execution's rows, each is its own latest.
      assert.deepEqual(await paths({ execution_id: 'e1', storage_id: 'open' }, ADMIN), ['open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e1', 'open:/docs/b.jpg:e1']);
    });

    it('filters on name, extension, dates and storages with the list operators', async () => {
      assert.deepEqual(await paths({ extension: 'jpg' }, ADMIN), ['bkt:/photos/c.JPG:e1', 'open:/docs/b.jpg:e1']);
      assert.deepEqual(await paths({ name: '~%.txt' }, ADMIN), ['closed:/secret.txt:e1', 'open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e2']);
      assert.deepEqual(await paths({ modification_date: `>=${new Date(NOW - 5 * DAY).toISOString()}` }, ADMIN), ['closed:/secret.txt:e1', 'open:/docs/a.txt:e2']);
      assert.deepEqual(await paths({ path: '~/docs/%', storage_id: '!=closed' }, ADMIN), ['open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e2', 'open:/docs/b.jpg:e1']);
      const page = await catalog.search(query({ sort_by: 'size:desc', limit: 2, offset: 1 }), ADMIN);
      assert.deepEqual([page.count, page.rows.map((r) => r.path)], [5, ['/docs/a.txt', '/secret.txt']]);
    });

    it('shows a reader only the storages they may read', async () => {
      // alice: the open share (guest read) and the bucket (her own read); not the closed share.
      assert.deepEqual(await paths({}, { latest: true, readerId: 'alice' }), ['bkt:/photos/c.JPG:e1', 'open:/docs/Old.TXT:e1', 'open:/docs/a.txt:e2', 'open:/docs/b.jpg:e1']);
      // bob: his own `none` on the open share wins over its guest right; the bucket is closed to him.
      assert.deepEqual(await paths({}, { latest: true, readerId: 'bob' }), []);
      assert.deepEqual(await catalog.totals([], { latest: true, readerId: 'bob' }), { files: 0, bytes: 0 });
    });

    it('aggregates by column and by size and age buckets', async () => {
      assert.deepEqual(await catalog.totals([], ADMIN), { files: 5, bytes: 2_200_015 });
      const top = await catalog.aggregate([], ADMIN, [{ column: 'extension' }], { top: { by: 'files', limit: 2 } });
      assert.deepEqual(top, [{ keys: ['txt'], files: 3, bytes: 200_012 }, { keys: ['jpg'], files: 2, bytes: 2_000_003 }]);
      const bySize = await catalog.aggregate([], ADMIN, [{ column: 'extension' }], { top: { by: 'bytes', limit: 1 } });
      assert.deepEqual(bySize.map((r) => r.keys[0]), ['jpg']);
      const owners = await catalog.aggregate([], ADMIN, [{ column: 'uid' }], { top: { by: 'files', limit: 10 } });
      assert.deepEqual(owners[0], { keys: [1000], files: 3, bytes: 200_012 });
      assert.deepEqual(owners.slice(1).sort((a, b) => a.bytes - b.bytes), [{ keys: [null], files: 1, bytes: 3 }, { keys: [0], files: 1, bytes: 2_000_000 }]);
      const ages = await catalog.aggregate([], ADMIN, [{ buckets: 'age', now: NOW, bounds: [7 * DAY, 30 * DAY, 365 * DAY] }]);
      assert.deepEqual(ages.sort((a, b) => Number(a.keys[0]) - Number(b.keys[0])), [
        { keys: [0], files: 2, bytes: 200_007 }, { keys: [1], files: 1, bytes: 3 }, { keys: [2], files: 1, bytes: 2_000_000 }, { keys: [3], files: 1, bytes: 5 },
      ]);
      const sized = await catalog.aggregate([], ADMIN, [{ buckets: 'size', bounds: [100e3, 1e6] }, { buckets: 'age', now: NOW, bounds: [7 * DAY] }]);
      assert.deepEqual(sized.map((r) => [...r.keys, r.files]).sort(), [[0, 0, 1], [0, 1, 2], [1, 0, 1], [2, 1, 1]].sort());
      const only = await catalog.aggregate([], ADMIN, [{ column: 'uid' }], { only: [null, 0] });
      assert.deepEqual(only.map((r) => r.keys[0]).sort(), [0, null].sort());
    });

    it('sums executions by status and workflow, a user\'s own or everyone\'s', async () => {
      const [all] = await stats.executions([], undefined, []);
      assert.deepEqual(all, { keys: [], executions: 4, tasks: 2, sizeTodo: 140, sizeDone: 80, nodesTodo: 14, nodesDone: 8, finalized: 6, bandwidthSum: 400, bandwidthCount: 2 });
      const byStatus = await stats.executions([], undefined, ['status']);
      assert.deepEqual(byStatus.map((s) => [s.keys[0], s.executions]), [['done', 2], ['error', 1], ['in_progress', 1]]);
      const alice = await stats.executions([], 'alice', ['workflow_type', 'workflow_action']);
      assert.deepEqual(alice.map((s) => [...s.keys, s.executions, s.tasks]), [['data_migration', 'copy', 2, 1]]);
      const filtered = await stats.executions(parseListQuery({ status: '!=in_progress' }, { filters: { status: 'string' }, sortable: [] }).filters, undefined, []);
      assert.equal(filtered[0]?.executions, 3);
      const [none] = await stats.executions([], 'bob', []);
      assert.equal(none?.executions, 0, 'no executions still gives a row of zeros');
    });

    it('counts storages a reader may read, by type', async () => {
      assert.deepEqual(await stats.shares(undefined).then((g) => g.sort((a, b) => String(a.b).localeCompare(String(b.b)))), [
        { a: 'local', b: null, count: 1 }, { a: 'local', b: 'primary', count: 1 },
      ].sort((a, b) => String(a.b).localeCompare(String(b.b))));
      assert.deepEqual(await stats.shares('alice'), [{ a: 'local', b: 'primary', count: 1 }]);
      assert.deepEqual(await stats.shares('bob'), []);
      assert.deepEqual(await stats.buckets('alice'), [{ a: 'generic_s3', b: null, count: 1 }]);
      assert.deepEqual(await stats.pools('alice'), []);
      assert.deepEqual(await stats.pools(undefined), [{ a: 'primary', b: 'nas', count: 1 }]);
      const names = await stats.storageNames(['open', 'bkt', 'gone']);
      assert.deepEqual([...names.entries()].sort(), [['bkt', { name: 'bkt', type: 'cloud' }], ['open', { name: 'open', type: 'nas' }]]);
    });
  });
}
