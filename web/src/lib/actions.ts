/**
 * Which task actions make sense for an execution status — the API's state machine
 * (src/domain/execution.ts applyControl) seen from the buttons: the console only offers what the
 * server would accept, and still shows the server's refusal if the state moved meanwhile.
 */
import type { ExecutionStatus } from './types';

export type TaskAction = 'run' | 'pause' | 'resume' | 'stop' | 'force_stop';

const ACTIVE: ReadonlySet<string> = new Set(['in_queue', 'calculating', 'in_progress', 'paused', 'stopping']);

export function isActive(status: string | null | undefined): boolean {
  return status !== null && status !== undefined && ACTIVE.has(status);
}

/** Is `action` allowed when the task's latest execution has `status` (undefined: never ran)? */
export function actionAllowed(action: TaskAction, status: ExecutionStatus | string | null | undefined): boolean {
  const active = isActive(status);
  switch (action) {
    case 'run':
      return !active;
    case 'pause':
      return active && status !== 'paused' && status !== 'stopping';
    case 'resume':
      return status === 'paused';
    case 'stop':
      return active && status !== 'stopping';
    case 'force_stop':
      return active;
  }
}
