import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Accounting } from './accounting.js';

describe('Accounting', () => {
  it('computes bandwidth over a moving window and an ETA', () => {
    const a = new Accounting(5000);
    assert.equal(a.sample(0, 0), 0);
    assert.equal(a.sample(1000, 100), 100);
    assert.equal(a.sample(2000, 300), 150);
    // After the window moves past the early samples only recent throughput counts.
    a.sample(8000, 300);
    assert.equal(a.sample(9000, 1300), 1000, "1000 bytes in the last second; the samples before 4000 ms are gone");
    assert.equal(Accounting.eta(1000, 400, 100), 6);
    assert.equal(Accounting.eta(1000, 400, 0), null);
  });
});
