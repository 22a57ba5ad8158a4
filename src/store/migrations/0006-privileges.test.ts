/**
 * The upgrade path of migration 0006 on each dialect: storages that existed before it stay usable by
 * everybody (`guest_right: read_write`, as before privileges existed); storages created afterwards
 * start closed (`none`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../db.js';
import { testDialects, testTarget } from '../test-stores.js';

const T = '2026-01-01T00:00:00.000Z';

for (const dialect of testDialects()) {
  describe(`migration 0006-privileges (${dialect})`, () => {
    it('existing storages get guest_right read_write; new ones start at none', async () => {
      const { target, remove } = await testTarget(dialect, 'm0006');
      try {
        const old = await openStore(target, { migrateTo: '0005-engine-lease' });
        const db = old.db as any;
        await db.insertInto('nas').values({ id: 'n1', name: 'nas', host: null, type: 'local', comment: null, created_at: T, updated_at: T }).execute();
        await db.insertInto('pools').values({ id: 'p1', name: 'pool', comment: null, type: 'primary', content: 'nas', created_at: T, updated_at: T }).execute();
        await db.insertInto('nas_shares').values({ id: 's1', nas_id: 'n1', pool_id: 'p1', name: 'share', path: '/tmp', options: '{}', created_at: T, updated_at: T }).execute();
        await db.insertInto('cloud_connectors').values({ id: 'c1', name: 'conn', url: null, region: null, provider: 'generic_s3', access_key: null, secret_key_enc: null, options: '{}', created_at: T, updated_at: T }).execute();
        await db.insertInto('cloud_buckets').values({ id: 'b1', cloud_connector_id: 'c1', pool_id: null, name: 'bucket', location: null, options: '{}', created_at: T, updated_at: T }).execute();
        await old.close();

        const store = await openStore(target);
        try {
          for (const table of ['nas_shares', 'cloud_buckets', 'pools'] as const) {
            const rows = await store.db.selectFrom(table).select('guest_right').execute();
            assert.deepEqual(rows.map((r) => r.guest_right), ['read_write'], `${table} keeps working for everybody`);
          }
          await store.db.insertInto('pools').values({ id: 'p2', name: 'new', comment: null, type: 'primary', content: 'nas', created_at: T, updated_at: T } as any).execute();
          const fresh = await store.db.selectFrom('pools').select('guest_right').where('id', '=', 'p2').executeTakeFirstOrThrow();
          assert.equal(fresh.guest_right, 'none', 'a storage created after the upgrade starts closed');
        } finally {
          await store.close();
        }
      } finally {
        await remove();
      }
    });
  });
}
