/**
 * Webhooks end to end (issue #11): a real Barge with its engine, real files, and a real HTTP receiver.
 * Deliveries on started/finished, signed (checked here by an independent verifier: node:crypto HMAC
 * and a constant-time compare), retried after a 500 with the same delivery id and body, failed files
 * reported, a target outside the allow-list refused without a connection, and the deliveries list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { WebhookReceiver, type Received } from './helpers/webhook-receiver.js';
import { refusedRange } from '../src/lib/webhook-target.js';

const SECRET = 'whsec_test_0123456789';

/** Stripe's verification, written here from its description (not Barge's code). */
function verify(r: Received, secret: string): { t: number } {
  const header = String(r.headers['x-barge-signature'] ?? '');
  const fields = new Map(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(fields.get('t'));
  const v1 = Buffer.from(fields.get('v1') ?? '', 'hex');
  const expected = createHmac('sha256', secret).update(`${t}.${r.raw}`).digest();
  assert.ok(v1.length === expected.length && timingSafeEqual(v1, expected), `signature of ${r.path} does not verify: ${header}`);
  assert.ok(Math.abs(Date.now() / 1000 - t) < 300, 'timestamp within 5 minutes');
  return { t };
}

describe('webhooks', () => {
  let b: Booted;
  let rx: WebhookReceiver;
  before(async () => {
    rx = await new WebhookReceiver().start();
    // `localhost` listed: the receiver is allowed; any other name of this machine is not.
    b = await boot({ engine: true, env: { BARGE_WEBHOOK_ALLOW: 'localhost', BARGE_WEBHOOK_BACKOFF_MS: '100' } });
  });
  after(async () => {
    await b?.stop();
    await rx?.stop();
  });

  async function taskWithWebhook(files: Record<string, string | number>, hook: Record<string, unknown>) {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, files);
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const cb = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'webhook', ...hook });
    assert.equal(cb.status, 201, JSON.stringify(cb.body));
    assert.equal(cb.body.secret, undefined, 'the secret is never returned');
    return { task: t.body.id as string, callback: cb.body.id as string, shares: s };
  }

  async function run(task: string): Promise<string> {
    const r = await b.admin.put(`/tasks/${task}/action/run`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.execution_id as string;
  }

  const deliveries = async (task: string, callback: string, query = '') => {
    const r = await b.admin.get(`/tasks/${task}/task_callbacks/${callback}/deliveries${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { count: number; deliveries: any[] };
  };

  it('delivers started and finished, signed (Stripe scheme), with the execution view, and lists them', async () => {
    const { task, callback } = await taskWithWebhook({ 'a.txt': 'hello', 'sub/b.bin': 10_000 }, { url: `http://localhost:${rx.port}/ok`, secret: SECRET, events: ['started', 'finished'] });
    const execution = await run(task);
    const got = await waitFor(async () => (rx.at('/ok').length >= 2 ? rx.at('/ok') : undefined), 'two deliveries', 20_000);
    assert.deepEqual(got.map((r) => r.headers['x-barge-event']), ['started', 'finished']);
    for (const r of got) {
      verify(r, SECRET);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.body.id, r.headers['x-barge-delivery']);
      assert.equal(r.body.event, r.headers['x-barge-event']);
      assert.equal(r.body.task_callback_id, callback);
      assert.equal(r.body.execution.id, execution);
      assert.equal(r.body.execution.task_id, task);
    }
    const finished = got[1]!.body;
    assert.equal(finished.execution.status, 'done');
    assert.equal(finished.execution.nodes_done, 2);
    assert.ok(finished.execution.finished_at);
    // A forged body fails the same verifier.
    assert.throws(() => verify({ ...got[1]!, raw: got[1]!.raw.replace('"done"', '"error"') }, SECRET));

    const list = await waitFor(async () => {
      const l = await deliveries(task, callback);
      return l.deliveries.every((d) => d.state === 'delivered') && l.count === 2 ? l : undefined;
    }, 'both delivered in the list');
    assert.deepEqual(list.deliveries.map((d) => d.event), ['finished', 'started'], 'newest first');
    for (const d of list.deliveries) {
      assert.equal(d.execution_id, execution);
      assert.equal(d.attempt_count, 1);
      assert.equal(d.attempts[0].status_code, 200);
      assert.equal(d.attempts[0].outcome, 'delivered');
      assert.ok(d.attempts[0].duration_ms >= 0);
    }
    const filtered = await deliveries(task, callback, '?event=started&limit=1');
    assert.deepEqual([filtered.count, filtered.deliveries.length, filtered.deliveries[0].event], [1, 1, 'started']);
  });

  it('a dry run (a preview) sends nothing; the real run after it does', async () => {
    const { task, callback } = await taskWithWebhook({ 'a.txt': 'hello' }, { url: `http://localhost:${rx.port}/preview`, secret: SECRET, events: ['started', 'finished', 'failed_file'] });
    const dry = await b.admin.put(`/tasks/${task}/action/dry_run`);
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    await waitFor(async () => ((await b.admin.get(`/task_executions/${dry.body.execution_id}`)).body.status === 'done' ? true : undefined), 'the dry run ends');
    const real = await run(task);
    const got = await waitFor(async () => (rx.at('/preview').length >= 2 ? rx.at('/preview') : undefined), 'the real run\'s deliveries', 20_000);
    // Events are recorded in the order runs started and ended: the preview's would have come first.
    assert.deepEqual(got.map((r) => [r.body.event, r.body.execution.id]), [['started', real], ['finished', real]]);
    const list = await deliveries(task, callback);
    assert.ok(list.deliveries.every((d) => d.execution_id === real), 'no delivery for the dry run');
  });

  it('retries after a 500 (same delivery id and body, a fresh signature) and records both attempts', async () => {
    rx.answer('/flaky', 500, 200);
    const { task, callback } = await taskWithWebhook({ 'x.txt': 'x' }, { url: `http://localhost:${rx.port}/flaky`, secret: SECRET, events: ['finished'] });
    await run(task);
    const got = await waitFor(async () => (rx.at('/flaky').length >= 2 ? rx.at('/flaky') : undefined), 'a retry', 20_000);
    assert.equal(got.length, 2, 'delivered on the second attempt: no third');
    assert.equal(got[0]!.headers['x-barge-delivery'], got[1]!.headers['x-barge-delivery']);
    assert.equal(got[0]!.raw, got[1]!.raw);
    for (const r of got) verify(r, SECRET);
    const list = await waitFor(async () => {
      const l = await deliveries(task, callback);
      return l.deliveries[0]?.state === 'delivered' ? l : undefined;
    }, 'delivered after the retry');
    assert.equal(list.count, 1);
    assert.deepEqual(list.deliveries[0].attempts.map((a: any) => [a.attempt, a.status_code, a.outcome]), [[1, 500, 'http_error'], [2, 200, 'delivered']]);
    assert.equal(list.deliveries[0].attempts[0].error, 'HTTP 500');
    assert.equal(list.deliveries[0].last_status, 200);
  });

  it('reports failed files (one event each) before the run ends finished_with_warnings', async () => {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'ok/1.bin': 1000, 'bad/x.txt': 'x' });
    await writeFile(join(s.dst!.path, 'bad'), 'a file where a folder is needed');
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    const cb = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'webhook', url: `http://localhost:${rx.port}/failures`, secret: SECRET, events: ['failed_file', 'finished'] });
    assert.equal(cb.status, 201, JSON.stringify(cb.body));
    const execution = await run(t.body.id);
    const got = await waitFor(async () => (rx.at('/failures').some((r) => r.body.event === 'finished') ? rx.at('/failures') : undefined), 'the finished event', 20_000);
    const failed = got.filter((r) => r.body.event === 'failed_file');
    assert.deepEqual(failed.map((r) => r.body.file.src_path).sort(), ['/bad', '/bad/x.txt']);
    for (const r of failed) {
      assert.equal(r.body.file.status, 'failed');
      assert.equal(r.body.execution.id, execution);
      verify(r, SECRET);
    }
    assert.equal(got.at(-1)!.body.execution.status, 'finished_with_warnings');
    assert.equal(got.filter((r) => r.body.event === 'finished').length, 1);
  });

  it('refuses a target outside the allow-list without connecting (this machine by another name)', async (t) => {
    const name = hostname();
    const address = await lookup(name).then((a) => a.address, () => undefined);
    if (!address || !refusedRange(address)) {
      t.skip(`${name} does not resolve to a refused address here (${address ?? 'no address'})`);
      return;
    }
    const before = rx.connections;
    const { task, callback } = await taskWithWebhook({ 'x.txt': 'x' }, { url: `http://${name}:${rx.port}/refused`, secret: SECRET, events: ['started', 'finished'] });
    await run(task);
    const list = await waitFor(async () => {
      const l = await deliveries(task, callback);
      return l.count === 2 && l.deliveries.every((d) => d.state === 'refused') ? l : undefined;
    }, 'both refused', 20_000);
    for (const d of list.deliveries) {
      assert.equal(d.attempt_count, 1, 'a refusal is not retried');
      assert.equal(d.attempts[0].outcome, 'refused');
      assert.equal(d.attempts[0].status_code, null);
      assert.equal(d.attempts[0].error, `${name} resolves to a loopback address; webhooks may call it only when BARGE_WEBHOOK_ALLOW lists it`, 'the address itself is not shown');
    }
    assert.equal(rx.at('/refused').length, 0);
    assert.equal(rx.connections, before, 'no connection was made');
  });

  it('refuses a literal address outside the allow-list, or localhost, when the callback is created or updated (422 on url)', async () => {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    for (const [url, why] of [['http://10.1.2.3/hook', /10\.1\.2\.3 is a private address/], ['http://[::ffff:169.254.169.254]/', /link-local/], [`http://${hostname()}.localhost/`, /this machine/]] as const) {
      const r = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'webhook', url, secret: SECRET, events: ['finished'] });
      assert.equal(r.status, 422, url);
      assert.equal(r.body.details.url[0].error, 'invalid');
      assert.match(JSON.stringify(r.body), why);
    }
    const ok = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'webhook', url: `http://localhost:${rx.port}/x`, secret: SECRET, events: ['finished'] });
    assert.equal(ok.status, 201, 'localhost is listed here');
    const moved = await b.admin.put(`/tasks/${t.body.id}/task_callbacks/${ok.body.id}`, { url: 'http://192.168.1.10/' });
    assert.equal(moved.status, 422);
    assert.match(moved.body.details.url[0].reason, /private address/);
  });

  it('the deliveries list: only for who may see the task, and only of that task\'s callback', async () => {
    const { task, callback } = await taskWithWebhook({ 'x.txt': 'x' }, { url: `http://localhost:${rx.port}/quiet`, secret: SECRET, events: ['finished'] });
    const other = await b.admin.post('/tasks', copyTask((await nasWithShares(b.admin, ['a']))['a']!.id, (await nasWithShares(b.admin, ['b']))['b']!.id));
    assert.equal((await b.admin.get(`/tasks/${other.body.id}/task_callbacks/${callback}/deliveries`)).status, 404);
    assert.equal((await b.admin.get(`/tasks/${task}/task_callbacks/nope/deliveries`)).status, 404);
    const u = await makeUser(b.admin);
    assert.equal((await u.client.get(`/tasks/${task}/task_callbacks/${callback}/deliveries`)).status, 404);
    const bad = await b.admin.get(`/tasks/${task}/task_callbacks/${callback}/deliveries?sort_by=payload`);
    assert.equal(bad.status, 422);
    assert.ok(bad.body.details.sort_by);
    assert.deepEqual(await deliveries(task, callback), { count: 0, deliveries: [] });
  });
});
