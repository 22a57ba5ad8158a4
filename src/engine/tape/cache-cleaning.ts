/**
 * `cache_cleaning` on a primary share (issue #12): delete the local copy of files that have a
 * verified copy on tape, oldest access first, until the share uses less than
 * `rehydration_usage_threshold` % of its `quota_bytes`. Data safety comes first: a file is a
 * candidate only with a verified tape copy (share-archives.ts), and just before it is deleted it is
 * looked at again — gone, or a size or mtime other than the archived one, and it stays (a file
 * changed since its archive is never evicted). The eviction is recorded (evicted_files and the
 * catalog's `evicted` row) before the file is removed, so a crash in between leaves a record of a
 * file that is still there (evicted again, or forgotten by rehydration), never a deleted file
 * nobody can find.
 *
 * Used bytes are the sum of the sizes of the share's files (the whole share, whatever the task's
 * node paths); the task's node paths choose which files may be evicted. Copies in cloud buckets do
 * not count: a copy task records no catalog row tying a share's file to its object and checksum
 * (docs/tape.md, "Cache cleaning").
 */
import type { StorageDriver } from '../../storage/driver.js';
import type { TapeCacheRepository, TapeCopyRow } from '../../store/tape-cache-repository.js';
import { isUnderPath } from '../../domain/tape.js';
import { walk } from '../dispatcher/walker.js';
import { evictUntilBelow, targetBytes, type EvictionFile } from './eviction-choice.js';
import { ShareArchives } from './share-archives.js';
import type { TapeRunState } from './tape-parts.js';

/** A local file with the tape copy it may be evicted to. */
type Candidate = EvictionFile & { mode: number | null; uid: number | null; gid: number | null; copy: TapeCopyRow };

const MiB = 1024 * 1024;
const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const examples = (paths: string[]) => (paths.length ? ` (${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''})` : '');

export interface CacheCleaningTask {
  shareId: string;
  /** Storage paths the task may evict under. */
  roots: string[];
  /** % of the quota to get below. */
  threshold: number;
}

export class CacheCleaning {
  private candidates: Candidate[] = [];
  private used = 0;
  private target = 0;

  constructor(
    private readonly run: TapeRunState,
    private readonly cache: TapeCacheRepository,
    private readonly share: StorageDriver,
    private readonly task: CacheCleaningTask,
  ) {}

  /** Measures the share and finds the candidates; returns what it plans to evict (the execution's todo). */
  async prepare(): Promise<{ files: number; bytes: number }> {
    const row = await this.cache.share(this.task.shareId);
    const quota = row?.quota_bytes ?? 0;
    if (!row || !(quota > 0)) throw new Error(`the share ${row?.name ?? this.task.shareId} has no quota_bytes`);
    this.target = targetBytes(quota, this.task.threshold);
    const archives = await ShareArchives.load(this.cache, this.task.shareId);
    const without: string[] = [];
    const changed: string[] = [];
    for await (const w of walk(this.share, 0, 0, '/', { recursive: true, ignoreHidden: false, order: 'asc', signal: this.run.signal })) {
      if (w.failure || w.entry.kind !== 'file') continue;
      const e = w.entry;
      this.used += e.size;
      if (!this.task.roots.some((r) => isUnderPath(w.path, r))) continue;
      const v = archives.verdict(w.path, e.size, e.mtimeMs);
      if (v.kind === 'verified') {
        this.candidates.push({ path: w.path, size: e.size, mtimeMs: e.mtimeMs, atimeMs: e.atimeMs, mode: e.mode ?? null, uid: e.uid ?? null, gid: e.gid ?? null, copy: v.copy });
      } else (v.kind === 'changed' ? changed : without).push(w.path);
    }
    await this.run.note(`share ${row.name}: ${mb(this.used)} used of a ${mb(quota)} quota; target below ${this.task.threshold}% = ${mb(this.target)}; `
      + `${this.candidates.length} file(s) with a verified copy on tape, ${without.length} without one${examples(without)}, ${changed.length} changed since archived${examples(changed)}: those are never evicted`);
    const plan = await evictUntilBelow(this.candidates, this.used, this.target, async () => true);
    return { files: plan.evicted.length, bytes: plan.evicted.reduce((a, f) => a + f.size, 0) };
  }

  /** Evicts down to the target; false when a stop cut it short. */
  async perform(): Promise<boolean> {
    if (this.used < this.target) {
      await this.run.note(`nothing to evict: ${mb(this.used)} used is below the target`);
      return true;
    }
    let stopped = false;
    const refusedWhy: string[] = [];
    const r = await evictUntilBelow(this.candidates, this.used, this.target, (f) => this.evict(f, refusedWhy), async () => {
      stopped = (await this.run.gate()) === 'stop';
      return stopped;
    });
    await this.run.flush();
    const left = r.used >= this.target ? `; still ${mb(r.used)} used (no more files with a verified copy to evict)` : '';
    await this.run.note(`evicted ${r.evicted.length} file(s), ${mb(this.used - r.used)}; share now ${mb(r.used)} used${left}${r.refused.length ? `; kept ${r.refused.length}: ${refusedWhy.slice(0, 5).join('; ')}${r.refused.length > 5 ? '; …' : ''}` : ''}`);
    return !stopped;
  }

  /** Re-checks one file, records its eviction, deletes it. False (kept) when it changed or is gone. */
  private async evict(f: Candidate, why: string[]): Promise<boolean> {
    const signal = this.run.signal;
    const now = await this.share.stat(f.path, { signal });
    const copy = f.copy;
    if (!now || now.kind !== 'file') {
      why.push(`${f.path} is gone`);
      return false;
    }
    if (now.size !== Number(copy.size) || now.mtimeMs !== Number(copy.mtime_ms)) {
      why.push(`${f.path} changed since it was archived`);
      return false;
    }
    await this.cache.recordEviction({
      storage_id: this.task.shareId, path: f.path, tape_id: copy.tape_id, session_no: Number(copy.session_no), member: copy.path, size: f.size, mtime_ms: f.mtimeMs,
      atime_ms: f.atimeMs ?? null, mode: f.mode, uid: f.uid, gid: f.gid, checksum: copy.checksum, algorithm: copy.algorithm, execution_id: this.run.ctx.id,
      evicted_at: this.run.store.clock.now().toISOString(),
    }, this.run.ctx.taskId);
    try {
      await this.share.remove(f.path, { signal });
    } catch (err) {
      await this.cache.forgetEviction(this.task.shareId, f.path);
      if (signal.aborted) throw err;
      const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'io';
      await this.run.failed(`e:${f.path}`, f.path, null, f.size, code, `${f.path} could not be deleted: ${(err as Error).message}`);
      why.push(`${f.path} could not be deleted`);
      return false;
    }
    await this.run.done([{ key: `e:${f.path}`, src: f.path, dst: `${copy.barcode}:${copy.path}`, size: f.size, checksum: copy.checksum }]);
    return true;
  }
}
