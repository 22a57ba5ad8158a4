/**
 * The sender's decisions on an in-memory outbox and a scripted receiver: 2xx delivered, 410 gone,
 * a 3xx or 5xx retried with backoff until the window ends then failed, a refused target not retried,
 * a secret that cannot be unsealed not sent, one attempt at a time per callback, nothing recorded
 * for an attempt a stop aborted, and no store reads while nothing is due.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookSender } from './sender.js';
import type { PostResult, WebhookPost } from './http-post.js';
import type { AttemptRecord, DeliveryOutcome, DueDelivery, WebhookStore } from './webhook-store.js';
import { createLogger } from '../../lib/logger.js';

interface Row extends DueDelivery { state: string; next: string; log: AttemptRecord[] }

class MemoryOutbox implements Pick<WebhookStore, 'due' | 'nextDue' | 'settle'> {
  rows: Row[] = [];
  reads = 0;
  add(id: string, callback: string, secret: string | null = null, createdAt = new Date().toISOString()): void {
    this.rows.push({ id, callback_id: callback, event: 'finished', payload: `{"id":"${id}"}`, attempts: 0, created_at: createdAt, url: 'https://hooks.example/x', secret_sealed: secret, state: 'pending', next: createdAt, log: [] });
  }
  async due(now: string, limit: number, exclude: string[]): Promise<DueDelivery[]> {
    this.reads += 1;
    return this.rows.filter((r) => r.state === 'pending' && r.next <= now && !exclude.includes(r.callback_id)).slice(0, limit).map((r) => ({ ...r }));
  }
  async nextDue(after: string): Promise<string | undefined> {
    return this.rows.filter((r) => r.state === 'pending' && r.next > after).map((r) => r.next).sort()[0];
  }
  async settle(id: string, expected: number, attempt: AttemptRecord, outcome: DeliveryOutcome): Promise<boolean> {
    const r = this.rows.find((x) => x.id === id);
    if (!r || r.state !== 'pending' || r.attempts !== expected) return false;
    Object.assign(r, { attempts: expected + 1, state: outcome.state, next: outcome.next_attempt_at ?? r.next });
    r.log.push(attempt);
    return true;
  }
  get(id: string): Row {
    return this.rows.find((r) => r.id === id) as Row;
  }
}

const log = createLogger('silent');
const clock = { now: () => new Date() };
const secrets = { open: (s: string) => { if (s === 'broken') throw new Error('bad tag'); return s.replace('sealed:', ''); } };

function sender(store: MemoryOutbox, post: WebhookPost, windowMs = 60_000): WebhookSender {
  return new WebhookSender(store as unknown as WebhookStore, post, secrets, clock, log, { policy: { baseMs: 20, capMs: 100, windowMs }, timeoutMs: 1000, allow: { hosts: [], networks: [] }, concurrency: 4 });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('webhook sender', () => {
  it('settles by answer: 2xx delivered, 410 gone, 3xx and 5xx retried, refused once, unsealable secret not sent', async () => {
    const store = new MemoryOutbox();
    const script: Record<string, PostResult[]> = {
      ok: [{ kind: 'response', status: 204 }],
      gone: [{ kind: 'response', status: 410 }],
      moved: [{ kind: 'response', status: 302 }, { kind: 'response', status: 200 }],
      flaky: [{ kind: 'network', error: 'ECONNRESET' }, { kind: 'timeout', error: 'slow' }, { kind: 'response', status: 201 }],
      refused: [{ kind: 'refused', error: '10.0.0.1 is a private address' }],
    };
    const headers: Record<string, Record<string, string>> = {};
    const post: WebhookPost = async (_url, h, body) => {
      const id = JSON.parse(body).id as string;
      headers[id] = h;
      return (script[id] as PostResult[]).length > 1 ? (script[id] as PostResult[]).shift()! : (script[id] as PostResult[])[0]!;
    };
    for (const id of Object.keys(script)) store.add(id, `cb-${id}`, id === 'ok' ? 'sealed:whsec' : null);
    store.add('unsealable', 'cb-u', 'broken');
    const s = sender(store, post);
    s.start();
    try {
      await until(() => store.rows.every((r) => r.state !== 'pending'), 'every delivery settled');
    } finally {
      await s.stop();
    }
    assert.deepEqual(Object.fromEntries(store.rows.map((r) => [r.id, [r.state, r.log.map((a) => a.outcome).join(',')]])), {
      ok: ['delivered', 'delivered'], gone: ['gone', 'gone'], moved: ['delivered', 'http_error,delivered'],
      flaky: ['delivered', 'network_error,timeout,delivered'], refused: ['refused', 'refused'], unsealable: ['failed', 'not_sent'],
    });
    assert.match(store.get('moved').log[0]!.error!, /HTTP 302 \(redirects are not followed\)/);
    assert.match(headers.ok!['x-barge-signature']!, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(headers.ok!['x-barge-delivery'], 'ok');
    assert.equal(headers.ok!['x-barge-event'], 'finished');
    assert.equal(headers.gone!['x-barge-signature'], undefined, 'no secret, no signature');
    assert.equal(headers.unsealable, undefined, 'never sent');
    assert.deepEqual(store.get('flaky').log.map((a) => a.attempt), [1, 2, 3]);
  });

  it('gives a delivery up once the retry window is over', async () => {
    const store = new MemoryOutbox();
    store.add('down', 'cb', null, new Date(Date.now() - 59_990).toISOString());
    const s = sender(store, async () => ({ kind: 'response', status: 500 }));
    s.start();
    try {
      await until(() => store.get('down').state !== 'pending', 'given up');
    } finally {
      await s.stop();
    }
    assert.equal(store.get('down').state, 'failed');
    assert.equal(store.get('down').log.length, 1, 'the next attempt would fall after the window');
  });

  it('one attempt at a time per callback; a stop aborts what is in flight and records nothing; idle means no reads', async () => {
    const store = new MemoryOutbox();
    store.add('a1', 'cb-a');
    store.add('a2', 'cb-a');
    store.add('b1', 'cb-b');
    const inFlight = new Set<string>();
    let overlap = false;
    let hang = false;
    const post: WebhookPost = (_url, _h, body, opts) => {
      const id = JSON.parse(body).id as string;
      const cb = id.slice(0, 1);
      if ([...inFlight].some((x) => x.startsWith(cb))) overlap = true;
      inFlight.add(id);
      return new Promise<PostResult>((resolve) => {
        const done = (r: PostResult) => { inFlight.delete(id); resolve(r); };
        if (hang) opts.signal.addEventListener('abort', () => done({ kind: 'network', error: 'aborted' }));
        else setTimeout(() => done({ kind: 'response', status: 200 }), 20);
      });
    };
    const s = sender(store, post);
    s.start();
    await until(() => store.rows.every((r) => r.state === 'delivered'), 'all delivered');
    assert.equal(overlap, false, 'a1 and a2 never in flight together');
    const reads = store.reads;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(store.reads - reads <= 1, `idle: ${store.reads - reads} reads in 300 ms`);
    hang = true;
    store.add('c1', 'cb-c');
    s.nudge();
    await until(() => inFlight.has('c1'), 'c1 in flight');
    await s.stop();
    assert.equal(store.get('c1').state, 'pending', 'left for the next lease holder');
    assert.equal(store.get('c1').log.length, 0, 'the aborted attempt is not recorded');
  });
});
