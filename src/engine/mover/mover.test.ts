/**
 * The mover's per-file error handling with an in-memory queue and ledger: a retryable error is
 * retried with backoff until it succeeds, a permanent one fails that file alone — both on record in
 * the ledger with their attempts, and the batch completes with the right counts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { StorageDriver } from '../../storage/driver.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { StorageError } from '../../storage/errors.js';
import { systemClock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { FileLedgerRow } from '../../store/schema.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { Mover, type ContextSource } from './mover.js';
import type { BatchCounts, WorkQueue } from '../queue/work-queue.js';
import type { Batch, WorkItem } from '../queue/work-item.js';

async function put(d: StorageDriver, path: string, text: string): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(text);
  await w.commit();
}

/** One batch to hand out; what the mover reports back is kept. */
function oneBatchQueue(executionId: string, items: WorkItem[], attempts = 1) {
  let claimed = false;
  const completed: BatchCounts[] = [];
  const queue = {
    runnable: async () => (claimed ? [] : [executionId]),
    claim: async (): Promise<Batch | undefined> => {
      if (claimed) return undefined;
      claimed = true;
      return { id: 'b1', executionId, seq: 0, items, attempts, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 } };
    },
    heartbeat: async () => {},
    complete: async (_id: string, counts: BatchCounts) => void completed.push(counts),
    release: async () => assert.fail('the batch is completed, not released'),
    abandon: async () => assert.fail('the batch is completed, not abandoned'),
  } as unknown as WorkQueue;
  return { queue, completed };
}

function memoryLedger() {
  const rows = new Map<string, FileLedgerRow>();
  const ledger = {
    forKeys: async () => new Map(),
    record: async (r: FileLedgerRow[]) => r.forEach((row) => rows.set(row.item_key, row)),
    recordCatalog: async () => {},
  } as unknown as LedgerRepository;
  return { ledger, rows };
}

