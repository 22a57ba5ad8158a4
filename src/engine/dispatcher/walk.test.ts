/**
 * The dispatcher hands work to the queue while the walk goes on: with a source whose last folder
 * cannot be listed yet (its listing waits on the test), batches of what was walked so far are in the
 * queue already, each with a checkpoint that a crash would resume from.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry, SignalOptions, StorageDriver } from '../../storage/driver.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { dispatchWalk } from './walk.js';
import type { NewBatch, WalkCheckpoint, WorkQueue } from '../queue/work-queue.js';

async function put(d: StorageDriver, path: string): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(path);
  await w.commit();
}

describe('dispatchWalk', () => {
  it('enqueues batches, with their checkpoint, before the walk has ended', async () => {
    const src = new MemoryDriver();
    for (let i = 0; i < 6; i++) await put(src, `/a/f${i}.txt`);
    await put(src, '/z/last.txt');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let listingZ!: () => void;
    const zAsked = new Promise<void>((resolve) => (listingZ = resolve));
    const slow = new Proxy(src, {
      get(target, prop, receiver) {
        if (prop !== 'list') return Reflect.get(target, prop, receiver);
        return async function* (dir: string, options?: SignalOptions): AsyncGenerator<Entry> {
          if (dir === '/z') {
            listingZ();
            await gate;
          }
          yield* target.list(dir, options);
        };
      },
    }) as StorageDriver;
    const snapshot: TaskSnapshot = {
      id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, metadata: {},
      sources: [{ id: 's', type: 'nas', storage_id: 's', node_paths: ['/'] }], destinations: [{ id: 'd', type: 'nas', storage_id: 'd', node_paths: ['/out'] }],
    };
    const ctx = new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: slow }], [{ storageId: 'd', driver: new MemoryDriver() }], 'calculating');
    const enqueued: Array<{ batches: NewBatch[]; checkpoint: WalkCheckpoint; now: Date }> = [];
    const queue = { enqueue: async (_id: string, batches: NewBatch[], checkpoint: WalkCheckpoint, now: Date) => void enqueued.push({ batches, checkpoint, now }) } as unknown as WorkQueue;
    // A clock far from the real one: the batches must be stamped with it, never with the wall clock.
    const clock = { now: () => new Date('2001-02-03T04:05:06.000Z') };

    const walking = dispatchWalk(ctx, queue, clock, undefined, 0, { batchFiles: 2, batchBytes: 1 << 30, flushBatches: 1 }, () => false);
    await zAsked;
    // The listing of /z hangs: everything under /a must still reach the queue.
    const files = (list: typeof enqueued) => list.flatMap((e) => e.batches.flatMap((b) => b.items)).filter((i) => i.op === 'copy').map((i) => i.src.path);
    const deadline = Date.now() + 5000;
    while (files(enqueued).length < 6 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(files(enqueued), ['/a/f0.txt', '/a/f1.txt', '/a/f2.txt', '/a/f3.txt', '/a/f4.txt', '/a/f5.txt']);
    assert.ok(enqueued.length >= 3, `several flushes (${enqueued.length})`);
    assert.ok(enqueued.every((e) => e.checkpoint.cursor.length > 0), 'each flush carries its checkpoint');
    assert.ok(enqueued.every((e) => e.now.toISOString() === '2001-02-03T04:05:06.000Z'), 'each flush is stamped with the injected clock');
    release();
    assert.deepEqual(await walking, { complete: true });
    assert.deepEqual(files(enqueued).at(-1), '/z/last.txt');
    assert.equal(enqueued.reduce((n, e) => n + e.checkpoint.addFiles, 0), 7);
  });

  it('a resumed walk does not hand out again a name planned before the crash', async () => {
    const src = new MemoryDriver();
    await put(src, '/b.txt');
    const dst = new MemoryDriver();
    await put(dst, '/out/b.txt');
    const snapshot: TaskSnapshot = {
      id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'move', options: { conflict_resolution: 'rename' }, metadata: {},
      sources: [{ id: 's', type: 'nas', storage_id: 's', node_paths: ['/'] }], destinations: [{ id: 'd', type: 'nas', storage_id: 'd', node_paths: ['/out'] }],
    };
    const ctx = new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'calculating');
    const enqueued: NewBatch[] = [];
    const queue = {
      enqueue: async (_id: string, batches: NewBatch[]) => void enqueued.push(...batches),
      // Before the crash `/a.txt` (now gone from the source) got `/out/b (1).txt`, not yet written.
      plannedItems: async function* () {
        yield [{ key: 'x', op: 'move', src: { ep: 0, path: '/a.txt' }, dst: { ep: 0, path: '/out/b (1).txt' }, size: 1, mtimeMs: 0 }];
      },
    } as unknown as WorkQueue;
    await dispatchWalk(ctx, queue, { now: () => new Date() }, { ep: 0, np: 0, path: ['a.txt'] }, 1, { batchFiles: 10, batchBytes: 1 << 30, flushBatches: 1 }, () => false);
    const moved = enqueued.flatMap((b) => b.items).filter((i) => i.op === 'move');
    assert.deepEqual(moved.map((i) => i.dst?.path), ['/out/b (2).txt']);
  });
});
