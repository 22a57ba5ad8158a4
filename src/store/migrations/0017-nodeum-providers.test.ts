/**
 * The upgrade path of migration 0017 on each dialect: connectors saved with a provider Barge accepted
 * before it followed Nodeum's list read back as their Nodeum equivalent; others are untouched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../db.js';
import { testDialects, testTarget } from '../test-stores.js';

const T = '2026-01-01T00:00:00.000Z';

for (const dialect of testDialects()) {
  describe(`migration 0017-nodeum-providers (${dialect})`, () => {
    it('legacy providers become Nodeum values; Nodeum values stay', async () => {
      const { target, remove } = await testTarget(dialect, 'm0017');
      try {
        const old = await openStore(target, { migrateTo: '0011-share-credentials' });
        const db = old.db as any;
        const given: Record<string, string> = { c1: 'minio', c2: 'ceph_rgw', c3: 'ovh', c4: 'scality', c5: 'wasabi', c6: 'azure' };
        for (const [id, provider] of Object.entries(given)) {
          await db.insertInto('cloud_connectors').values({ id, name: `conn-${id}`, url: null, region: null, provider, access_key: null, secret_key_enc: null, options: '{}', created_at: T, updated_at: T }).execute();
        }
        await old.close();

        const store = await openStore(target);
        try {
          const rows = await store.db.selectFrom('cloud_connectors').select(['id', 'provider']).orderBy('id').execute();
          assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.provider])),
            { c1: 'generic_s3', c2: 'generic_s3', c3: 'generic_s3', c4: 'scality_ring', c5: 'wasabi', c6: 'azure' });
        } finally {
          await store.close();
        }
      } finally {
        await remove();
      }
    });
  });
}
