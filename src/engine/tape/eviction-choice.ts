/**
 * Which files `cache_cleaning` evicts, and in which order (pure: no I/O, unit-tested). Oldest access
 * first — the access time, then the modification time (a file never read since written is as old as
 * its write; a backend without access times falls back to it), then the path so the order is stable
 * — among the files that have a verified copy; a file without one is never a candidate, whatever its
 * age. Eviction stops as soon as the share's used bytes are below the target (threshold % of its
 * quota), so no more is deleted than needed.
 */

/** A local file of the share as the choice sees it. */
export interface EvictionFile {
  path: string;
  size: number;
  mtimeMs: number;
  atimeMs?: number;
}

/** The bytes a share may use after cleaning: `threshold` % of `quota` (rounded down). */
export function targetBytes(quotaBytes: number, thresholdPct: number): number {
  return Math.floor((quotaBytes * thresholdPct) / 100);
}

/** Oldest access first: access time (or mtime when there is none), then mtime, then path. */
export function evictionOrder<T extends EvictionFile>(files: readonly T[]): T[] {
  const access = (f: T) => f.atimeMs ?? f.mtimeMs;
  return [...files].sort((a, b) => access(a) - access(b) || a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The outcome of evicting down to a target. */
export interface EvictionResult<T> {
  /** The share's used bytes at the end. */
  used: number;
  evicted: T[];
  /** Candidates `evict` refused (changed since archived, gone, …). */
  refused: T[];
}

/**
 * Evicts `candidates` (files with a verified copy) in eviction order while `used` is at or above
 * `target`. `evict` deletes one and answers whether it did (false: it was refused, e.g. the file
 * changed since its archive; the next one is tried). Stops early when `shouldStop` says so.
 */
export async function evictUntilBelow<T extends EvictionFile>(
  candidates: readonly T[], used: number, target: number, evict: (f: T) => Promise<boolean>, shouldStop: () => Promise<boolean> = async () => false,
): Promise<EvictionResult<T>> {
  const out: EvictionResult<T> = { used, evicted: [], refused: [] };
  for (const f of evictionOrder(candidates)) {
    if (out.used < target) break;
    if (await shouldStop()) break;
    if (await evict(f)) {
      out.evicted.push(f);
      out.used -= f.size;
    } else out.refused.push(f);
  }
  return out;
}
