import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  it('round-trips, never shows the plain text, and uses a fresh IV each time', () => {
    const box = new SecretBox(randomBytes(32));
    const a = box.seal('s3cr3t-key');
    const b = box.seal('s3cr3t-key');
    assert.notEqual(a, b);
    assert.ok(!a.includes('s3cr3t'));
    assert.equal(box.open(a), 's3cr3t-key');
  });
  it('refuses a tampered or foreign-key ciphertext', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('value');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other').toString('base64url');
    assert.throws(() => box.open(parts.join('.')));
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed));
  });
});
