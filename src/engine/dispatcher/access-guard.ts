/**
 * The engine's view of storage privileges: while a run goes on it asks, now and then, whether the
 * execution's owner still has the rights its task needs (services/access-service.ts answers). Why
 * the engine asks rather than the API telling it: a right can be withdrawn by any Barge process, or
 * by a group change, and the store is the only place that knows.
 */
import type { ExecutionRow } from '../../store/schema.js';

export interface AccessGuard {
  /** Why the execution may not go on (every missing right named), or undefined when it may. */
  refusal(execution: ExecutionRow): Promise<string | undefined>;
}

/** No privileges to check (unit tests of the engine alone). */
export const OPEN_ACCESS: AccessGuard = { refusal: async () => undefined };
