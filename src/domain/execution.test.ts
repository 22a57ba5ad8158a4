import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, applyControl, assertCanRun, runningState, type ExecutionState } from './execution.js';
import { DataManagementError } from './errors.js';

function refused(fn: () => unknown, status = 409): void {
  assert.throws(fn, (e: unknown) => e instanceof DataManagementError && e.status === status);
}

describe('execution state machine', () => {
  it('refuses every control action when nothing is active', () => {
    for (const a of ['pause', 'resume', 'stop', 'force_stop'] as const) {
      refused(() => applyControl(a, null));
      refused(() => applyControl(a, { state: 'done', progress: Progress.FINAL_DONE }));
    }
  });

  it('pause sets PAUSED; resume clears it and returns to where the execution was', () => {
    const p = applyControl('pause', { state: 'in_progress', progress: Progress.INIT_STARTED | Progress.PROCESS_STARTED });
    assert.equal(p.state, 'paused');
    assert.equal(p.progress & Progress.PAUSED, Progress.PAUSED);
    refused(() => applyControl('pause', p));
    const r = applyControl('resume', p);
    assert.deepEqual(r, { state: 'in_progress', progress: Progress.INIT_STARTED | Progress.PROCESS_STARTED });
    assert.equal(applyControl('resume', applyControl('pause', { state: 'in_queue', progress: 0 })).state, 'in_queue');
    refused(() => applyControl('resume', { state: 'in_progress', progress: Progress.PROCESS_STARTED }));
  });

  it('stop ends a queued execution at once but drains one the engine holds', () => {
    const queued = applyControl('stop', { state: 'in_queue', progress: 0 });
    assert.equal(queued.state, 'stopped_by_user');
    assert.equal(queued.progress & Progress.STOPPED_BY_USER, Progress.STOPPED_BY_USER);
    const running = applyControl('stop', { state: 'in_progress', progress: Progress.INIT_STARTED | Progress.PROCESS_STARTED });
    assert.equal(running.state, 'stopping');
    refused(() => applyControl('stop', running));
    refused(() => applyControl('pause', running));
    const paused = applyControl('stop', { state: 'paused', progress: Progress.INIT_STARTED | Progress.PAUSED });
    assert.equal(paused.state, 'stopping');
    assert.equal(paused.progress & Progress.PAUSED, 0);
  });

  it('force_stop ends any active execution, even a stopping one', () => {
    for (const state of ['in_queue', 'calculating', 'in_progress', 'paused', 'stopping'] as ExecutionState[]) {
      assert.equal(applyControl('force_stop', { state, progress: Progress.INIT_STARTED }).state, 'stopped_by_user', state);
    }
  });

  it('runningState follows the progress flags', () => {
    assert.equal(runningState(0), 'in_queue');
    assert.equal(runningState(Progress.INIT_STARTED), 'calculating');
    assert.equal(runningState(Progress.INIT_STARTED | Progress.PROCESS_STARTED), 'in_progress');
  });

  it('a second run is refused while one is active', () => {
    refused(() => assertCanRun({ state: 'paused', progress: 0 }));
    assertCanRun(null);
    assertCanRun({ state: 'error', progress: Progress.HAS_ERROR });
  });
});
