import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterPass, attemptOf, planPass, type ScheduleState } from './schedule.js';
import { ScheduleRule } from './schedule-rule.js';

const GRACE = 60_000;
const t = (s: string) => new Date(`2026-05-01T${s}Z`);
const fresh = (over: Partial<ScheduleState> = {}): ScheduleState => ({
  next_at: null, done: false, catch_up: false, missed_count: 0, skipped_count: 0, refused_count: 0, missed_first: null, missed_last: null, last_run_at: null, ...over,
});
/** Every minute from 10:00, five times. */
const minutely = ScheduleRule.read('DTSTART:20260501T100000Z\nRRULE:FREQ=MINUTELY;COUNT=5');

describe('schedule passes (a fake clock: `now` is a parameter)', () => {
  it('an occurrence seen within the grace is due; the schedule moves on to the next one', () => {
    const now = t('10:00:00.300');
    const pass = planPass(minutely, t('10:00:00'), now, GRACE);
    assert.deepEqual(pass.due, [t('10:00:00')]);
    assert.deepEqual(pass.missed, []);
    assert.equal(pass.next?.toISOString(), '2026-05-01T10:01:00.000Z');
    assert.equal(pass.more, false);
    const attempt = attemptOf(pass, fresh());
    assert.deepEqual(attempt, { at: t('10:00:00'), catchUp: false });
    const after = afterPass(fresh({ next_at: '2026-05-01T10:00:00.000Z' }), pass, attempt, { kind: 'started', executionId: 'e1' });
    assert.equal(after.next_at, '2026-05-01T10:01:00.000Z');
    assert.equal(after.last_run_at, '2026-05-01T10:00:00.000Z');
    assert.equal(after.done, false);
    assert.equal(after.skipped_count + after.missed_count + after.refused_count, 0);
  });

  it('an occurrence while the task is still running is skipped', () => {
    const pass = planPass(minutely, t('10:01:00'), t('10:01:00.500'), GRACE);
    const attempt = attemptOf(pass, fresh());
    const after = afterPass(fresh(), pass, attempt, { kind: 'busy' });
    assert.equal(after.skipped_count, 1);
    assert.equal(after.last_run_at, null);
  });

  it('occurrences older than the grace are missed (no dispatcher saw them); the recent one is still due', () => {
    // The dispatcher was away from 09:59 to 10:03:30: 10:00, 10:01, 10:02 are missed, 10:03 is due.
    const pass = planPass(minutely, t('10:00:00'), t('10:03:30'), GRACE);
    assert.deepEqual(pass.missed, [t('10:00:00'), t('10:01:00'), t('10:02:00')]);
    assert.deepEqual(pass.due, [t('10:03:00')]);
    const attempt = attemptOf(pass, fresh({ catch_up: true }));
    assert.deepEqual(attempt, { at: t('10:03:00'), catchUp: false }, 'a due occurrence runs; no separate catch-up');
    const after = afterPass(fresh(), pass, attempt, { kind: 'started', executionId: 'e' });
    assert.equal(after.missed_count, 3);
    assert.equal(after.missed_first, '2026-05-01T10:00:00.000Z');
    assert.equal(after.missed_last, '2026-05-01T10:02:00.000Z');
    assert.equal(after.next_at, '2026-05-01T10:04:00.000Z');
  });

  it('only missed occurrences: nothing runs, unless catch_up, which starts one execution for them', () => {
    const pass = planPass(minutely, t('10:00:00'), t('11:00:00'), GRACE);
    assert.equal(pass.missed.length, 5);
    assert.equal(pass.next, undefined, 'COUNT=5: nothing left');
    assert.equal(attemptOf(pass, fresh()), undefined);
    const attempt = attemptOf(pass, fresh({ catch_up: true }));
    assert.deepEqual(attempt, { at: t('10:04:00'), catchUp: true });
    const after = afterPass(fresh({ missed_first: '2026-04-30T10:00:00.000Z', missed_count: 2 }), pass, attempt, { kind: 'started', executionId: 'e' });
    assert.equal(after.missed_count, 7);
    assert.equal(after.missed_first, '2026-04-30T10:00:00.000Z', 'the first missed ever is kept');
    assert.equal(after.missed_last, '2026-05-01T10:04:00.000Z');
    assert.equal(after.done, true);
    assert.equal(after.next_at, null);
    // A catch-up that finds the task running counts nothing more: the running execution covers it.
    assert.equal(afterPass(fresh(), pass, attempt, { kind: 'busy' }).skipped_count, 0);
  });

  it('a refused run (the task cannot run) is counted as refused, for each due occurrence', () => {
    const every10s = ScheduleRule.read('DTSTART:20260501T100000Z\nRRULE:FREQ=SECONDLY;INTERVAL=10');
    const pass = planPass(every10s, t('10:00:00'), t('10:00:20'), GRACE);
    assert.equal(pass.due.length, 3);
    const attempt = attemptOf(pass, fresh());
    const refused = afterPass(fresh(), pass, attempt, { kind: 'refused', reason: 'no rights' });
    assert.equal(refused.refused_count, 3);
    // Started: the first due one runs, the others came while it is active: skipped.
    assert.equal(afterPass(fresh(), pass, attempt, { kind: 'started', executionId: 'e' }).skipped_count, 2);
  });

  it('a long absence is handled a bounded slice at a time; the catch-up waits for the last slice', () => {
    const secondly = ScheduleRule.read('DTSTART:20260501T100000Z\nRRULE:FREQ=SECONDLY');
    const now = t('11:00:00');
    const first = planPass(secondly, t('10:00:00'), now, GRACE, 1000);
    assert.equal(first.missed.length, 1000);
    assert.equal(first.more, true);
    assert.equal(attemptOf(first, fresh({ catch_up: true })), undefined);
    let state = afterPass(fresh({ catch_up: true }), first, undefined, undefined);
    let passes = 1;
    let attempt;
    for (;;) {
      const pass = planPass(secondly, new Date(state.next_at as string), now, GRACE, 1000);
      passes++;
      attempt = attemptOf(pass, state);
      state = afterPass(state, pass, attempt, attempt ? { kind: 'started', executionId: 'e' } : undefined);
      if (!pass.more) break;
    }
    assert.equal(passes, 4);
    assert.equal(state.missed_count, 3600 - 60, 'an hour of seconds, less the last minute (within the grace)');
    assert.deepEqual(attempt, { at: t('10:59:00'), catchUp: false }, 'the first due occurrence of the last slice runs');
    assert.equal(state.skipped_count, 60, 'the rest of the last minute came while that run is active');
    assert.equal(state.next_at, '2026-05-01T11:00:01.000Z');
  });
});
