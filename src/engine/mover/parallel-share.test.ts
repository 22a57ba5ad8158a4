/**
 * `parallel` in total across movers: two movers on one store share an execution's permits, so the
 * files of that execution in flight on both together never exceed `parallel` — while each mover on
 * its own would run `parallel` of them (the control, which shows the count can go over).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { StorageDriver } from '../../storage/driver.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import { systemClock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import { PermitRepository } from '../../store/permit-repository.js';
import { openTestStore, testDialects } from '../../store/test-stores.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { Mover, type ContextSource } from './mover.js';
import type { BatchCounts, WorkQueue } from '../queue/work-queue.js';
import type { Batch, WorkItem } from '../queue/work-item.js';

const PARALLEL = 3;
const BATCHES = 8;
const FILES = 4;

/** Batches handed out one at a time to whichever mover asks first. */
function sharedQueue(executionId: string, batches: WorkItem[][]) {
  let next = 0;
  const completed: BatchCounts[] = [];
  const queue = {
    runnable: async () => (next < batches.length ? [executionId] : []),
    claim: async (): Promise<Batch | undefined> => {
      if (next >= batches.length) return undefined;
      const seq = next++;
      return { id: `b${seq}`, executionId, seq, items: batches[seq] as WorkItem[], attempts: 1, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 } };
    },
    heartbeat: async () => {},
    complete: async (_id: string, counts: BatchCounts) => void completed.push(counts),
    release: async () => {},
    abandon: async () => {},
  } as unknown as WorkQueue;
  return { queue, completed };
}

const ledger = { forKeys: async () => new Map(), record: async () => {}, recordCatalog: async () => {} } as unknown as LedgerRepository;

/** A destination whose writes take a while and are counted while they run. */
function slowDestination(): { driver: StorageDriver; peak: () => number } {
  let inflight = 0;
  let peak = 0;
  const base = new MemoryDriver();
  const driver = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop !== 'openWrite') return Reflect.get(target, prop, receiver);
      return async (path: string, options?: object) => {
        inflight++;
        peak = Math.max(peak, inflight);
        await new Promise((r) => setTimeout(r, 15));
        try {
          const w = await target.openWrite(path, options);
          const commit = w.commit.bind(w);
          return Object.assign(w, { commit: async () => { try { return await commit(); } finally { inflight--; } } });
        } catch (err) {
          inflight--;
          throw err;
        }
      };
    },
  }) as StorageDriver;
  return { driver, peak: () => peak };
}

async function runTwoMovers(permits: PermitRepository | undefined): Promise<{ peak: number; completed: BatchCounts[] }> {
  const src = new MemoryDriver();
  const batches: WorkItem[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const items: WorkItem[] = [];
    for (let f = 0; f < FILES; f++) {
      const path = `/b${b}/f${f}.txt`;
      const w = await src.openWrite(path);
      w.stream.end(path);
      await w.commit();
      items.push({ key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size: path.length, mtimeMs: 0 });
    }
    batches.push(items);
  }
  const dst = slowDestination();
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: { parallel: PARALLEL }, metadata: {}, sources: [], destinations: [] };
  const { queue, completed } = sharedQueue('e1', batches);
  const movers = ['m1', 'm2'].map((owner) => {
    // Each mover process has its own context of the execution.
    const ctx = new ExecutionContext('e1', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst.driver }], 'in_progress');
    const contexts: ContextSource = { get: async (id) => (id === 'e1' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
    return new Mover({ owner, slots: 4, leaseMs: 10_000, heartbeatMs: 50, attempts: 1, backoffMs: 1 }, queue, ledger, contexts, systemClock, pino({ level: 'silent' }), () => {}, permits);
  });
  movers.forEach((m) => m.start());
  const deadline = Date.now() + 20_000;
  while (completed.length < BATCHES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await Promise.all(movers.map((m) => m.stop()));
  return { peak: dst.peak(), completed };
}

for (const dialect of testDialects()) {
  describe(`parallel across movers (${dialect})`, () => {
    it(`two movers sharing permits never run more than parallel (${PARALLEL}) files of the execution at once`, async () => {
      const { store, done } = await openTestStore(dialect, 'share');
      try {
        const permits = new PermitRepository(store.db, store.dialect);
        const { peak, completed } = await runTwoMovers(permits);
        assert.equal(completed.length, BATCHES, 'every batch completed');
        assert.equal(completed.reduce((n, c) => n + c.doneFiles, 0), BATCHES * FILES);
        assert.ok(peak <= PARALLEL, `peak ${peak} files in flight`);
        assert.equal(peak, PARALLEL, 'the permits are used');
        assert.deepEqual(Object.fromEntries(await permits.held('e1', new Date())), {}, 'every permit given back');
      } finally {
        await done();
      }
    });
  });
}

describe('parallel across movers: the control', () => {
  it('without shared permits each mover runs parallel files of its own, so together they exceed it', async () => {
    const { peak, completed } = await runTwoMovers(undefined);
    assert.equal(completed.length, BATCHES);
    assert.ok(peak > PARALLEL, `peak ${peak}`);
  });
});
