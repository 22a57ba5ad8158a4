/**
 * The claim loop on its own: weighted fair share between runnable executions (fewest claims per unit of
 * priority first), no claim while a round of work is waiting, and permits given back when a claim finds
 * nothing.
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
});
