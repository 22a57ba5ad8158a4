/**
 * Executions: Nodeum's progress bit flags, the derived `status`, and the state machine that the
 * action endpoints (pause, resume, stop, force_stop, run) apply. Pure, so that the API, the engine
 * and a restart after a crash all agree on what a transition means.
 */
import { DataManagementError } from './errors.js';

/** Nodeum engine progress flags (bit mask). */
export const Progress = {
  INIT_STARTED: 1,
  INIT_DONE: 2,
  PROCESS_STARTED: 4,
  PROCESS_DONE: 8,
  FINAL_STARTED: 16,
  FINAL_DONE: 32,
  HAS_ERROR: 64,
  STOPPED: 128,
  STOPPED_BY_USER: 256,
  PAUSED: 512,
} as const;

export const EXECUTION_STATES = [
  'in_queue', 'calculating', 'in_progress', 'paused', 'stopping',
  'done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

export const TERMINAL_STATES: readonly ExecutionState[] = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];
export const ACTIVE_STATES: readonly ExecutionState[] = EXECUTION_STATES.filter((s) => !TERMINAL_STATES.includes(s));

export function isActive(state: ExecutionState): boolean {
  return !TERMINAL_STATES.includes(state);
}

/** The part of an execution the state machine needs. */
export interface ExecutionControl {
  state: ExecutionState;
  progress: number;
}

/** Which state an execution runs in when it is not paused: before the walk starts it is queued. */
export function runningState(progress: number): ExecutionState {
  if ((progress & Progress.PROCESS_STARTED) !== 0) return 'in_progress';
  if ((progress & Progress.INIT_STARTED) !== 0) return 'calculating';
  return 'in_queue';
}

/** Whether the engine has picked the execution up (something may be in flight). */
export function engineOwns(progress: number): boolean {
  return (progress & Progress.INIT_STARTED) !== 0;
}

function refuse(status: number, detail: string): never {
  throw new DataManagementError(status, detail);
}

/** An action of the API on an execution, applied to its state. Throws a 409 when it does not apply. */
export type ControlAction = 'pause' | 'resume' | 'stop' | 'force_stop';

/**
 * Computes the state after a control action. `null` execution means the task has nothing active.
 * stop goes through `stopping` when the engine holds the execution (in-flight files finish, then
 * it finalizes); an execution never picked up stops at once.
 */
export function applyControl(action: ControlAction, exec: ExecutionControl | null): ExecutionControl {
  if (exec === null || !isActive(exec.state)) refuse(409, `The task has no active execution to ${action.replace('_', ' ')}`);
  const { state, progress } = exec;
  switch (action) {
    case 'pause':
      if (state === 'paused') refuse(409, 'The execution is already paused');
      if (state === 'stopping') refuse(409, 'The execution is stopping and cannot be paused');
      return { state: 'paused', progress: progress | Progress.PAUSED };
    case 'resume':
      if (state !== 'paused') refuse(409, `The execution is ${state.replace(/_/g, ' ')}, not paused`);
      return { state: runningState(progress), progress: progress & ~Progress.PAUSED };
    case 'stop':
      if (state === 'stopping') refuse(409, 'The execution is already stopping');
      if (engineOwns(progress)) return { state: 'stopping', progress: (progress | Progress.STOPPED_BY_USER) & ~Progress.PAUSED };
      return { state: 'stopped_by_user', progress: (progress | Progress.STOPPED_BY_USER) & ~Progress.PAUSED };
    case 'force_stop':
      return { state: 'stopped_by_user', progress: (progress | Progress.STOPPED_BY_USER) & ~Progress.PAUSED };
  }
}

/** A second run while one is active is refused. */
export function assertCanRun(active: ExecutionControl | null): void {
  if (active !== null && isActive(active.state)) refuse(409, `The task is already running (execution ${active.state.replace(/_/g, ' ')})`);
}
