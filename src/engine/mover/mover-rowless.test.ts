/**
 * Successes of plain copies get no ledger row without `full_report` (issue #14): failures still do,
 * and a batch handed back mid-way (pause) records what it finished on the batch itself, so that the
 * next claim skips those files and counts them, without a ledger row for any of them.
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
import type { Batch, FinishedItems, WorkItem } from '../queue/work-item.js';
import { waitFor } from '../../../test/helpers/barge.js';

async function put(d: StorageDriver, path: string, text: string): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(text);
  await w.commit();
}

/** The project's poll-with-a-deadline helper, with a short interval: these waits are on in-process state. */
const until = (cond: () => boolean, what: string) => waitFor(async () => cond(), what, 10_000, 5);

const item = (path: string, size: number): WorkItem => ({ key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size, mtimeMs: 0 });

function setup(fullReport: boolean, dst: StorageDriver, src: StorageDriver, watched = false) {
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options: fullReport ? { full_report: true } : {}, metadata: {}, sources: [], destinations: [] };
  const ctx = new ExecutionContext('e1', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'in_progress');
  const rows = new Map<string, FileLedgerRow>();
  const asked: string[][] = [];
  const ledger = {
    forKeys: async (_id: string, keys: string[]) => {
      asked.push(keys);
      return new Map([...rows].filter(([k]) => keys.includes(k)));
    },
    record: async (r: FileLedgerRow[]) => r.forEach((row) => rows.set(row.item_key, row)),
    recordCatalog: async () => {},
    resultsWatched: async () => watched,
  } as unknown as LedgerRepository;
  const contexts: ContextSource = { get: async (id) => (id === 'e1' ? ctx : undefined), open: [ctx], refresh: async () => {}, abortAll: () => {}, clear: () => {} };
  return { ctx, rows, asked, ledger, contexts };
}

/** Hands out `batches` one after the other; keeps what the mover reports. */
function queueOf(batches: Batch[]) {
  const completed: BatchCounts[] = [];
  const released: Array<{ counts: BatchCounts; finished: FinishedItems | undefined }> = [];
  const queue = {
    runnable: async () => (batches.length > 0 ? ['e1'] : []),
    claim: async (): Promise<Batch | undefined> => batches.shift(),
    heartbeat: async () => {},
    complete: async (_id: string, counts: BatchCounts) => void completed.push(counts),
    release: async (_id: string, counts: BatchCounts, _now: Date, _retry?: Date, finished?: FinishedItems) => void released.push({ counts, finished }),
    abandon: async () => {},
  } as unknown as WorkQueue;
  return { queue, completed, released };
}

const batch = (items: WorkItem[], attempts: number, finished?: FinishedItems): Batch => ({
  id: 'b1', executionId: 'e1', seq: 0, items, attempts, persisted: { doneFiles: 0, doneBytes: 0, failedFiles: 0 }, ...(finished ? { finished } : {}),
});

describe('mover: no ledger rows for plain successes without full_report', () => {
  for (const [fullReport, watched] of [[false, false], [true, false], [false, true]]) {
    const every = fullReport || watched;
    it(`${fullReport ? 'with full_report' : watched ? 'with an after_result_received callback' : 'without full_report'}: ${every ? 'every file is on record' : 'only the failure is on record'}, and the counts are the same`, async () => {
      const src = new MemoryDriver();
      for (const p of ['/a.txt', '/b.txt', '/c.txt']) await put(src, p, p);
      const dst = new MemoryDriver();
      const { rows, asked, ledger, contexts } = setup(fullReport as boolean, dst, src, watched as boolean);
      const { queue, completed } = queueOf([batch([item('/a.txt', 6), item('/missing.txt', 3), item('/b.txt', 6), item('/c.txt', 6)], 1)]);
      const mover = new Mover({ owner: 'm', slots: 2, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 1, backoffMs: 1 }, queue, ledger, contexts, systemClock, pino({ level: 'silent' }));
      mover.start();
      await until(() => completed.length > 0, 'the batch to complete');
      await mover.stop();
      assert.deepEqual(completed, [{ doneFiles: 3, doneBytes: 18, failedFiles: 1 }]);
      assert.deepEqual([...rows.keys()].sort(), every ? ['/a.txt', '/b.txt', '/c.txt', '/missing.txt'] : ['/missing.txt']);
      assert.equal(rows.get('/missing.txt')?.status, 'failed');
      assert.deepEqual(asked, [], 'a first claim has nothing on record to look up');
    });
  }

  it('a batch handed back mid-way records the files it finished; the next claim skips and counts them', async () => {
    const src = new MemoryDriver();
    const names = ['/a.txt', '/b.txt', '/c.txt', '/d.txt'];
    for (const p of names) await put(src, p, p);
    const base = new MemoryDriver();
    const writes: string[] = [];
    let hold: (() => void) | undefined;
    let held = false;
    const dst = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop !== 'openWrite') return Reflect.get(target, prop, receiver);
        return async (path: string, options?: object) => {
          writes.push(path);
          if (path === '/b.txt' && !held) {
            held = true;
            await new Promise<void>((r) => (hold = r)); // the file in flight while the pause lands
          }
          return target.openWrite(path, options);
        };
      },
    }) as StorageDriver;
    const { ctx, rows, asked, ledger, contexts } = setup(false, dst, src);
    const items = names.map((p) => item(p, 6));
    const first = queueOf([batch(items, 1)]);
    // One file at a time, so that the pause finds files not started yet.
    const cfg = { owner: 'm', slots: 1, smallPerSlot: 1, leaseMs: 10_000, heartbeatMs: 10_000, attempts: 1, backoffMs: 1 };
    const mover = new Mover(cfg, first.queue, ledger, contexts, systemClock, pino({ level: 'silent' }));
    mover.start();
    await until(() => hold !== undefined, 'the second file in flight');
    ctx.state = 'paused';
    hold!();
    await until(() => first.released.length > 0, 'the batch to be handed back');
    await mover.stop();
    assert.deepEqual(first.released, [{ counts: { doneFiles: 2, doneBytes: 12, failedFiles: 0 }, finished: [[0, 6], [1, 6]] }]);
    assert.equal(rows.size, 0);

    // Resumed: the batch comes back with its record; only the files not finished are written.
    ctx.state = 'in_progress';
    writes.length = 0;
    const second = queueOf([batch(items, 2, first.released[0]!.finished)]);
    const again = new Mover(cfg, second.queue, ledger, contexts, systemClock, pino({ level: 'silent' }));
    again.start();
    await until(() => second.completed.length > 0, 'the batch to complete');
    await again.stop();
    assert.deepEqual(writes, ['/c.txt', '/d.txt'], 'finished files are not written again');
    assert.deepEqual(second.completed, [{ doneFiles: 4, doneBytes: 24, failedFiles: 0 }]);
    assert.equal(asked.length, 1, 'a re-claim looks up the ledger (failures, moves)');
    assert.equal(rows.size, 0);
    const stored: string[] = [];
    for await (const e of base.list('/')) stored.push(e.name);
    assert.deepEqual(stored.sort(), ['a.txt', 'b.txt', 'c.txt', 'd.txt']);
  });
});
