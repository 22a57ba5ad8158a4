/** CORS is off unless configured; when configured only the listed origins get the headers. */
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
