/**
 * Memory and CPU of a running process from /proc (Linux). VmHWM (/proc/<pid>/status) is the kernel's
 * own peak RSS ("high water mark") since the process started, so one read at the end is exact; the
 * sampler also keeps the largest VmRSS it saw and when, to tell a peak during the walk from one during
 * transfers. CPU time (/proc/<pid>/stat, all threads) is the figure that stays meaningful on a shared,
 * busy machine, where wall-clock times swing with the neighbours' load.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryStatus {
  rssKiB: number;
  hwmKiB: number;
}

/** VmRSS and VmHWM of `pid`, or undefined when it is gone (or not Linux). */
export function memoryOf(pid: number): MemoryStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

/**
 * User + system CPU seconds used so far by `pid` (all its threads), or undefined when it is gone.
 * `withChildren`: plus what its waited-for child processes used (cutime + cstime), so that a server
 * that forks helpers is charged for them too.
 */
export function cpuSecondsOf(pid: number, withChildren = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start at state: utime and stime are 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = withChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (Number(fields[11]) + Number(fields[12]) + children) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by each thread of `pid`, summed by thread name (/proc/<pid>/task/<tid>/stat;
 * Node names its threads: `node` the main loop, `libuv-worker`, `V8 DefaultWorke`…, worker threads as
 * set by the process). Why: "where do the microseconds go" needs the split between the event loop(s),
 * the copy workers, libuv's pool and V8's GC helpers. Threads that ended are not counted.
 */
export function threadCpuOf(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** Samples a process every `intervalMs` until stopped. */
export class RssSampler {
  maxRssKiB = 0;
  /** Seconds after start at which `maxRssKiB` was seen. */
  maxAtSeconds = 0;
  hwmKiB = 0;
  samples = 0;
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 200) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const m = memoryOf(this.pid);
    if (!m) return;
    this.samples++;
    if (m.rssKiB > this.maxRssKiB) {
      this.maxRssKiB = m.rssKiB;
      this.maxAtSeconds = (performance.now() - this.t0) / 1000;
    }
    if (m.hwmKiB > this.hwmKiB) this.hwmKiB = m.hwmKiB;
  }

  /** Takes a last sample (the process must still run to read its VmHWM) and stops. */
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}
