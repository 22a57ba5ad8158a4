/**
 * Which process runs the engine on a store. Why: an engine adopts every active execution it does not
 * run yet, returns other owners' batches to the queue at start, and removes temporary files in the
 * destinations of the executions it resumes — two engines on one store (two servers on one
 * PostgreSQL database, or on one SQLite file) would walk the same executions twice and delete each
 * other's files in flight. So one holds a lease that it renews; the others serve the API and wait,
 * and take over when the holder stops or its lease runs out (it died).
 *
 * Until movers run on other hosts (a later issue), the whole engine — dispatcher and movers — is
 * the lease holder's.
 */
export interface EngineLease {
  /**
   * Takes the lease for `owner` until `now + ttlMs` if it is free, expired, already `owner`'s (a
   * renewal) or held by `deadHolder` (known dead); true when `owner` holds it afterwards.
   */
  acquire(owner: string, now: Date, ttlMs: number, deadHolder?: string): Promise<boolean>;
  /** Gives the lease up at once if `owner` holds it (a clean stop: the next engine need not wait). */
  release(owner: string): Promise<void>;
  /** The current holder while its lease runs, for logs and operators. */
  holder(now: Date): Promise<string | undefined>;
}

/**
 * True when `holder` names a process of this host (`host:pid`, the engine's default name) that no
 * longer exists. Why: after a crash, the restarted server would otherwise wait for the dead one's
 * lease to run out before resuming anything. A pid reused by another process reads as alive: the
 * lease is then waited out, the safe way round.
 */
export function isDeadLocalHolder(holder: string, host: string, alive: (pid: number) => boolean = processAlive): boolean {
  const m = /^(.*):(\d+)$/.exec(holder);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  return pid !== process.pid && !alive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
