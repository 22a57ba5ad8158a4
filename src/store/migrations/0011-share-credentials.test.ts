/**
 * The upgrade path of migration 0011 on each dialect: shares that existed before it keep working and
 * have no credentials; the new columns take sealed values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../db.js';
import { testDialects, testTarget } from '../test-stores.js';

const T = '2026-01-01T00:00:00.000Z';

for (const dialect of testDialects()) {
  describe(`migration 0011-share-credentials (${dialect})`, () => {
    it('existing shares get no username and no password; new ones can store them', async () => {
      const { target, remove } = await testTarget(dialect, 'm0011');
      try {
        const old = await openStore(target, { migrateTo: '0010-parallel-permits' });
        const db = old.db as any;
        await db.insertInto('nas').values({ id: 'n1', name: 'nas', host: null, type: 'smb_v3', comment: null, created_at: T, updated_at: T }).execute();
        await db.insertInto('nas_shares').values({ id: 's1', nas_id: 'n1', pool_id: null, name: 'share', path: '/mnt/a', options: '{}', guest_right: 'none', created_at: T, updated_at: T }).execute();
        await old.close();

        const store = await openStore(target);
        try {
          const before = await store.db.selectFrom('nas_shares').selectAll().where('id', '=', 's1').executeTakeFirstOrThrow();
          assert.equal(before.path, '/mnt/a');
          assert.equal(before.username_enc, null);
          assert.equal(before.password_enc, null);
          await store.db.updateTable('nas_shares').set({ username_enc: 'sealed-u', password_enc: 'sealed-p' }).where('id', '=', 's1').execute();
          const after = await store.db.selectFrom('nas_shares').select(['username_enc', 'password_enc']).where('id', '=', 's1').executeTakeFirstOrThrow();
          assert.deepEqual(after, { username_enc: 'sealed-u', password_enc: 'sealed-p' });
        } finally {
          await store.close();
        }
      } finally {
        await remove();
      }
    });
  });
}
