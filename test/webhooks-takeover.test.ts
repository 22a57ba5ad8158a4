/**
 * Webhook deliveries belong to the store, not to a process: the dispatcher holding the engine lease
 * sends them; when it stops, the one that takes the lease over continues the same deliveries (same
 * delivery id, attempts counted on) — on one SQLite file, or one PostgreSQL schema.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { boot, dialects, freshPgUrl, pgSkipReason, PG_URL, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const engine = (name: string) => ({ engine: { name, heartbeatMs: 100, leaseMs: 10_000, statsIntervalMs: 50 } });

for (const dialect of dialects()) {
  describe(`webhooks continue on the dispatcher that takes the lease over (${dialect})`, () => {
    let a: Booted;
    let b: Booted;
    let rx: WebhookReceiver;
    let drop: (() => Promise<void>) | undefined;
    before(async () => {
      rx = await new WebhookReceiver().start();
      // Both processes must open the same sealed secrets: one secret-box key.
      const env: Record<string, string> = { BARGE_WEBHOOK_ALLOW: 'localhost', BARGE_WEBHOOK_BACKOFF_MS: '200', BARGE_SECRET_KEY: randomBytes(32).toString('base64url') };
      if (dialect === 'postgres') {
        const fresh = await freshPgUrl(PG_URL as string);
        env.BARGE_DATABASE_URL = fresh.url;
        drop = fresh.drop;
      }
      a = await boot({ engine: true, env, overrides: engine('engine-a') });
      b = await boot({ engine: true, env: dialect === 'sqlite' ? { ...env, BARGE_DATA_DIR: a.dataDir } : env, overrides: engine('engine-b') });
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
      await drop?.();
      await rx?.stop();
    });

    it('a delivery failing under the engine holding the lease is retried by the other after it stops, and delivered', async () => {
      // One of them holds the lease (a, unless it stalled past its lease while b booted): that one sends first.
      const [first, second] = await waitFor(async () => (a.barge.engine?.isActive ? [a, b] : b.barge.engine?.isActive ? [b, a] : undefined), 'an engine to hold the lease');
      assert.equal(second.barge.engine?.isActive, false);
      rx.answer('/down', 503);
      const s = await nasWithShares(first.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'x.txt': 'x' });
      const t = await first.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      const cb = await first.admin.post(`/tasks/${t.body.id}/task_callbacks`, { type: 'webhook', url: `http://localhost:${rx.port}/down`, secret: 'whsec_takeover', events: ['finished'] });
      assert.equal(cb.status, 201, JSON.stringify(cb.body));
      assert.equal((await first.admin.put(`/tasks/${t.body.id}/action/run`)).status, 200);
      // Wait on the record, not on the receiver: an attempt the receiver saw may still be in flight when
      // the engine stops, and an aborted attempt is not recorded (the next holder sends it again).
      await waitFor(async () => {
        const l = await first.admin.get(`/tasks/${t.body.id}/task_callbacks/${cb.body.id}/deliveries`);
        return (l.body.deliveries?.[0]?.attempt_count ?? 0) >= 2;
      }, 'the first engine retrying', 20_000);
      await first.barge.engine?.stop();
      const seenBefore = rx.at('/down').length;
      rx.answer('/down', 200);
      await waitFor(async () => second.barge.engine?.isActive, 'the other engine to take the lease', 10_000);
      const list = await waitFor(async () => {
        const l = await second.admin.get(`/tasks/${t.body.id}/task_callbacks/${cb.body.id}/deliveries`);
        return l.body.deliveries?.[0]?.state === 'delivered' ? l.body : undefined;
      }, 'delivered by the other engine', 20_000);
      assert.equal(list.count, 1, 'the same delivery, not a second one');
      const d = list.deliveries[0];
      assert.ok(d.attempt_count >= 3 && d.attempt_count <= rx.at('/down').length, JSON.stringify(d.attempts));
      assert.ok(rx.at('/down').length > seenBefore, 'the other engine sent again');
      assert.deepEqual(d.attempts.slice(0, -1).map((x: any) => x.status_code), Array(d.attempt_count - 1).fill(503));
      assert.equal(d.attempts.at(-1).status_code, 200);
      assert.equal(new Set(rx.at('/down').map((r) => r.headers['x-barge-delivery'])).size, 1, 'one delivery id throughout');
    });
  });
}
