import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMetaOptions, checkWriteOptions, mapOrderedBounded, onAbort, resolveRange } from './driver-support.js';
import { isStorageError } from './errors.js';
import { MEMORY_FEATURES } from './memory/memory-driver.js';
import type { DriverFeatures } from './driver.js';

const ranged: DriverFeatures = MEMORY_FEATURES;
const plain: DriverFeatures = { ...MEMORY_FEATURES, rangeRead: false, setOwnership: false, userMetadata: false, storageClasses: [] };

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isStorageError(err) && err.code === code);
}

describe('resolveRange', () => {
  it('uses inclusive bounds and clamps to the size', () => {
    assert.deepEqual(resolveRange({}, 10, ranged, 'p'), { start: 0, end: 9 });
    assert.deepEqual(resolveRange({ start: 2, end: 4 }, 10, ranged, 'p'), { start: 2, end: 4 });
    assert.deepEqual(resolveRange({ start: 9, end: 100 }, 10, ranged, 'p'), { start: 9, end: 9 });
    assert.equal(resolveRange({ start: 10 }, 10, ranged, 'p'), null);
    assert.equal(resolveRange({}, 0, ranged, 'p'), null);
  });

  it('refuses invalid bounds, and ranges without rangeRead', () => {
    throwsCode(() => resolveRange({ start: 3, end: 2 }, 10, ranged, 'p'), 'invalid_argument');
    throwsCode(() => resolveRange({ start: -1 }, 10, ranged, 'p'), 'invalid_argument');
    throwsCode(() => resolveRange({ end: 0.5 }, 10, ranged, 'p'), 'invalid_argument');
    throwsCode(() => resolveRange({ start: 1 }, 10, plain, 'p'), 'unsupported');
    throwsCode(() => resolveRange({ end: 3 }, 10, plain, 'p'), 'unsupported');
    assert.deepEqual(resolveRange({ start: 0 }, 10, plain, 'p'), { start: 0, end: 9 });
  });
});

describe('option checks', () => {
  it('refuse options whose capability is not declared', () => {
    throwsCode(() => checkMetaOptions({ uid: 1 }, plain, 'p'), 'unsupported');
    throwsCode(() => checkWriteOptions({ metadata: { a: 'b' } }, plain, 'p'), 'unsupported');
    throwsCode(() => checkWriteOptions({ storageClass: 'STANDARD' }, plain, 'p'), 'unsupported');
    throwsCode(() => checkWriteOptions({ retainUntilMs: 1 }, ranged, 'p'), 'unsupported');
    assert.doesNotThrow(() => checkWriteOptions({ uid: 1, metadata: { a: 'b' }, storageClass: 'ARCHIVE' }, ranged, 'p'));
  });

  it('refuse malformed values', () => {
    throwsCode(() => checkMetaOptions({ mode: 0o17777 }, ranged, 'p'), 'invalid_argument');
    throwsCode(() => checkMetaOptions({ mtimeMs: Infinity }, ranged, 'p'), 'invalid_argument');
    throwsCode(() => checkMetaOptions({ gid: -1 }, ranged, 'p'), 'invalid_argument');
    throwsCode(() => checkWriteOptions({ size: 1.5 }, ranged, 'p'), 'invalid_argument');
  });
});

describe('mapOrderedBounded', () => {
  it('keeps input order and never exceeds the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    const out: number[] = [];
    for await (const v of mapOrderedBounded(items, 4, async (i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (i % 3 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return i * 2;
    })) out.push(v);
    assert.deepEqual(out, items.map((i) => i * 2));
    assert.ok(peak <= 4 && peak > 1, `peak ${peak}`);
  });

  it('propagates a failure at its position', async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of mapOrderedBounded([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('boom');
        return i;
      })) seen.push(v);
    }, /boom/);
    assert.deepEqual(seen, [1]);
  });
});

describe('onAbort', () => {
  it('fires once, immediately for an aborted signal, and can be detached', async () => {
    let calls = 0;
    const ac = new AbortController();
    const detach = onAbort(ac.signal, () => { calls += 1; });
    ac.abort();
    assert.equal(calls, 1);
    detach();
    const ac2 = new AbortController();
    onAbort(ac2.signal, () => { calls += 1; })();
    ac2.abort();
    assert.equal(calls, 1, 'detached listener does not fire');
    await new Promise<void>((resolve) => onAbort(AbortSignal.abort(), resolve));
  });
});
