import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Scheduler, type ScheduleWork } from './scheduler.js';
import type { Clock } from '../../lib/clock.js';

const log = pino({ level: 'silent' });

/** A clock that stands still unless the test moves it: the loop's waits must come from it. */
class StillClock implements Clock {
  constructor(public at = new Date('2031-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.at);
  }
}

/** Work that records each pass; `next` answers earliest(). */
class FakeWork implements ScheduleWork {
  passes: Date[] = [];
  signals: AbortSignal[] = [];
  next: Date | undefined;
  constructor(private readonly answer: (pass: number) => { started: number; more: boolean }) {}
  async runDue(now: Date, signal?: AbortSignal) {
    this.passes.push(now);
    if (signal) this.signals.push(signal);
    return this.answer(this.passes.length);
  }
  async earliest() {
    return this.next;
  }
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the schedule loop', () => {
  it('wakes at the next occurrence by the injected clock, not at its tick', async () => {
    const clock = new StillClock();
    const work = new FakeWork(() => ({ started: 0, more: false }));
    work.next = new Date(clock.at.getTime() + 40); // 40 ms ahead on the injected clock
    const s = new Scheduler(work, clock, log, () => {}, 60_000);
    s.start();
    await until(() => work.passes.length >= 3, 'passes every ~40 ms although the tick is a minute');
    await s.stop();
  });

  it('waits a tick (does not spin) when an occurrence already due was not moved on', async () => {
    const clock = new StillClock();
    const work = new FakeWork(() => ({ started: 0, more: false }));
    work.next = new Date(clock.at.getTime() - 1000);
    const s = new Scheduler(work, clock, log, () => {}, 100);
    const started = Date.now();
    s.start();
    // Polled, not slept: three passes must come, and (no spinning) they take at least two ticks.
    await until(() => work.passes.length >= 3, 'three passes');
    const elapsed = Date.now() - started;
    await s.stop();
    assert.ok(elapsed >= 190, `3 passes took ${elapsed} ms with a 100 ms tick: one pass per tick, not a spin`);
  });

  it('passes again at once while there is more, and tells the dispatcher when executions started', async () => {
    const clock = new StillClock();
    let started = 0;
    const work = new FakeWork((n) => ({ started: n <= 3 ? 1 : 0, more: n < 5 }));
    const s = new Scheduler(work, clock, log, () => started++, 60_000);
    s.start();
    await until(() => work.passes.length >= 5, 'five passes without waiting for the tick');
    await s.stop();
    assert.equal(started, 3);
    assert.equal(work.passes.length, 5, 'then it waits (the tick is a minute and nothing is scheduled)');
  });

  it('stop ends the loop at once (not at the tick) and aborts a pass in progress', async () => {
    const clock = new StillClock();
    const work = new FakeWork(() => ({ started: 0, more: false }));
    const s = new Scheduler(work, clock, log, () => {}, 60_000);
    s.start();
    await until(() => work.passes.length === 1, 'the first pass');
    const stopped = Date.now();
    await s.stop();
    assert.ok(Date.now() - stopped < 1000, 'stop does not wait for the tick');
    assert.ok(work.signals.every((sig) => sig.aborted));
    const n = work.passes.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(work.passes.length, n);
  });

  it('a failing pass is logged and retried at the next tick', async () => {
    const clock = new StillClock();
    let calls = 0;
    const work: ScheduleWork = {
      runDue: async () => {
        calls++;
        if (calls === 1) throw new Error('store unavailable');
        return { started: 0, more: false };
      },
      earliest: async () => undefined,
    };
    const s = new Scheduler(work, clock, log, () => {}, 20);
    s.start();
    await until(() => calls >= 3, 'passes after the failure');
    await s.stop();
  });
});
