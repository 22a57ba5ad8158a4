/**
 * groupAt (batch-transfer.ts): which items of a batch travel together in one transferBatch call — a
 * whole batch of the dispatcher (512 small copies) at most, split where an item cannot join.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageDriver } from '../../storage/driver.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import type { WorkItem } from '../queue/work-item.js';
import { GROUP_FILES, foldersFirst, groupAt } from './batch-transfer.js';

function context(options: Record<string, unknown> = {}): ExecutionContext {
  const src = new MemoryDriver();
  // A source with a batch path (its behaviour does not matter to groupAt).
  const batching = new Proxy(src, {
    get: (target, prop, receiver) => (prop === 'transferBatch' ? async () => [] : Reflect.get(target, prop, receiver)),
  }) as StorageDriver;
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options, metadata: {}, sources: [], destinations: [] };
  return new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: batching }], [{ storageId: 'd', driver: new MemoryDriver() }], 'in_progress');
}

const SMALL = 1 << 20;
const copy = (n: number, size = 4096): { item: WorkItem } => ({ item: { key: `/f${n}`, op: 'copy', src: { ep: 0, path: `/f${n}` }, dst: { ep: 0, path: `/f${n}` }, size, mtimeMs: 0 } });

describe('groupAt', () => {
  it('takes a whole batch of small copies (GROUP_FILES) as one group, and no more', () => {
    assert.equal(GROUP_FILES, 512);
    const ctx = context();
    const todo = Array.from({ length: GROUP_FILES + 44 }, (_, n) => copy(n));
    const first = groupAt(ctx, todo, 0, SMALL);
    assert.equal(first.length, GROUP_FILES);
    assert.equal(first[GROUP_FILES - 1], todo[GROUP_FILES - 1]);
    assert.deepEqual(groupAt(ctx, todo, GROUP_FILES, SMALL), todo.slice(GROUP_FILES));
  });

  it('stops at a large file, and gives nothing when the first item cannot join', () => {
    const ctx = context();
    const todo = [copy(0), copy(1), copy(2, 2 << 20), copy(3)];
    assert.deepEqual(groupAt(ctx, todo, 0, SMALL), todo.slice(0, 2));
    assert.deepEqual(groupAt(ctx, todo, 2, SMALL), []);
  });
});

describe('foldersFirst', () => {
  const mkdir = (n: number): { item: WorkItem } => ({ item: { key: `/d${n}`, op: 'mkdir', src: { ep: 0, path: `/d${n}` }, dst: { ep: 0, path: `/d${n}` }, size: 0, mtimeMs: 0 } });

  it('puts the mkdirs first, each kind in its order, so that the copies of several folders form one group', () => {
    const ctx = context();
    const todo = [mkdir(0), copy(0), copy(1), mkdir(1), copy(2), mkdir(2), mkdir(3), copy(3)];
    const [d0, c0, c1, d1, c2, d2, d3, c3] = todo;
    assert.equal(groupAt(ctx, todo, 1, SMALL).length, 2, 'before: a folder\'s mkdir cuts the group');
    foldersFirst(todo);
    assert.deepEqual(todo, [d0, d1, d2, d3, c0, c1, c2, c3]);
    assert.deepEqual(groupAt(ctx, todo, 4, SMALL), [c0, c1, c2, c3]);
  });

  it('leaves a batch of one kind as it is', () => {
    const copies = [copy(0), copy(1)];
    const dirs = [mkdir(0), mkdir(1)];
    const [a, b] = [[...copies], [...dirs]];
    foldersFirst(a);
    foldersFirst(b);
    assert.deepEqual([a, b], [copies, dirs]);
  });
});
