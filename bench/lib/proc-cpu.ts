/**
 * CPU time of groups of processes over a measured window, from /proc (user + system, all threads): the
 * figure that stays meaningful on a shared machine, where wall-clock rates swing with the neighbours'
 * load. Divided by the MiB moved it gives "CPU ms per MiB" per role — what a mover, the S3 gateway or
 * the benchmark's own relay costs for each MiB — so a change in the upload path can be judged on a busy
 * machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSecondsOf } from './rss.js';

/** Pids whose command name (/proc/<pid>/comm) is `comm` (e.g. `radosgw`, `ceph-osd`, `redis-server`). */
export function pidsByName(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A named group of processes whose CPU is summed. `self` is this process (the relays live here). */
export interface CpuGroup {
  name: string;
  pids: number[];
  self?: boolean;
}

function selfSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds each group used between `new CpuWindow(groups)` and `end()`. */
export class CpuWindow {
  private readonly start: Map<string, number[]>;

  constructor(private readonly groups: CpuGroup[]) {
    this.start = new Map(groups.map((g) => [g.name, this.read(g)]));
  }

  private read(g: CpuGroup): number[] {
    return g.self ? [selfSeconds()] : g.pids.map((p) => cpuSecondsOf(p) ?? Number.NaN);
  }

  /** Seconds per group, and per process of each group (a process that ended meanwhile counts as NaN). */
  end(): Array<{ name: string; seconds: number; each: number[] }> {
    return this.groups.map((g) => {
      const before = this.start.get(g.name) ?? [];
      const each = this.read(g).map((s, i) => s - (before[i] ?? Number.NaN));
      return { name: g.name, seconds: each.reduce((a, b) => a + b, 0), each };
    });
  }
}
