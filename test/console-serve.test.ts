/**
 * Serving the console (src/api/console.ts) without a browser: the SPA fallback, caching, the CSP, the
 * 503 page when the console is not built, and no Basic challenge for the console's own API calls.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { consolePlugin } from '../src/api/console.js';

async function app(dir: string): Promise<FastifyInstance> {
  const a = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  a.get('/api/v2/tasks', async (_req, reply) => reply.code(401).header('www-authenticate', 'Basic realm="barge"').send({ messages: ['Invalid credentials'], details: {} }));
  await consolePlugin(dir)(a);
  return a;
}

describe('console serving', () => {
  let dist: string;
  before(async () => {
    dist = await mkdtemp(join(tmpdir(), 'barge-console-dist-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  });
  after(async () => rm(dist, { recursive: true, force: true }));

  it('serves files, falls back to index.html for client routes, and keeps missing assets 404', async () => {
    const a = await app(dist);
    const index = await a.inject('/console/');
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /id="root"/);
    assert.match(String(index.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const deep = await a.inject('/console/tasks/42/edit?x=1');
    assert.equal(deep.statusCode, 200);
    assert.match(deep.body, /id="root"/);
    const asset = await a.inject('/console/assets/index-abc.js');
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.equal((await a.inject('/console/assets/gone.js')).statusCode, 404);
    assert.equal((await a.inject('/console/robots.txt')).statusCode, 404);
    assert.equal((await a.inject('/')).headers.location, '/console/');
    assert.equal((await a.inject('/console')).headers.location, '/console/');
    await a.close();
  });

  it('answers 503 with the build instruction when the console is not built', async () => {
    const a = await app(join(dist, 'missing'));
    for (const url of ['/console/', '/console/tasks', '/console']) {
      const r = await a.inject(url);
      assert.equal(r.statusCode, 503, url);
      assert.match(r.body, /npm run build/);
    }
    assert.equal((await a.inject('/api/v2/tasks')).statusCode, 401, 'the API is unaffected');
    await a.close();
  });

  it('drops the Basic challenge only for the console (X-Requested-With), which would open a browser dialog', async () => {
    const a = await app(dist);
    const plain = await a.inject('/api/v2/tasks');
    assert.equal(plain.headers['www-authenticate'], 'Basic realm="barge"');
    const fromConsole = await a.inject({ url: '/api/v2/tasks', headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(fromConsole.statusCode, 401);
    assert.equal(fromConsole.headers['www-authenticate'], undefined);
    await a.close();
  });
});
