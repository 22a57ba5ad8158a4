import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature.js';

describe('webhook signature (Stripe scheme)', () => {
  const body = '{"id":"d1","event":"finished"}';
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const expected = createHmac('sha256', 'whsec').update(`1700000000.${body}`).digest('hex');
    assert.equal(webhookSignature('whsec', 1700000000, body), `t=1700000000,v1=${expected}`);
  });
  it('verifies within the tolerance only, with the right secret and the exact body', () => {
    const h = webhookSignature('whsec', 1700000000, body);
    assert.equal(verifyWebhookSignature('whsec', h, body, 1700000100), true);
    assert.equal(verifyWebhookSignature('whsec', h, body, 1700000400), false, 'too old');
    assert.equal(verifyWebhookSignature('other', h, body, 1700000000), false);
    assert.equal(verifyWebhookSignature('whsec', h, body + ' ', 1700000000), false);
    assert.equal(verifyWebhookSignature('whsec', 'garbage', body, 1700000000), false);
  });
});
