/**
 * The upgrade path of migration 0020 on each dialect: batches planned before it keep their items (now
 * in `work_batch_items`), a claim after the upgrade reads them, and they go with their execution.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../db.js';
import { testDialects, testTarget } from '../test-stores.js';
import { SqlWorkQueue } from '../work-queue-repository.js';
import { encodeItems } from '../work-items-codec.js';
import type { WorkItem } from '../../engine/queue/work-item.js';

const T = '2031-01-01T00:00:00.000Z';

for (const dialect of testDialects()) {
  describe(`migration 0020-batch-items (${dialect})`, () => {
    it('batches planned before the upgrade keep their items; a claim reads them; they go with their execution', async () => {
      const { target, remove } = await testTarget(dialect, 'm0020');
      try {
        const old = await openStore(target, { migrateTo: '0019-batch-finished' });
        const db = old.db as any;
        const stamp = { created_at: T, updated_at: T };
        await db.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', is_admin: 0, ...stamp }).execute();
        await db.insertInto('tasks').values({ id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: '{}', metadata: '{}', user_id: 'u', created_by: 'u', updated_by: 'u', ...stamp }).execute();
        await db.insertInto('task_executions').values({ id: 'e', task_id: 't', user_id: 'u', state: 'in_progress', bandwidth: 0, movers: '[]', trigger: '{}', task_snapshot: '{}', ...stamp }).execute();
        const items = (seq: number): WorkItem[] => [{ key: `k${seq}`, op: 'copy', src: { ep: 0, path: `/f${seq}` }, dst: { ep: 0, path: `/f${seq}` }, size: 5, mtimeMs: 1 }];
        const row = (seq: number, state: string) => ({
          id: `b${seq}`, execution_id: 'e', seq, state, items: encodeItems(items(seq)), files: 1, bytes: 5, done_files: 0, done_bytes: 0, failed_files: 0,
          lease_owner: null, lease_until: null, attempts: 0, available_at: T, inflight_bytes: 0, ...stamp,
        });
        await db.insertInto('work_batches').values([row(0, 'done'), row(1, 'queued')]).execute();
        await old.close();

        const store = await openStore(target);
        try {
          const moved = await store.db.selectFrom('work_batch_items').select(['batch_id', 'items']).orderBy('batch_id').execute();
          assert.deepEqual(moved.map((r) => r.batch_id), ['b0', 'b1']);
          const queue = new SqlWorkQueue(store.db, store.dialect);
          const claimed = await queue.claim('e', 'm', 30_000, new Date(T));
          assert.equal(claimed?.id, 'b1');
          assert.deepEqual(claimed?.items, items(1));
          const planned: WorkItem[][] = [];
          for await (const batch of queue.plannedItems('e')) planned.push(batch);
          assert.deepEqual(planned, [items(0), items(1)]);
          await store.db.deleteFrom('task_executions').where('id', '=', 'e').execute();
          assert.deepEqual(await store.db.selectFrom('work_batch_items').select('batch_id').execute(), []);
        } finally {
          await store.close();
        }
      } finally {
        await remove();
      }
    });
  });
}
