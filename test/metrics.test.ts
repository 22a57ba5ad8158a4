/**
 * `GET /metrics` (issue #10) on a real server, on both dialects: after a real copy with failed files
 * the scrape reports the execution's state, the mover's files, the failures by error class and the
 * API's latency by route pattern; the queue gauges and the 24 h windows read what the store holds;
 * `BARGE_METRICS=off` leaves the route out. The scrape is parsed as Prometheus text, never grepped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, dialects, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { parseExposition, type Exposition } from './helpers/prometheus.js';
import { EXECUTION_STATES } from '../src/domain/execution.js';

async function scrape(b: Booted): Promise<{ status: number; contentType: string | null; text: string }> {
  const r = await fetch(`${b.url}/metrics`);
  return { status: r.status, contentType: r.headers.get('content-type'), text: await r.text() };
}

async function metrics(b: Booted): Promise<Exposition> {
  const r = await scrape(b);
  assert.equal(r.status, 200, r.text);
  assert.match(r.contentType ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.text);
}

const HOUR = 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

for (const dialect of dialects()) {
  describe(`GET /metrics after a real copy (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect, engine: true });
    });
    after(async () => b?.stop());

    it('reports the execution by state, the mover\'s files, failed files by class and API latency by route pattern', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      // A file where the copy needs a folder: the folder and the file inside it fail, ok.txt is copied.
      await makeTree(s.src!.path, { 'ok.txt': 'fine', 'blocked/x.txt': 'x' });
      await writeFile(join(s.dst!.path, 'blocked'), 'a file where a folder is needed');
      const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const id = run.body.execution_id as string;
      const e = await waitFor(async () => {
        const r = await b.admin.get(`/task_executions/${id}`);
        return r.body.finished_at ? r.body : undefined;
      }, 'the execution to finish', 30_000);
      assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
      assert.equal(e.files_failed, 2);
      const failed = (await b.admin.get(`/task_executions/${id}/files?status=failed`)).body.files as Array<{ error_class: string }>;
      const byClass: Record<string, number> = {};
      for (const f of failed) byClass[f.error_class] = (byClass[f.error_class] ?? 0) + 1;
      const mover = (e.movers as string[])[0] as string;
      assert.ok(mover, JSON.stringify(e));
      assert.equal((await b.admin.get('/tasks?limit=5')).status, 200);

      // The mover reports its totals on its heartbeat (every second): wait for the one after the copy.
      const m = await waitFor(async () => {
        const x = await metrics(b);
        return x.find('barge_mover_files_done', { mover }).some((v) => v.value >= 1) && x;
      }, 'the mover\'s files in the scrape', 10_000);

      for (const state of EXECUTION_STATES) assert.equal(m.value('barge_executions', { state }), state === 'finished_with_warnings' ? 1 : 0, state);
      assert.equal(m.types.get('barge_executions'), 'gauge');
      assert.equal(m.value('barge_mover_up', { mover }), 1);
      assert.ok(m.value('barge_mover_bytes_done', { mover }) >= 'fine'.length);
      const scraped = Object.fromEntries(m.find('barge_failed_files').map((x) => [x.labels.error_class, x.value]));
      assert.deepEqual(scraped, byClass);
      assert.equal(m.value('barge_queue_batches', { state: 'queued' }), 0);
      assert.equal(m.value('barge_queue_batches', { state: 'leased' }), 0);
      assert.equal(m.value('barge_queue_oldest_batch_wait_seconds'), 0);

      // Latency of GET /api/v2/tasks under its route pattern: a histogram with cumulative buckets.
      assert.equal(m.types.get('barge_http_request_duration_seconds'), 'histogram');
      const tasks = { method: 'GET', route: '/api/v2/tasks', status: '200' };
      assert.ok(m.value('barge_http_request_duration_seconds_count', tasks) >= 1);
      const buckets = m.find('barge_http_request_duration_seconds_bucket', tasks);
      assert.ok(buckets.length > 2, JSON.stringify(buckets));
      assert.equal(buckets.find((x) => x.labels.le === '+Inf')?.value, m.value('barge_http_request_duration_seconds_count', tasks));
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
      // Routes are patterns: the execution polled above is one series with no id in it.
      assert.ok(m.value('barge_http_request_duration_seconds_count', { method: 'GET', route: '/api/v2/task_executions/:task_execution_id', status: '200' }) >= 1);
      for (const x of m.find('barge_http_request_duration_seconds_count')) {
        assert.ok(!x.labels.route!.includes(id) && !x.labels.route!.includes(t.body.id), `an id in a route label: ${x.labels.route}`);
      }
      // prom-client's default process metrics.
      assert.equal(m.types.get('process_cpu_user_seconds_total'), 'counter');
      assert.ok(m.find('nodejs_eventloop_lag_seconds').length === 1);
    });

    it('is public, and a request that matched no route is one series, not its URL', async () => {
      assert.equal((await fetch(`${b.url}/api/v2/no/such/thing-42`)).status, 404);
      const m = await metrics(b);
      assert.ok(m.value('barge_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }) >= 1);
      assert.ok(!m.samples.some((x) => x.labels.route?.includes('thing-42')));
    });
  });

  describe(`GET /metrics reads the queue and the movers as the store has them (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect }); // engine off: nothing moves the rows written here
    });
    after(async () => b?.stop());

    it('queue depth and wait, movers up or silent, failures within 24 h only', async () => {
      const db = b.barge.store.db;
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const active = run.body.execution_id as string;
      await db.updateTable('task_executions').set({ state: 'in_progress' }).where('id', '=', active).execute();
      const row = await db.selectFrom('task_executions').selectAll().where('id', '=', active).executeTakeFirstOrThrow();
      // Two finished executions of the same task: one an hour ago (counted), one two days ago (not).
      for (const [suffix, finished] of [['recent', ago(HOUR)], ['old', ago(48 * HOUR)]] as const) {
        await db.insertInto('task_executions').values({ ...row, id: `${active}-${suffix}`, state: 'finished_with_warnings', finished_at: finished }).execute();
      }
      const ledger = (execution_id: string, item_key: string, error_class: string | null) => ({
        execution_id, item_key, src_path: `/${item_key}`, dst_path: null, size: 1, checksum: null, status: 'failed', error_class, error: 'x', attempts: 1, updated_at: ago(0),
      });
      await db.insertInto('file_ledger').values([
        ledger(active, 'a', 'io'), ledger(active, 'b', null), ledger(`${active}-recent`, 'c', 'io'), ledger(`${active}-old`, 'd', 'checksum_mismatch'),
        { ...ledger(active, 'e', null), status: 'done' },
      ]).execute();
      const batch = (seq: number, state: 'queued' | 'leased' | 'done', availableAt: string) => ({
        id: `${active}-b${seq}`, execution_id: active, seq, state, files: 1, bytes: 1, done_files: 0, done_bytes: 0, failed_files: 0,
        lease_owner: state === 'leased' ? 'm' : null, lease_until: null, attempts: 0, available_at: availableAt, created_at: ago(HOUR), updated_at: ago(0), inflight_bytes: 0,
      });
      await db.insertInto('work_batches').values([
        batch(1, 'queued', ago(90_000)), batch(2, 'queued', ago(1000)), batch(3, 'queued', ago(-HOUR)), // due 90 s ago, 1 s ago, in an hour
        batch(4, 'leased', ago(HOUR)), batch(5, 'done', ago(HOUR)),
      ]).execute();
      const mover = (name: string, state: string, heard: string) => ({
        name, host: 'h', pid: 1, slots: 8, storages: '"*"', state, started_at: ago(72 * HOUR), last_heartbeat_at: heard, bandwidth: 0, files_done: 7, bytes_done: 7000,
      });
      await db.insertInto('movers').values([
        mover('live', 'online', ago(0)), mover('killed', 'online', ago(60_000)), mover('draining', 'draining', ago(0)), mover('gone', 'offline', ago(48 * HOUR)),
      ]).execute();

      const m = await metrics(b);
      assert.equal(m.value('barge_executions', { state: 'in_progress' }), 1);
      assert.equal(m.value('barge_executions', { state: 'finished_with_warnings' }), 2);
      assert.equal(m.value('barge_queue_batches', { state: 'queued' }), 3);
      assert.equal(m.value('barge_queue_batches', { state: 'leased' }), 1);
      const wait = m.value('barge_queue_oldest_batch_wait_seconds');
      assert.ok(wait >= 90 && wait < 120, `oldest due batch waited ${wait} s`);
      assert.deepEqual(Object.fromEntries(m.find('barge_mover_up').map((x) => [x.labels.mover, x.value])), { live: 1, killed: 0, draining: 0 });
      assert.equal(m.value('barge_mover_files_done', { mover: 'killed' }), 7);
      assert.equal(m.value('barge_mover_bytes_done', { mover: 'live' }), 7000);
      assert.deepEqual(Object.fromEntries(m.find('barge_failed_files').map((x) => [x.labels.error_class, x.value])), { io: 2, unknown: 1 });

      // A paused run's batches wait for no mover: no wait time, still in the queue's depth.
      await db.updateTable('task_executions').set({ state: 'paused' }).where('id', '=', active).execute();
      const paused = await metrics(b);
      assert.equal(paused.value('barge_queue_oldest_batch_wait_seconds'), 0);
      assert.equal(paused.value('barge_queue_batches', { state: 'queued' }), 3);
      assert.equal(paused.value('barge_executions', { state: 'in_progress' }), 0);
    });
  });
}

describe('BARGE_METRICS=off', () => {
  it('leaves GET /metrics out (404), the API keeps working', async () => {
    const b = await boot({ env: { BARGE_METRICS: 'off' } });
    try {
      assert.equal((await scrape(b)).status, 404);
      assert.equal((await b.api.get('/health')).status, 200);
    } finally {
      await b.stop();
    }
  });
});
