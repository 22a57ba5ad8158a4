import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecutionContext, type TaskSnapshot } from './execution-context.js';
import type { DriverFeatures, StorageDriver } from '../storage/driver.js';
import { MemoryDriver } from '../storage/memory/memory-driver.js';

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

describe('ExecutionContext notes on cold restores', () => {
  const withSource = (features: Partial<DriverFeatures>, options: Record<string, unknown>): string[] => {
    const driver = new MemoryDriver();
    const src = { storageId: 's', driver: { ...driver, kind: driver.kind, features: { ...driver.features, ...features } } as unknown as StorageDriver };
    const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options, metadata: {}, sources: [], destinations: [] };
    return new ExecutionContext('e', 't', snapshot, [src], [], 'in_progress').notes;
  };

  it('restoration_expiry_days: ignored without cold sources; without meaning where restores do not expire (Azure)', () => {
    assert.match(withSource({}, { restoration_expiry_days: 3 }).join('\n'), /no source storage archives to a cold tier/);
    assert.deepEqual(withSource({ restoreFromCold: true, restoreExpires: true }, { restoration_expiry_days: 3 }), [], 'S3 Glacier: the days apply');
    assert.match(withSource({ restoreFromCold: true, restoreExpires: false }, { restoration_expiry_days: 3 }).join('\n'), /restoration_expiry_days ignored on sources whose restores do not expire/);
    assert.deepEqual(withSource({ restoreFromCold: true, restoreExpires: false }, { retrieval_options_glacier: 'Expedited' }), [], 'the retrieval speed applies (rehydration priority)');
  });
});
