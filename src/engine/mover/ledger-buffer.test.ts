/**
 * The ledger buffer on its own: which successes go rowless, what a batch handed back keeps instead of
 * rows, flushes in order (one at a time, ledger before catalog), and the callback lookup cached per
 * execution (an unknown answer keeps every row).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { systemClock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { CatalogEntryRow, FileLedgerRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch, WorkItem } from '../queue/work-item.js';
import { LedgerBuffer, finishedItems, isRowless } from './ledger-buffer.js';

const item = (key: string, op: WorkItem['op'] = 'copy'): WorkItem => ({ key, op, src: { ep: 0, path: key }, dst: { ep: 0, path: key }, size: 1, mtimeMs: 0 });
const ctx = { id: 'e1', taskId: 't1' } as unknown as ExecutionContext;

function fakeLedger(watched: () => Promise<boolean> = async () => false) {
  const writes: string[] = [];
  let asked = 0;
  const ledger = {
    record: async (rows: FileLedgerRow[]) => {
      await new Promise((r) => setImmediate(r));
      writes.push(`ledger:${rows.map((r) => r.item_key).join(',')}`);
    },
    recordCatalog: async (rows: CatalogEntryRow[]) => void writes.push(`catalog:${rows.length}`),
    resultsWatched: () => {
      asked++;
      return watched();
    },
  } as unknown as LedgerRepository;
  return { ledger, writes, asked: () => asked };
}

describe('ledger buffer', () => {
  it('only plain copies and skips may go without a row', () => {
    assert.deepEqual((['copy', 'skip', 'move', 'erase', 'scan', 'verify', 'speedtest', 'mkdir'] as const).filter((op) => isRowless(item('x', op))), ['copy', 'skip']);
  });

  it('a batch handed back keeps the index and size of each item finished without a row', () => {
    const items = [item('a'), item('b'), item('c')];
    const batch = { items } as unknown as Batch;
    assert.deepEqual(finishedItems(batch, new Map()), []);
    assert.deepEqual(finishedItems(batch, new Map([[items[2]!, 7], [items[0]!, 3]])), [[0, 3], [2, 7]]);
  });

  it('flushes one at a time, in order, ledger rows before catalog rows; 500 rows flush without waiting for the timer', async () => {
    const f = fakeLedger();
    const buf = new LedgerBuffer(f.ledger, systemClock, pino({ level: 'silent' }));
    buf.push(buf.row(ctx, item('a'), 'done', 1, null, null, null, 1));
    const first = buf.flush();
    buf.push(buf.row(ctx, item('b'), 'failed', 1, null, 'no_space', 'full', 2));
    await Promise.all([first, buf.flush()]);
    // A flush takes what is buffered when its turn comes (b too); the one queued behind it finds nothing.
    assert.deepEqual(f.writes, ['ledger:a,b', 'catalog:0', 'ledger:', 'catalog:0']);
    f.writes.length = 0;
    for (let i = 0; i < 500; i++) buf.push(buf.row(ctx, item(`k${i}`), 'done', 1, null, null, null, 1));
    await buf.flush(); // queued behind the automatic one
    assert.equal(f.writes[0]?.split(',').length, 500, 'the 500th row started a flush of all of them');
  });

  it('asks once per execution whether results are watched; a failed lookup counts as watched', async () => {
    const f = fakeLedger();
    const buf = new LedgerBuffer(f.ledger, systemClock, pino({ level: 'silent' }));
    assert.equal(await buf.resultsWatched(ctx), false);
    assert.equal(await buf.resultsWatched(ctx), false);
    assert.equal(f.asked(), 1);
    const failing = fakeLedger(async () => { throw new Error('store down'); });
    assert.equal(await new LedgerBuffer(failing.ledger, systemClock, pino({ level: 'silent' })).resultsWatched(ctx), true);
  });
});
