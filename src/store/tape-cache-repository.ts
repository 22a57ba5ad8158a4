/**
 * What `cache_cleaning` and `rehydratation` (issue #12) read and write: the tape copies of a share's
 * archives, the share's evicted files (`evicted_files`, migration 0018) and their rows in the general
 * catalog. Why one repository beside TapeFileRepository: the eviction record and its catalog row are
 * written in one transaction (a file is never deleted without both, and never shown evicted without
 * the record rehydration needs), and rehydration forgets both together.
 */
import type { Kysely } from 'kysely';
import { fileNameParts } from '../domain/catalog.js';
import { isUnderPath } from '../domain/tape.js';
import type { CatalogEntryRow, Database, EvictedFileRow, TapeFileRow } from './schema.js';

/** A tape copy with where its cartridge is (barcode, library). */
export type TapeCopyRow = TapeFileRow & { barcode: string; tape_library_id: string };

/** An evicted file with the tape copy it relies on (the `tape_files` row, when the catalog still has it). */
export type EvictedWithCopy = EvictedFileRow & { barcode: string; tape_library_id: string; data_offset: number | null; copy_size: number | null; copy_checksum: string | null };

const CHUNK = 500;

export class TapeCacheRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The executions that put files on tape (committed sessions), with their task snapshots: the archives
   * whose sources may be a share's files. Rows rebuilt by `get_index` have no execution and are not here.
   */
  async archiveExecutions(): Promise<Array<{ id: string; task_snapshot: string; created_at: string }>> {
    return this.db.selectFrom('task_executions').select(['id', 'task_snapshot', 'created_at'])
      .where('id', 'in', (eb) => eb.selectFrom('tape_files').select('execution_id').where('execution_id', 'is not', null).distinct())
      .orderBy('created_at', 'desc').execute() as Promise<Array<{ id: string; task_snapshot: string; created_at: string }>>;
  }

  /** A share's name and quota (`quota_bytes`, migration 0018), or undefined when it no longer exists. */
  async share(id: string): Promise<{ id: string; name: string; quota_bytes: number | null } | undefined> {
    const r = await this.db.selectFrom('nas_shares').select(['id', 'name', 'quota_bytes']).where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, name: r.name, quota_bytes: r.quota_bytes === null || r.quota_bytes === undefined ? null : Number(r.quota_bytes) } : undefined;
  }

  /** The tape copies an execution wrote (every cartridge), with their cartridges' barcodes. */
  async copiesOf(executionId: string): Promise<TapeCopyRow[]> {
    return this.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id').selectAll('f').select(['t.barcode', 't.tape_library_id'])
      .where('f.execution_id', '=', executionId).execute();
  }

  /**
   * Records an eviction before the local copy is deleted: the `evicted_files` row and a catalog row of
   * kind `evicted` (the share's path, its tape copy as `stored_storage_id`/`stored_path`), in one transaction.
   */
  async recordEviction(e: EvictedFileRow, taskId: string): Promise<void> {
    const cat: CatalogEntryRow = {
      execution_id: e.execution_id, task_id: taskId, storage_id: e.storage_id, path: e.path, kind: 'evicted', size: e.size, mtime_ms: e.mtime_ms,
      mode: e.mode, uid: e.uid, gid: e.gid, checksum: e.checksum, algorithm: e.algorithm, recorded_at: e.evicted_at,
      parent: e.path.slice(0, Math.max(1, e.path.lastIndexOf('/'))), stored_storage_id: e.tape_id, stored_path: e.member,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('evicted_files').values(e).onConflict((oc) => oc.columns(['storage_id', 'path']).doUpdateSet((eb) => ({
        tape_id: eb.ref('excluded.tape_id'), session_no: eb.ref('excluded.session_no'), member: eb.ref('excluded.member'), size: eb.ref('excluded.size'),
        mtime_ms: eb.ref('excluded.mtime_ms'), atime_ms: eb.ref('excluded.atime_ms'), checksum: eb.ref('excluded.checksum'), algorithm: eb.ref('excluded.algorithm'),
        execution_id: eb.ref('excluded.execution_id'), evicted_at: eb.ref('excluded.evicted_at'),
      }))).execute();
      await tx.insertInto('catalog_entries').values({ ...cat, ...fileNameParts(cat.path) })
        .onConflict((oc) => oc.columns(['execution_id', 'storage_id', 'path']).doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'), size: eb.ref('excluded.size'), mtime_ms: eb.ref('excluded.mtime_ms'), checksum: eb.ref('excluded.checksum'),
          stored_storage_id: eb.ref('excluded.stored_storage_id'), stored_path: eb.ref('excluded.stored_path'), recorded_at: eb.ref('excluded.recorded_at'),
        }))).execute();
    });
  }

  /** Forgets an eviction (the file is back, or its local path holds a file again): its record and its catalog rows of kind `evicted`. */
  async forgetEviction(storageId: string, path: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('evicted_files').where('storage_id', '=', storageId).where('path', '=', path).execute();
      await tx.deleteFrom('catalog_entries').where('storage_id', '=', storageId).where('path', '=', path).where('kind', '=', 'evicted').execute();
    });
  }

  /** The evicted files of a share at or under `roots` (storage paths), with their tape copies, in tape order. */
  async evictedUnder(storageId: string, roots: string[]): Promise<EvictedWithCopy[]> {
    const rows = await this.db.selectFrom('evicted_files as e').innerJoin('tapes as t', 't.id', 'e.tape_id')
      .leftJoin('tape_files as f', (j) => j.onRef('f.tape_id', '=', 'e.tape_id').onRef('f.session_no', '=', 'e.session_no').onRef('f.path', '=', 'e.member'))
      .selectAll('e').select(['t.barcode', 't.tape_library_id', 'f.data_offset', 'f.size as copy_size', 'f.checksum as copy_checksum'])
      .where('e.storage_id', '=', storageId).execute() as EvictedWithCopy[];
    return rows.filter((r) => roots.some((root) => isUnderPath(r.path, root)))
      .sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : Number(a.data_offset ?? 0) - Number(b.data_offset ?? 0)));
  }

  /** How many evicted files rely on a cartridge's copies (a format would lose them: it is refused). */
  async evictedOn(tapeId: string): Promise<number> {
    const r = await this.db.selectFrom('evicted_files').select((eb) => eb.fn.countAll<number>().as('n')).where('tape_id', '=', tapeId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** The paths of a share that are evicted (cache_cleaning does not count them as local files). */
  async evictedPaths(storageId: string): Promise<Set<string>> {
    const out = new Set<string>();
    let after = '';
    for (;;) {
      const rows = await this.db.selectFrom('evicted_files').select('path').where('storage_id', '=', storageId).where('path', '>', after).orderBy('path').limit(CHUNK).execute();
      for (const r of rows) out.add(r.path);
      if (rows.length < CHUNK) return out;
      after = rows.at(-1)!.path;
    }
  }
}
