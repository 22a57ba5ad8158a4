/**
 * How the API's services tell the engine that something changed. The state itself is always in the
 * store first; a signal only saves the engine a polling interval.
 */
import type { ControlAction } from '../domain/execution.js';

export interface EngineSignals {
  executionQueued(executionId: string): void;
  executionChanged(executionId: string, action: ControlAction): void;
}

/** For API-only processes: the engine elsewhere polls the store. */
export const NO_ENGINE: EngineSignals = { executionQueued: () => {}, executionChanged: () => {} };
