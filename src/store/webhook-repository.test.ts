/**
 * The webhook outbox on a real migrated store of each dialect: which events are missing (only after
 * the callback was created, only the events it listens to), recording is idempotent, due order and
 * exclusion, settle as compare-and-set with its attempt, failed files and their cap, pruning, the
 * API's page of deliveries, and cascades when a callback or an execution goes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { WebhookRepository } from './webhook-repository.js';
import { openTestStore, testDialects } from './test-stores.js';
import { parseListQuery } from '../domain/list-query.js';
import { WebhookOutbox } from '../engine/webhooks/outbox.js';
import { createLogger } from '../lib/logger.js';
import type { NewDelivery } from '../engine/webhooks/webhook-store.js';

const T0 = '2031-05-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

async function seed(db: Kysely<any>): Promise<void> {
  const stamp = { created_at: T0, updated_at: T0 };
  await db.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', is_admin: 0, ...stamp }).execute();
  await db.insertInto('tasks').values({ id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: '{}', metadata: '{}', user_id: 'u', created_by: 'u', updated_by: 'u', ...stamp }).execute();
  const cb = (id: string, events: string[], created: string, type = 'webhook') => ({ id, task_id: 't', type, url: 'https://hooks.example/x', secret_sealed: null, events: JSON.stringify(events), created_at: created, updated_at: created });
  await db.insertInto('task_callbacks').values([
    cb('all', ['started', 'finished', 'failed_file'], at(0)),
    cb('ends', ['finished'], at(0)),
    cb('late', ['started', 'finished'], at(100)),
    cb('script', [], at(0), 'after_task_executed'),
  ]).execute();
  const exec = (id: string, state: string, started: string | null, finished: string | null) => ({
    id, task_id: 't', user_id: 'u', state, bandwidth: 0, movers: '[]', trigger: '{}', task_snapshot: '{}', created_at: at(1), updated_at: at(1), started_at: started, finished_at: finished,
  });
  await db.insertInto('task_executions').values([
    exec('done', 'done', at(10), at(20)),
    exec('running', 'in_progress', at(30), null),
    exec('old', 'done', at(-100), at(-50)),
  ]).execute();
  const fail = (key: string) => ({ execution_id: 'running', item_key: key, src_path: `/${key}`, dst_path: null, size: 1, checksum: null, status: 'failed', error_class: 'io', error: 'boom', attempts: 3, updated_at: at(35) });
  await db.insertInto('file_ledger').values([fail('a'), fail('b'), fail('c'), { ...fail('ok'), status: 'done' }]).execute();
}

const log = createLogger('silent');

for (const dialect of testDialects()) {
  describe(`webhook repository (${dialect})`, () => {
    it('finds the missing events of listening callbacks, records them once, and gives them out in order', async () => {
      const { store, done } = await openTestStore(dialect, 'webhooks');
      try {
        await seed(store.db);
        const repo = new WebhookRepository(store.db, store.dialect);
        const missing = (await repo.missingEvents(at(-1000))).map((m) => `${m.callbackId}:${m.event}:${m.execution.id}`).sort();
        // `late` was created after these runs started and ended; `ends` hears finished only; `old` is before `all`.
        assert.deepEqual(missing, ['all:finished:done', 'all:started:done', 'all:started:running', 'ends:finished:done']);
        assert.deepEqual((await repo.missingEvents(at(25))).map((m) => `${m.callbackId}:${m.event}:${m.execution.id}`), ['all:started:running'], 'since: only recent events');
        assert.equal((await repo.missingEvents(at(-1000), 'done')).length, 3, 'one execution');

        const clock = { now: () => new Date(at(40)) };
        const outbox = new WebhookOutbox(repo, (row) => ({ id: row.id, status: row.state }), clock, log, 2);
        const added = await outbox.reconcile(new Date(at(-1000)));
        assert.equal(added, 4 + 2, 'four events and two failed files (the cap)');
        assert.equal(await outbox.reconcile(new Date(at(-1000))), 0, 'idempotent');
        const rows = await repo.ofExecution('running');
        assert.deepEqual(rows.map((r) => r.event).sort(), ['failed_file', 'failed_file', 'started']);
        const file = JSON.parse(rows.find((r) => r.event === 'failed_file')!.payload);
        assert.equal(file.event, 'failed_file');
        assert.equal(file.execution.id, 'running');
        assert.equal(file.file.status, 'failed');
        assert.equal(file.file.error_class, 'io');

        const due = await repo.due(at(40), 100, []);
        assert.equal(due.length, 6);
        const ofDone = due.filter((d) => JSON.parse(d.payload).execution.id === 'done' && d.callback_id === 'all').map((d) => d.event);
        assert.deepEqual(ofDone, ['started', 'finished'], 'started before finished');
        assert.equal(due[0]!.url, 'https://hooks.example/x');
        assert.ok((await repo.due(at(40), 100, ['all'])).every((d) => d.callback_id === 'ends'), 'exclusion');
        assert.equal((await repo.due(at(39), 100, [])).length, 0, 'not due before their time');
        assert.equal(await repo.nextDue(at(0)), at(40));
        assert.equal(await repo.nextDue(at(40)), undefined);
      } finally {
        await done();
      }
    });

    it('settles an attempt once (compare-and-set), retries, prunes settled rows, pages for the API, and cascades', async () => {
      const { store, done } = await openTestStore(dialect, 'webhooks');
      try {
        await seed(store.db);
        const repo = new WebhookRepository(store.db, store.dialect);
        const d = (id: string, callback: string, execution: string, event: NewDelivery['event'], created: string): NewDelivery => ({ id, callback_id: callback, task_id: 't', execution_id: execution, event, subject: '', payload: '{}', created_at: created });
        assert.equal(await repo.record([d('d1', 'all', 'done', 'started', at(40)), d('d2', 'all', 'done', 'finished', at(41)), d('d3', 'ends', 'done', 'finished', at(41))]), 3);
        assert.equal(await repo.record([d('dx', 'all', 'done', 'started', at(42))]), 0, 'same event again: skipped');
        assert.equal(await repo.record([d('gone', 'no-such-callback', 'done', 'started', at(42))]), 0, 'a callback deleted meanwhile: skipped');

        const attempt = (n: number, status: number | null, outcome: string) => ({ attempt: n, started_at: at(50), duration_ms: 12, status_code: status, error: status === 500 ? 'HTTP 500' : null, outcome: outcome as any });
        const retry = { state: 'pending' as const, next_attempt_at: at(60), last_status: 500, last_error: 'HTTP 500', updated_at: at(50), finished_at: null };
        assert.equal(await repo.settle('d1', 0, attempt(1, 500, 'http_error'), retry), true);
        assert.equal(await repo.settle('d1', 0, attempt(1, 500, 'http_error'), retry), false, 'a second sender with the same view loses');
        assert.equal((await repo.due(at(55), 100, [])).some((x) => x.id === 'd1'), false, 'waits for its retry');
        assert.equal(await repo.nextDue(at(55)), at(60));
        assert.equal(await repo.settle('d1', 1, attempt(2, 204, 'delivered'), { state: 'delivered', next_attempt_at: null, last_status: 204, last_error: null, updated_at: at(61), finished_at: at(61) }), true);
        assert.equal(await repo.settle('d2', 0, attempt(1, 410, 'gone'), { state: 'gone', next_attempt_at: null, last_status: 410, last_error: null, updated_at: at(62), finished_at: at(62) }), true);

        const page = await repo.list('all', parseListQuery({}, { filters: { state: 'string', event: 'string' }, sortable: ['created_at'] }));
        assert.equal(page.count, 2);
        assert.deepEqual(page.rows.map((r) => r.id), ['d2', 'd1'], 'newest first');
        const attempts = await repo.attempts(['d1', 'd2']);
        assert.deepEqual(attempts.get('d1')!.map((a) => [a.attempt, a.status_code, a.outcome]), [[1, 500, 'http_error'], [2, 204, 'delivered']]);
        const delivered = await repo.list('all', parseListQuery({ state: 'delivered' }, { filters: { state: 'string' }, sortable: [] }));
        assert.deepEqual(delivered.rows.map((r) => [r.id, r.attempts, r.last_status]), [['d1', 2, 204]]);
        assert.deepEqual(await repo.callbackOf('t', 'all'), { id: 'all', type: 'webhook' });
        assert.equal(await repo.callbackOf('other-task', 'all'), undefined);

        assert.equal(await repo.prune(at(62)), 1, 'd1 settled before; d2 at the bound stays; d3 pending stays');
        assert.equal((await repo.attempts(['d1'])).size, 0, 'its attempts went with it');
        await store.db.deleteFrom('task_callbacks').where('id', '=', 'all').execute();
        assert.deepEqual((await repo.ofExecution('done')).map((r) => r.id), ['d3'], 'a deleted callback takes its deliveries');
        await store.db.deleteFrom('task_executions').where('id', '=', 'done').execute();
        assert.deepEqual(await repo.ofExecution('done'), [], 'so does a deleted execution');
      } finally {
        await done();
      }
    });
  });
}
