/**
 * The mover's batch path (batch-transfer.ts): small copies go to a source driver that declares
 * `transferBatch` in one call; each file's outcome is recorded as on the per-file path — a retryable
 * failure is retried (through the per-file path), a permanent one fails that file alone — and large
 * files keep the per-file path.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { StorageDriver } from '../../storage/driver.js';
import type { BatchTransferFile, BatchTransferOutcome } from '../../storage/batch-transfer.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { StorageError } from '../../storage/errors.js';
import { systemClock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { FileLedgerRow } from '../../store/schema.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { Mover, type ContextSource } from './mover.js';
import type { BatchCounts, WorkQueue } from '../queue/work-queue.js';
import type { Batch, WorkItem } from '../queue/work-item.js';

async function put(d: StorageDriver, path: string, data: string | Buffer): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(data);
  await w.commit();
}

async function copyOne(src: StorageDriver, dst: StorageDriver, f: BatchTransferFile): Promise<BatchTransferOutcome> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of await src.openRead(f.path)) chunks.push(c as Buffer);
  } catch (err) {
    return err as StorageError;
  }
  await put(dst, f.dstPath, Buffer.concat(chunks));
  return { size: Buffer.concat(chunks).length, checksum: null };
}

describe('mover: batch transfers', () => {
  it('sends small copies in one transferBatch call and records each file\'s outcome; large files go one by one', async () => {
    const src = new MemoryDriver();
    const small = ['/a.txt', '/b.txt', '/flaky.txt', '/full.txt', '/c.txt'];
    for (const p of small) await put(src, p, p);
    const big = Buffer.alloc(2 << 20, 7);
    await put(src, '/big.bin', big);
    const dst = new MemoryDriver();
    const calls: string[][] = [];
    // The memory driver with a batch path: '/flaky.txt' fails retryably in the batch, '/full.txt' for good.
    const batching = new Proxy(src, {
      get(target, prop, receiver) {
        if (prop !== 'transferBatch') return Reflect.get(target, prop, receiver);
        return async (files: BatchTransferFile[], to: StorageDriver) => {
          calls.push(files.map((f) => f.path));
          const out: BatchTransferOutcome[] = [];
          for (const f of files) {
            if (f.path === '/flaky.txt') out.push(new StorageError('io', 'transient', { path: f.dstPath, retryable: true }));
            else if (f.path === '/full.txt') out.push(new StorageError('no_space', 'no space left on device', { path: f.dstPath, retryable: false }));
            else out.push(await copyOne(target, to, f));
          }
          return out;
        };
      },
    }) as StorageDriver;
    // full_report: every file on record (without it, plain successes have no row: mover-rowless.test.ts).
    const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: { full_report: true }, metadata: {}, sources: [], destinations: [] };
    const ctx = new ExecutionContext('e1', 't', snapshot, [{ storageId: 's', driver: batching }], [{ storageId: 'd', driver: dst }], 'in_progress');
    const item = (path: string, size: number): WorkItem => ({ key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size, mtimeMs: 0 });
    const items = [...small.slice(0, 3).map((p) => item(p, p.length)), item('/big.bin', big.length), ...small.slice(3).map((p) => item(p, p.length))];

    let claimed = false;
    const completed: BatchCounts[] = [];
    const queue = {
      runnable: async () => (claimed ? [] : ['e1']),
      claim: async (): Promise<Batch | undefined> => {
        if (claimed) return undefined;
        claimed = true;
        return { id: 'b1', executionId: 'e1', seq: 0, items, attempts: 1, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 } };
      },
      heartbeat: async () => {},
      complete: async (_id: string, counts: BatchCounts) => void completed.push(counts),
      release: async () => assert.fail('the batch is completed, not released'),
      abandon: async () => assert.fail('the batch is completed, not abandoned'),
    } as unknown as WorkQueue;
    const rows = new Map<string, FileLedgerRow>();
    const ledger = {
      forKeys: async () => new Map(),
      record: async (r: FileLedgerRow[]) => r.forEach((row) => rows.set(row.item_key, row)),
      recordCatalog: async () => {},
    } as unknown as LedgerRepository;
    const contexts: ContextSource = { get: async (id) => (id === 'e1' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
    const mover = new Mover({ owner: 'm', slots: 2, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 3, backoffMs: 1 }, queue, ledger, contexts, systemClock, pino({ level: 'silent' }));
    mover.start();
    const deadline = Date.now() + 10_000;
    while (completed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await mover.stop();

    // Consecutive small copies travel together; the large file in between splits them.
    assert.deepEqual(calls, [['/a.txt', '/b.txt', '/flaky.txt'], ['/full.txt', '/c.txt']]);
    const files = small.length + 1;
    const bytes = small.reduce((n, p) => n + p.length, 0) + big.length;
    assert.deepEqual(completed, [{ doneFiles: files - 1, doneBytes: bytes - '/full.txt'.length, failedFiles: 1 }]);
    const row = (k: string) => rows.get(k) as FileLedgerRow;
    assert.deepEqual([row('/flaky.txt').status, row('/flaky.txt').attempts], ['done', 2], 'retried on the per-file path');
    assert.deepEqual([row('/full.txt').status, row('/full.txt').error_class, row('/full.txt').attempts], ['failed', 'no_space', 1]);
    for (const p of ['/a.txt', '/b.txt', '/c.txt', '/big.bin']) assert.deepEqual([row(p).status, row(p).attempts], ['done', 1], p);
    assert.equal(mover.failures.get('no_space'), 1);
    const stored: string[] = [];
    for await (const e of dst.list('/')) stored.push(e.name);
    assert.deepEqual(stored.sort(), ['a.txt', 'b.txt', 'big.bin', 'c.txt', 'flaky.txt']);
  });
});
