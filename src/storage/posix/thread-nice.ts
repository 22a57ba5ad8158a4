/**
 * Lowers the scheduling priority of the calling thread alone (`setpriority(PRIO_PROCESS, gettid())`:
 * on Linux a thread id names that thread). Why: copy workers are throughput threads — mostly in the
 * kernel creating, writing and renaming files — and on a machine with few CPUs they took the CPU from
 * the engine thread that walks, plans and feeds them each time it woke another thread; the walk then
 * set the pace of a small-file copy (issue #14). Nice values only rise without privileges, so this
 * never needs any. Where koffi or glibc is missing it does nothing: priority is a tuning, not a rule.
 */
import { loadLibc } from './libc.js';

/** Sets this thread's niceness to `nice` (0–19); false when it could not (no libc binding, or refused). */
export function niceThisThread(nice: number): boolean {
  const libc = loadLibc();
  if (libc === null) return false;
  try {
    const gettid = libc.func<() => number>('int gettid()');
    const setpriority = libc.func<(which: number, who: number, prio: number) => number>('int setpriority(int, int, int)');
    return setpriority(0 /* PRIO_PROCESS */, gettid(), nice) === 0;
  } catch {
    return false; // a glibc older than 2.30 has no gettid()
  }
}
