/**
 * When a failed webhook delivery is tried again: exponential backoff with jitter, for a retry window
 * (24 h by default), then the delivery is given up (`failed`). Why jitter: after an outage of a
 * receiver, deliveries that failed together would otherwise all come back at the same instants.
 */

export interface BackoffPolicy {
  /** Delay after the first failed attempt (BARGE_WEBHOOK_BACKOFF_MS; the tests make it small). */
  baseMs: number;
  /** No delay is longer than this. */
  capMs: number;
  /** Attempts stop once the next one would fall later than this after the delivery was created. */
  windowMs: number;
}

/** One hour: the longest wait between two attempts. */
export const BACKOFF_CAP_MS = 3_600_000;

/**
 * The wait after failed attempt number `attempt` (1-based): base·2^(attempt−1), capped, times a
 * random factor in [0.8, 1.2). `random` is injectable so the schedule can be tested.
 */
export function retryDelayMs(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(p.capMs, p.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/**
 * When to try again after failed attempt `attempt` at `now`, or undefined when the window is over
 * (the delivery is then `failed`).
 */
export function nextAttemptAt(createdAt: Date, attempt: number, now: Date, p: BackoffPolicy, random: () => number = Math.random): Date | undefined {
  const at = new Date(now.getTime() + retryDelayMs(attempt, p, random));
  return at.getTime() - createdAt.getTime() > p.windowMs ? undefined : at;
}
