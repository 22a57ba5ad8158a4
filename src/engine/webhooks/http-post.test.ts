/**
 * One attempt over a real socket: the answer's status, no redirect followed, a timeout, and targets
 * refused before any connection (a literal address, and a name whose resolved address is refused).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './http-post.js';
import { guardedLookup, type AllowList } from '../../lib/webhook-target.js';

const LOOPBACK: AllowList = { hosts: [], networks: [{ address: '127.0.0.1', prefix: 32 }] };
const NONE: AllowList = { hosts: [], networks: [] };

describe('webhook HTTP attempt', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  const seen: Array<{ url: string; body: string; type: string | undefined }> = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body, type: req.headers['content-type'] });
        if (req.url === '/slow') return; // never answers
        if (req.url === '/moved') return void res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
        res.writeHead(202).end('x'.repeat(200_000));
      });
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const opts = (allow: AllowList, timeoutMs = 2000) => ({ allow, timeoutMs, signal: new AbortController().signal });

  it('posts the JSON body and reports the status (a large answer is cut, not kept)', async () => {
    const r = await postWebhook(`http://127.0.0.1:${port}/hook`, { 'x-barge-event': 'finished' }, '{"a":1}', opts(LOOPBACK));
    assert.deepEqual(r, { kind: 'response', status: 202 });
    assert.deepEqual(seen.at(-1), { url: '/hook', body: '{"a":1}', type: 'application/json' });
  });

  it('does not follow a redirect', async () => {
    const r = await postWebhook(`http://127.0.0.1:${port}/moved`, {}, '{}', opts(LOOPBACK));
    assert.deepEqual(r, { kind: 'response', status: 302 });
    assert.equal(seen.some((s) => s.url === '/elsewhere'), false);
  });

  it('gives up after the timeout', async () => {
    const t0 = Date.now();
    const r = await postWebhook(`http://127.0.0.1:${port}/slow`, {}, '{}', opts(LOOPBACK, 300));
    assert.equal(r.kind, 'timeout');
    assert.ok(Date.now() - t0 < 2000);
  });

  it('refuses a literal loopback address and a name resolving to one, before connecting', async () => {
    const before = connections;
    const literal = await postWebhook(`http://127.0.0.1:${port}/x`, {}, '{}', opts(NONE));
    assert.equal(literal.kind, 'refused');
    assert.match((literal as { error: string }).error, /127\.0\.0\.1 is a loopback address/);
    const rebinding = guardedLookup(NONE, (_h, _f, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]));
    const named = await postWebhook(`http://hooks.example.com:${port}/x`, {}, '{}', { ...opts(NONE), lookup: rebinding });
    assert.equal(named.kind, 'refused');
    assert.match((named as { error: string }).error, /hooks\.example\.com resolves to a loopback address/);
    assert.equal(connections, before, 'no connection');
    const allowed = guardedLookup(LOOPBACK, (_h, _f, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]));
    assert.deepEqual(await postWebhook(`http://hooks.example.com:${port}/y`, {}, '{}', { ...opts(NONE), lookup: allowed }), { kind: 'response', status: 202 }, 'the lookup hands the socket the checked address');
  });
});
