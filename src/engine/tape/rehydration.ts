/**
 * `rehydratation` (issue #12, Nodeum's spelling): bring files `cache_cleaning` evicted back to their
 * primary share, at their original paths, from their tape copies — through TapeRestore, so in tape
 * order, checksum-verified against what was evicted, published atomically. A path that holds a local
 * file again is left alone (whatever is there now is newer than the eviction) and its eviction is
 * forgotten; so is each file once it is back.
 */
import type { StorageDriver } from '../../storage/driver.js';
import type { EvictedWithCopy, TapeCacheRepository } from '../../store/tape-cache-repository.js';
import { DriveHold } from './drive-hold.js';
import type { TapeLibraries } from './tape-libraries.js';
import type { TapeRunState } from './tape-parts.js';
import { TapeRestore, type RestoreFile } from './tape-restore.js';

const key = (path: string) => `r:${path}`;

export class Rehydration {
  /** Files to bring back, by tape library. */
  private readonly byLibrary = new Map<string, RestoreFile[]>();

  constructor(
    private readonly run: TapeRunState,
    private readonly cache: TapeCacheRepository,
    private readonly libraries: TapeLibraries,
    private readonly share: StorageDriver,
    private readonly shareId: string,
    private readonly roots: string[],
  ) {}

  /** The evicted files under the task's paths that are not back yet; returns the execution's todo. */
  async prepare(): Promise<{ files: number; bytes: number }> {
    const rows = await this.cache.evictedUnder(this.shareId, this.roots);
    const present: string[] = [];
    let files = 0;
    let bytes = 0;
    for (const r of rows) {
      if (await this.share.stat(r.path, { signal: this.run.signal })) {
        present.push(r.path);
        await this.cache.forgetEviction(this.shareId, r.path);
        continue;
      }
      files += 1;
      bytes += Number(r.size);
      if (r.data_offset === null) {
        await this.run.failed(key(r.path), `${r.barcode}:${r.member}`, r.path, Number(r.size), 'not_found', `${r.path}: its copy ${r.member} on ${r.barcode} is no longer in the tape catalog (formatted? run get_index)`);
        continue;
      }
      this.byLibrary.set(r.tape_library_id, [...(this.byLibrary.get(r.tape_library_id) ?? []), restoreFile(r)]);
    }
    const n = [...this.byLibrary.values()].reduce((a, l) => a + l.length, 0);
    await this.run.note(`${rows.length} evicted file(s) under the task's paths: ${n} to bring back from tape${present.length ? `, ${present.length} present locally again (left alone, eviction forgotten)` : ''}`);
    return { files, bytes };
  }

  /** Restores library by library (one drive each); false when a stop cut it short. */
  async perform(): Promise<boolean> {
    const store = this.run.store;
    for (const [libraryId, files] of this.byLibrary) {
      const row = await store.tapes.findLibrary(libraryId);
      if (!row) {
        for (const f of files) await this.run.failed(f.key, `${f.barcode}:${f.member}`, f.dst, f.size, 'not_found', `the tape library of ${f.barcode} no longer exists`);
        continue;
      }
      const lib = await this.libraries.library(row);
      const hold = await DriveHold.acquire(lib, row, { executionId: this.run.ctx.id, taskId: this.run.ctx.taskId }, { tapes: store.tapes, clock: store.clock, note: (l) => this.run.note(l) }, this.run.signal);
      let complete: boolean;
      try {
        complete = await new TapeRestore(this.run, hold, this.share).restore(files);
      } finally {
        await hold.release();
      }
      const ledger = await store.ledger.forKeys(this.run.ctx.id, files.map((f) => f.key));
      for (const f of files) if (ledger.get(f.key)?.status === 'done') await this.cache.forgetEviction(this.shareId, f.dst);
      if (!complete) return false;
    }
    return true;
  }
}

function restoreFile(r: EvictedWithCopy): RestoreFile {
  return {
    key: key(r.path), barcode: r.barcode, member: r.member, dst: r.path, offset: Number(r.data_offset), size: Number(r.size), checksum: r.checksum,
    algorithm: r.algorithm, mtimeMs: Number(r.mtime_ms), mode: r.mode === null ? null : Number(r.mode),
  };
}
