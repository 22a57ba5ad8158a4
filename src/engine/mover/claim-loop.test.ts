/**
 * The claim loop on its own: weighted fair share between runnable executions (fewest claims per unit of
 * priority first), no claim while a round of work is waiting, permits given back when a claim finds
 * nothing, and the list of runnable executions kept between claims but asked again when it is out of
 * date (a claim found nothing, or something changed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { systemClock } from '../../lib/clock.js';
import type { WorkQueue } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch } from '../queue/work-item.js';
import type { ParallelShare } from './parallel-share.js';
import { ClaimLoop } from './claim-loop.js';
import { waitFor } from '../../../test/helpers/barge.js';

const fakeCtx = (id: string, priority: number) => ({ id, runnable: true, claimed: 0, inflight: 0, opts: { parallel: null, priority } }) as unknown as ExecutionContext;

/** The project's poll-with-a-deadline helper, with a short interval: these waits are on in-process state. */
const until = (cond: () => boolean, what: string) => waitFor(async () => cond(), what, 5_000, 2);

function setup(ctxs: ExecutionContext[], claimable: (id: string) => boolean) {
  const runs: string[] = [];
  const letGo: string[] = [];
  let backlog = 0;
  let checks = 0;
  const queue = {
    runnable: async () => ctxs.map((c) => c.id),
    claim: async (id: string) => (claimable(id) ? ({ id: `b${runs.length}`, executionId: id } as unknown as Batch) : undefined),
  } as unknown as WorkQueue;
  const share = { admit: async () => true, limitOf: () => Number.POSITIVE_INFINITY } as unknown as ParallelShare;
  const loop = new ClaimLoop({
    owner: 'm1', leaseMs: 10_000, queue, contexts: { get: async (id) => ctxs.find((c) => c.id === id) }, share, clock: systemClock, log: pino({ level: 'silent' }),
    backlog: () => (checks++, backlog), capacity: () => 8, openBatches: () => 0,
    letGo: async (id) => void letGo.push(id),
    run: async (ctx) => {
      runs.push(ctx.id);
      if (runs.length >= 12) backlog = 8; // a round of work waits: stop claiming
    },
  });
  return { loop, runs, letGo, checks: () => checks };
}

describe('claim loop', () => {
  it('shares claims by priority, and claims nothing while a round of work waits', async () => {
    const low = fakeCtx('low', 1);
    const high = fakeCtx('high', 3);
    const { loop, runs, checks } = setup([low, high], () => true);
    loop.start();
    await until(() => runs.length >= 12, '12 claims');
    const seen = checks();
    // Two more turns of the loop (woken rather than waited for), each finding the round full.
    await until(() => (loop.wake(), checks() >= seen + 2), 'two more turns of the loop');
    await loop.stop();
    assert.equal(runs.length, 12, 'no claim once the backlog is a full round');
    assert.deepEqual([runs.filter((r) => r === 'low').length, runs.filter((r) => r === 'high').length], [3, 9]);
  });

  it('gives the permits back when the claim finds no batch, and tries the next execution', async () => {
    const { loop, runs, letGo } = setup([fakeCtx('empty', 5), fakeCtx('full', 1)], (id) => id === 'full');
    loop.start();
    await until(() => runs.length >= 1, 'a claim');
    await loop.stop();
    assert.ok(letGo.includes('empty'));
    assert.ok(runs.every((r) => r === 'full'));
  });

  it('the next look sees a batch just claimed: its runner counts it before awaiting anything', async () => {
    let backlog = 0;
    let turns = 0;
    const runs: string[] = [];
    const ctx = fakeCtx('a', 1);
    const loop = new ClaimLoop({
      owner: 'm1', leaseMs: 10_000, share: { admit: async () => true, limitOf: () => 1 } as unknown as ParallelShare,
      queue: { runnable: async () => ['a'], claim: async () => ({ id: `b${runs.length}`, executionId: 'a' }) } as unknown as WorkQueue,
      contexts: { get: async () => ctx }, clock: systemClock, log: pino({ level: 'silent' }), runnableTtlMs: 60_000,
      backlog: () => (turns++, backlog), capacity: () => 8, openBatches: () => 0, letGo: async () => {},
      run: async (c) => {
        runs.push(c.id);
        // As batch-run.ts: what the batch holds is counted at once, then the run awaits (a query…).
        backlog = 8;
        for (let i = 0; i < 20; i++) await Promise.resolve();
      },
    });
    loop.start();
    await until(() => (loop.wake(), turns >= 4), 'a few looks of the loop');
    await loop.stop();
    assert.deepEqual(runs, ['a'], 'one batch: the second look saw the first one\'s work');
  });

  describe('the list of runnable executions', () => {
    /** A loop whose queue logs what it is asked: `runnable`, `claim <id>`, `empty <id>`; `turn` per look of the loop. */
    function logged(list: ExecutionContext[], claimable: (id: string) => boolean) {
      const events: string[] = [];
      let budget = 0;
      let runs = 0;
      const queue = {
        runnable: async () => (events.push('runnable'), list.map((c) => c.id)),
        claim: async (id: string) => {
          if (!claimable(id)) return void events.push(`empty ${id}`);
          events.push(`claim ${id}`);
          return { id: `b${events.length}`, executionId: id } as unknown as Batch;
        },
      } as unknown as WorkQueue;
      const share = { admit: async () => true, limitOf: () => Number.POSITIVE_INFINITY } as unknown as ParallelShare;
      const loop = new ClaimLoop({
        owner: 'm1', leaseMs: 10_000, queue, contexts: { get: async (id) => list.find((c) => c.id === id) }, share, clock: systemClock, log: pino({ level: 'silent' }),
        // A long life for the kept list: only what the loop learns may make it ask again.
        runnableTtlMs: 60_000,
        backlog: () => (events.push('turn'), runs >= budget ? 8 : 0), capacity: () => 8, openBatches: () => 0,
        letGo: async () => {},
        run: async () => void runs++,
      });
      return { loop, events, runs: () => runs, allow: (n: number) => { budget += n; loop.wake(); }, asked: () => events.filter((e) => e === 'runnable').length };
    }

    it('is asked for once, not before every claim', async () => {
      const { loop, runs, allow, asked } = logged([fakeCtx('a', 1), fakeCtx('b', 2)], () => true);
      loop.start();
      allow(12);
      await until(() => runs() >= 12, '12 claims');
      await loop.stop();
      assert.equal(asked(), 1);
    });

    it('is asked again at once when a claim finds nothing: an execution runnable since is claimed without waiting', async () => {
      const list = [fakeCtx('a', 1)];
      let left = 2;
      const { loop, events, runs, allow } = logged(list, (id) => id !== 'a' || left-- > 0);
      loop.start();
      allow(2);
      await until(() => runs() >= 2, 'two claims of a');
      list.push(fakeCtx('b', 1)); // runnable now; the kept list does not know it
      allow(1);
      await until(() => runs() >= 3, 'a third claim');
      await loop.stop();
      const from = events.indexOf('empty a');
      assert.ok(from > 0, events.join(', '));
      assert.deepEqual(events.slice(from, from + 3), ['empty a', 'runnable', 'claim b'], 'asked again and claimed in the same look');
    });

    it('is asked again after changed()', async () => {
      const { loop, runs, allow, asked } = logged([fakeCtx('a', 1)], () => true);
      loop.start();
      allow(3);
      await until(() => runs() >= 3, 'three claims');
      assert.equal(asked(), 1);
      loop.changed();
      allow(3);
      await until(() => runs() >= 6, 'three more claims');
      await loop.stop();
      assert.equal(asked(), 2);
    });
  });
});
