import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparable, summarizePlan, withEta, type MeasuredRun } from './dry-run.js';

const run = (over: Partial<MeasuredRun>): MeasuredRun => ({ action: 'copy', sources: ['s'], destinations: ['d'], bytes: 1000, files: 10, seconds: 10, ...over });

describe('dry-run plan', () => {
  it('counts files and bytes per operation; skips and failures are not work', () => {
    const p = summarizePlan([
      { operation: 'copy', files: 3, bytes: 300 }, { operation: 'rename', files: 1, bytes: 50 },
      { operation: 'skip', files: 2, bytes: 20 }, { operation: 'fail', files: 1, bytes: 0 }, { operation: null, files: 1, bytes: 0 },
    ]);
    assert.deepEqual(p, {
      files: 4, bytes: 350, skipped: 2, failed: 2,
      operations: { copy: { files: 3, bytes: 300 }, rename: { files: 1, bytes: 50 }, skip: { files: 2, bytes: 20 }, fail: { files: 2, bytes: 0 } },
    });
  });

  it('measures transfers that share a source and a destination; erases on erases of a shared source', () => {
    const target = { action: 'move', sources: ['s', 'x'], destinations: ['d'] };
    assert.equal(comparable(run({}), target), true);
    assert.equal(comparable(run({ destinations: ['other'] }), target), false);
    assert.equal(comparable(run({ sources: ['other'] }), target), false);
    assert.equal(comparable(run({ action: 'scan' }), target), false);
    assert.equal(comparable(run({ sources: ['other'] }), { action: 'restore', sources: [], destinations: ['d'] }), true, 'a restore names no source');
    assert.equal(comparable(run({ action: 'erase', destinations: [] }), { action: 'erase', sources: ['s'], destinations: [] }), true);
    assert.equal(comparable(run({}), { action: 'erase', sources: ['s'], destinations: [] }), false);
  });

  it('ETA: bytes over the total rate of the newest comparable runs (at most 5); none → null and why', () => {
    const plan = summarizePlan([{ operation: 'copy', files: 2, bytes: 5000 }]);
    const target = { action: 'copy', sources: ['s'], destinations: ['d'] };
    const e = withEta(plan, target, [run({ bytes: 1000, seconds: 1 }), run({ bytes: 3000, seconds: 3 }), run({ destinations: ['z'], bytes: 1, seconds: 100 })]);
    assert.equal(e.bandwidth, 1000);
    assert.equal(e.eta_seconds, 5);
    assert.equal(e.eta_runs, 2);
    const many = withEta(plan, target, Array.from({ length: 8 }, (_, i) => run({ bytes: i < 5 ? 500 : 1, seconds: 1 })));
    assert.equal(many.eta_runs, 5);
    assert.equal(many.bandwidth, 500);
    const none = withEta(plan, target, []);
    assert.equal(none.eta_seconds, null);
    assert.equal(none.bandwidth, null);
    assert.match(none.eta_note, /no ETA/);
    assert.equal(withEta(summarizePlan([{ operation: 'skip', files: 1, bytes: 9 }]), target, []).eta_seconds, 0, 'nothing to do takes no time');
  });

  it('an erase is timed by files per second', () => {
    const e = withEta(summarizePlan([{ operation: 'erase', files: 30, bytes: 1e9 }]), { action: 'erase', sources: ['s'], destinations: [] }, [run({ action: 'erase', files: 10, seconds: 2 })]);
    assert.equal(e.files_per_second, 5);
    assert.equal(e.eta_seconds, 6);
  });
});
