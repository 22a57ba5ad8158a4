/**
 * BatchRunner.run (batch-run.ts) counts a batch the moment it starts — open, and its work in the
 * backlog — before anything is awaited: the claim loop's next look, the claim filter and a stop
 * waiting for open batches rely on it. A run that fails before starting lets both go. And once its
 * work has started, it wakes the claim loop when what is left claimed is under one round of the slots.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { systemClock } from '../../lib/clock.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import type { Batch, WorkItem } from '../queue/work-item.js';
import type { WorkQueue } from '../queue/work-queue.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { LedgerBuffer } from './ledger-buffer.js';
import type { ParallelShare } from './parallel-share.js';
import { BatchRunner, type BatchRunDeps } from './batch-run.js';

function runner(resultsWatched: () => Promise<boolean>, ledger = {} as LedgerRepository, wake = (): void => {}): BatchRunner {
  const deps: BatchRunDeps = {
    owner: 'm', slots: 2, smallPerSlot: 8, smallFileBytes: 1 << 20, attempts: 1, backoffMs: 1,
    queue: {} as WorkQueue, ledger,
    rows: { resultsWatched } as unknown as LedgerBuffer,
    share: {} as ParallelShare, clock: systemClock, log: pino({ level: 'silent' }),
    draining: () => false, wake, onSettled: () => {},
    totals: { filesDone: 0, bytesDone: 0 }, failures: new Map(),
  };
  return new BatchRunner(deps);
}

const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, metadata: {}, sources: [], destinations: [] };
const ctx = () => new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: new MemoryDriver() }], [{ storageId: 'd', driver: new MemoryDriver() }], 'in_progress');
const item = (n: number, size: number): WorkItem => ({ key: `k${n}`, op: 'copy', src: { ep: 0, path: `/f${n}` }, dst: { ep: 0, path: `/f${n}` }, size, mtimeMs: 0 });
const batch: Batch = { id: 'b1', executionId: 'e', seq: 0, items: [item(0, 10), item(1, 2 << 20)], attempts: 1, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 } };

describe('BatchRunner.run', () => {
  it('counts the batch open and its work in the backlog before it awaits anything', () => {
    const r = runner(() => new Promise<boolean>(() => {})); // never answers: only what run does at once is seen
    void r.run(ctx(), batch);
    assert.ok(r.open.has('b1'));
    assert.equal(r.openBatches('e'), 1);
    assert.equal(r.backlog, 1 + 8, 'a small file is one unit, a large one a whole slot');
  });

  it('a batch claimed again shows its row\'s counts while its ledger is read (a heartbeat then writes back no less)', async () => {
    let reads = 0;
    const reading = { forKeys: () => (reads++, new Promise(() => {})) } as unknown as LedgerRepository;
    const r = runner(async () => false, reading);
    const again: Batch = { ...batch, id: 'b2', attempts: 2, persisted: { doneFiles: 5, doneBytes: 50, failedFiles: 1 } };
    void r.run(ctx(), again);
    const deadline = Date.now() + 5000;
    while (reads === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(reads, 1, 'the run is reading its ledger');
    assert.deepEqual(r.open.get('b2')?.counts, { doneFiles: 5, doneBytes: 50, failedFiles: 1 });
  });

  it('lets the batch go when it fails before starting', async () => {
    const r = runner(async () => {
      throw new Error('store down');
    });
    await assert.rejects(r.run(ctx(), batch), /store down/);
    assert.equal(r.open.size, 0);
    assert.equal(r.backlog, 0);
  });

  it('wakes the claim loop once a group of small files has started and less than a round is left claimed, while the group still runs', async () => {
    let wakes = 0;
    const r = runner(async () => false, undefined, () => void wakes++);
    // A source whose batch call never ends: the group stays in flight, the batch open.
    const src = new MemoryDriver();
    const batching = new Proxy(src, { get: (t, p, recv) => (p === 'transferBatch' ? () => new Promise(() => {}) : Reflect.get(t, p, recv)) }) as MemoryDriver;
    const c = new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: batching }], [{ storageId: 'd', driver: new MemoryDriver() }], 'in_progress');
    const small: Batch = { ...batch, id: 'b3', items: Array.from({ length: 40 }, (_, n) => item(n, 10)) };
    void r.run(c, small);
    assert.equal(r.backlog, 40, 'claimed: forty small files, more than a round (16)');
    const deadline = Date.now() + 5000;
    while (wakes === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(wakes, 1, 'woken when the group started');
    assert.equal(r.backlog, 0);
    assert.ok(r.open.has('b3'), 'the batch still runs: the wake did not wait for its end');
  });
});
