import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecutionContext, type TaskSnapshot } from './execution-context.js';

function ctx(action: string, options: Record<string, unknown>): ExecutionContext {
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: action, options, metadata: {}, sources: [], destinations: [] };
  return new ExecutionContext('e', 't', snapshot, [], [], 'in_progress');
}

describe('ExecutionContext options', () => {
  it('a speedtest runs its iterations one at a time, whatever parallel says; other actions keep theirs', () => {
    assert.equal(ctx('speedtest', {}).opts.parallel, 1);
    assert.equal(ctx('speedtest', { parallel: 4 }).opts.parallel, 1);
    assert.equal(ctx('copy', { parallel: 4 }).opts.parallel, 4);
    assert.equal(ctx('copy', {}).opts.parallel, null);
  });
});
