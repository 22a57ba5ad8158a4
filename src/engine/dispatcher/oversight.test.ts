/**
 * Why a run waits: with no live mover reaching every storage of the run, its log says so, once per
 * reason; a mover that reaches them (or every storage) makes the note unnecessary.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { systemClock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { explainWait, type MoverDirectory, type OversightDeps } from './oversight.js';

function setup(live: Array<{ name: string; storages: string }>) {
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, metadata: {}, sources: [], destinations: [] };
  const ctx = new ExecutionContext('e', 't', snapshot, [{ storageId: 's1', driver: new MemoryDriver() }], [{ storageId: 'd1', driver: new MemoryDriver() }], 'in_progress');
  const row = { log: '[]' };
  const executions = {
    findById: async () => ({ ...row }),
    update: async (_id: string, patch: { log: string }) => void (row.log = patch.log),
  } as unknown as ExecutionRepository;
  const d = { executions, clock: systemClock, log: pino({ level: 'silent' }) } as unknown as OversightDeps;
  const directory: MoverDirectory = { live: async () => live, storageNames: async () => new Map([['s1', 'src'], ['d1', 'dst']]) };
  return { ctx, row, d, directory };
}

describe('explainWait', () => {
  it('names the storages no live mover reaches, once', async () => {
    const { ctx, row, d, directory } = setup([{ name: 'm1', storages: JSON.stringify([{ id: 's1', name: 'src' }]) }]);
    const noted = new Set<string>();
    await explainWait(ctx, noted, directory, d);
    await explainWait(ctx, noted, directory, d);
    assert.deepEqual(JSON.parse(row.log), ['waiting: no live mover reaches every storage of this run (src, dst); movers: m1']);
  });

  it('says when no mover runs at all', async () => {
    const { ctx, row, d, directory } = setup([]);
    await explainWait(ctx, new Set(), directory, d);
    assert.deepEqual(JSON.parse(row.log), ['waiting: no mover is running']);
  });

  it('writes nothing when a live mover reaches every storage, by name or with "*"', async () => {
    for (const storages of [JSON.stringify([{ id: 's1', name: 'src' }, { id: 'd1', name: 'dst' }]), JSON.stringify('*')]) {
      const { ctx, row, d, directory } = setup([{ name: 'm1', storages }]);
      await explainWait(ctx, new Set(), directory, d);
      assert.deepEqual(JSON.parse(row.log), []);
    }
  });
});
