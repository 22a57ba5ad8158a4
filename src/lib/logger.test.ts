import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('redacts credentials wherever they appear', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = createLogger('info', sink);
    log.info({ req: { headers: { authorization: 'Basic c2VjcmV0' } }, password: 'hunter22', user: { password: 'p4ss', secret_key: 'SK', api_key: 'brg_x', token: 'jwt' }, callback: { secret: 'whsec_1' } }, 'request');
    const out = lines.join('');
    for (const secret of ['c2VjcmV0', 'hunter22', 'p4ss', '"SK"', 'brg_x', '"jwt"', 'whsec_1']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    assert.match(out, /\[Redacted\]/);
  });
});
