/** HTTP extras: CORS (off unless configured) and the API reference page. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot } from './helpers/barge.js';

describe('CORS', () => {
  it('is off by default: no Access-Control-* header for any origin', async () => {
    const b = await boot();
    try {
      const r = await fetch(`${b.api.base}/health`, { headers: { origin: 'https://evil.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await b.stop();
    }
  });

  it('answers only the configured origins, including preflight', async () => {
    const b = await boot({ env: { BARGE_CORS_ORIGINS: 'https://console.example' } });
    try {
      const ok = await fetch(`${b.api.base}/health`, { headers: { origin: 'https://console.example' } });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://console.example');
      const pre = await fetch(`${b.api.base}/tasks`, { method: 'OPTIONS', headers: { origin: 'https://console.example', 'access-control-request-method': 'POST' } });
      assert.equal(pre.status, 204);
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
      const other = await fetch(`${b.api.base}/health`, { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await b.stop();
    }
  });
});

describe('API reference page', () => {
  it('renders every operation of the served document, escaped, without scripts', async () => {
    const b = await boot();
    try {
      const r = await fetch(`${b.url}/api/v2/docs`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      const html = await r.text();
      const doc = (await b.api.get('/openapi.json')).body;
      for (const ops of Object.values<any>(doc.paths)) for (const op of Object.values<any>(ops)) assert.ok(html.includes(`id="${op.operationId}"`), op.operationId);
      assert.ok(!/<script/i.test(html));
    } finally {
      await b.stop();
    }
  });
});