describe('mover: per-file errors', () => {
  it('retries a retryable error until it passes, fails a permanent one alone, and records both', async () => {
    const src = new MemoryDriver();
    await put(src, '/flaky.txt', 'flaky');
    await put(src, '/full.txt', 'full');
    await put(src, '/fine.txt', 'fine');
    const base = new MemoryDriver();
    let flakyAttempts = 0;
    const dst = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop !== 'openWrite') return Reflect.get(target, prop, receiver);
        return async (path: string, options?: object) => {
          if (path === '/flaky.txt' && ++flakyAttempts < 3) throw new StorageError('checksum_mismatch', 'stored bytes differ');
          if (path === '/full.txt') throw new StorageError('no_space', 'no space left on device');
          return target.openWrite(path, options);
        };
      },
    }) as StorageDriver;
    // full_report: every file on record (without it, plain successes have no row: mover-rowless.test.ts).
    const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: { full_report: true }, metadata: {}, sources: [], destinations: [] };
    const ctx = new ExecutionContext('e1', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'in_progress');
    const item = (path: string, size: number): WorkItem => ({ key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size, mtimeMs: 0 });
    const { queue, completed } = oneBatchQueue('e1', [item('/flaky.txt', 5), item('/full.txt', 4), item('/fine.txt', 4)]);
    const { ledger, rows } = memoryLedger();
    const contexts: ContextSource = { get: async (id) => (id === 'e1' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
    const mover = new Mover({ owner: 'm', slots: 2, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 3, backoffMs: 1 }, queue, ledger, contexts, systemClock, pino({ level: 'silent' }));
    mover.start();
    const deadline = Date.now() + 10_000;
    while (completed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await mover.stop();

    assert.deepEqual(completed, [{ doneFiles: 2, doneBytes: 9, failedFiles: 1 }]);
    const row = (k: string) => rows.get(k) as FileLedgerRow;
    assert.deepEqual([row('/flaky.txt').status, row('/flaky.txt').attempts], ['done', 3]);
    assert.deepEqual([row('/full.txt').status, row('/full.txt').error_class, row('/full.txt').attempts], ['failed', 'no_space', 1]);
    assert.equal(row('/fine.txt').status, 'done');
    assert.equal(flakyAttempts, 3);
    const stored: string[] = [];
    for await (const e of base.list('/')) stored.push(e.name);
    assert.deepEqual(stored.sort(), ['fine.txt', 'flaky.txt'], 'nothing of the failed file');
  });

  for (const attempts of [1, 2]) {
    it(`${attempts === 1 ? 'a first attempt leaves other writers\' temporary files alone' : 'a redo removes the temporary files an earlier attempt left for its targets, folder by folder'}`, async () => {
      const src = new MemoryDriver();
      for (const p of ['/a/x.txt', '/a/y.txt', '/b/z.txt']) await put(src, p, p);
      const cleaned: Array<{ dir: string; names: readonly string[] | undefined; recursive: boolean | undefined }> = [];
      const dst = new Proxy(new MemoryDriver(), {
        get(target, prop, receiver) {
          if (prop !== 'cleanupTemp') return Reflect.get(target, prop, receiver);
          return async (dir: string, options: { names?: readonly string[]; recursive?: boolean } = {}) => {
            cleaned.push({ dir, names: options.names, recursive: options.recursive });
            return target.cleanupTemp(dir, options);
          };
        },
      }) as StorageDriver;
      const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, metadata: {}, sources: [], destinations: [] };
      const ctx = new ExecutionContext('e2', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'in_progress');
      const item = (path: string): WorkItem => ({ key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path: `/out${path}` }, size: path.length, mtimeMs: 0 });
      const { queue, completed } = oneBatchQueue('e2', [item('/a/x.txt'), item('/a/y.txt'), item('/b/z.txt')], attempts);
      const contexts: ContextSource = { get: async (id) => (id === 'e2' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
      const mover = new Mover({ owner: 'm', slots: 2, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 1, backoffMs: 1 }, queue, memoryLedger().ledger, contexts, systemClock, pino({ level: 'silent' }));
      mover.start();
      const deadline = Date.now() + 10_000;
      while (completed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await mover.stop();
      assert.equal(completed.length, 1);
      const expected = attempts === 1 ? [] : [
        { dir: '/out/a', names: ['x.txt', 'y.txt'], recursive: false },
        { dir: '/out/b', names: ['z.txt'], recursive: false },
      ];
      assert.deepEqual(cleaned, expected);
    });
  }

  it('claims large files one round of slots ahead, leaving the rest to other movers', async () => {
    const src = new MemoryDriver();
    const big = 2 << 20;
    const items: WorkItem[] = [];
    for (let i = 0; i < 32; i++) {
      const w = await src.openWrite(`/f${i}`);
      w.stream.end(Buffer.alloc(big, i));
      await w.commit();
      items.push({ key: `/f${i}`, op: 'copy', src: { ep: 0, path: `/f${i}` }, dst: { ep: 0, path: `/f${i}` }, size: big, mtimeMs: 0 });
    }
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const dst = new Proxy(new MemoryDriver(), {
      get(target, prop, receiver) {
        if (prop !== 'openWrite') return Reflect.get(target, prop, receiver);
        return async (path: string, options?: object) => {
          await gate; // every transfer waits: what the mover claims meanwhile is what it holds back from others
          return target.openWrite(path, options);
        };
      },
    }) as StorageDriver;
    const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, metadata: {}, sources: [], destinations: [] };
    const ctx = new ExecutionContext('e3', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'in_progress');
    let claims = 0;
    const batches = Array.from({ length: 8 }, (_, b) => items.slice(b * 4, b * 4 + 4));
    const queue = {
      runnable: async () => (claims < batches.length ? ['e3'] : []),
      claim: async (): Promise<Batch | undefined> => {
        const next = batches[claims];
        if (!next) return undefined;
        return { id: `b${claims++}`, executionId: 'e3', seq: claims, items: next, attempts: 1, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 } };
      },
      heartbeat: async () => {}, complete: async () => {}, release: async () => {}, abandon: async () => {},
    } as unknown as WorkQueue;
    const contexts: ContextSource = { get: async (id) => (id === 'e3' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
    const mover = new Mover({ owner: 'm', slots: 4, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 1, backoffMs: 1 }, queue, memoryLedger().ledger, contexts, systemClock, pino({ level: 'silent' }));
    mover.start();
    const deadline = Date.now() + 5_000;
    while (mover.load.files < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(mover.load.files, 4, 'four large files in flight on four slots');
    // Give the claim loop time to take what it would (it polls every 200 ms when it takes nothing).
    const settleUntil = Date.now() + 600;
    while (Date.now() < settleUntil) await new Promise((r) => setTimeout(r, 20));
    assert.equal(claims, 2, 'the batch being worked on and one round ahead, not all eight');
    release();
    await mover.stop();
  });
});
