import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_CAP_MS, nextAttemptAt, retryDelayMs, type BackoffPolicy } from './backoff.js';

const DAY = 86_400_000;
const policy: BackoffPolicy = { baseMs: 10_000, capMs: BACKOFF_CAP_MS, windowMs: DAY };

describe('webhook backoff', () => {
  it('doubles from the base up to the cap, with ±20 % jitter', () => {
    const mid = () => 0.5; // factor 1.0
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, mid)), [10_000, 20_000, 40_000, 80_000, 160_000]);
    assert.equal(retryDelayMs(9, policy, mid), 2_560_000, '10 s · 2^8 ≈ 43 min');
    assert.equal(retryDelayMs(10, policy, mid), BACKOFF_CAP_MS, 'then 1 h each');
    assert.equal(retryDelayMs(60, policy, mid), BACKOFF_CAP_MS, 'no overflow for late attempts');
    assert.equal(retryDelayMs(1, policy, () => 0), 8_000);
    assert.equal(retryDelayMs(1, policy, () => 0.999999), 12_000);
  });

  it('retries for the window (24 h by default), then gives up; the schedule has about 30 attempts', () => {
    const created = new Date('2030-01-01T00:00:00Z');
    let now = created;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(created, attempts, now, policy, () => 0.5);
      if (!next) break;
      assert.ok(next.getTime() > now.getTime());
      now = next;
      attempts += 1;
    }
    assert.ok(now.getTime() - created.getTime() <= DAY, 'no attempt after the window');
    assert.ok(now.getTime() - created.getTime() > DAY - BACKOFF_CAP_MS * 1.2, 'the last attempt is within the last hour of the window');
    assert.ok(attempts >= 28 && attempts <= 34, `${attempts} attempts`);
  });
});
