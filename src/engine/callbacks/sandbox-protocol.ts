/**
 * Messages between the sandbox (sandbox.ts, in the dispatcher's thread) and its thread
 * (sandbox-worker.ts). One request at a time; every reply names the request it answers.
 */
import type { ScriptProblem } from '../../domain/callback.js';
import type { FilterVerdict, RunOutcome, RunnerLimits, ScriptSpec } from './script-runner.js';

export type SandboxRequest =
  | { id: number; op: 'load'; scripts: ScriptSpec[] }
  | { id: number; op: 'filter'; key: string; files: string; count: number }
  | { id: number; op: 'run'; key: string; input: string };

/** A request before the sandbox numbers it. */
export type SandboxRequestBody = SandboxRequest extends infer R ? (R extends SandboxRequest ? Omit<R, 'id'> : never) : never;

export type SandboxReply =
  | { id: number; op: 'load'; problems: Array<[string, ScriptProblem]> }
  | { id: number; op: 'filter'; verdicts: FilterVerdict[] }
  | { id: number; op: 'run'; outcome: RunOutcome }
  | { id: number; op: 'error'; message: string };

/** What the thread is given at start. */
export interface SandboxWorkerData {
  limits: RunnerLimits;
  /**
   * The watchdog cell, an Int32Array over a SharedArrayBuffer: [0] when the current call started
   * (ms after `epoch`; 0 between calls), [1] its index in the batch (-1: not a filter call).
   */
  cell: SharedArrayBuffer;
  epoch: number;
  /** Where `quickjs-emscripten` is resolved from (the sandbox's own module URL). */
  resolveFrom: string;
}
