/**
 * The catalog of files on tape (migration 0016): for each file a write session put on a cartridge,
 * the session, where its bytes are (`data_offset`, `size`) and their checksum. It is a copy of the
 * cartridges' own index records (storage/tape/cartridge-index.ts): a lost catalog is rebuilt from
 * them (`get_index`), and recording a session twice changes nothing (same primary key).
 *
 * Reads come back in tape order (cartridge, offset): a restore that follows it never seeks back.
 */
import type { Kysely } from 'kysely';
import type { Database, TapeFileRow } from './schema.js';

/** Where a secondary copy is: its cartridge, the primary it copies, and whether it can be loaded. */
export interface SecondaryPlace {
  barcode: string;
  secondary_of: string;
  tape_library_id: string;
  location: string;
  ejected: number;
}

/** Rows per INSERT: far below both dialects' bound-parameter limits (12 columns each). */
const CHUNK = 500;

export class TapeFileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records the files of one session; rows already there (a session recorded before) are left as they are. */
  async recordSession(rows: TapeFileRow[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx.insertInto('tape_files').values(rows.slice(i, i + CHUNK))
          .onConflict((oc) => oc.columns(['tape_id', 'session_no', 'path']).doNothing()).execute();
      }
    });
  }

  /** The files of a cartridge in tape order, a page at a time (`after`: the last offset of the previous page). */
  async onTape(tapeId: string, limit = 1000, after = -1): Promise<TapeFileRow[]> {
    return this.db.selectFrom('tape_files').selectAll().where('tape_id', '=', tapeId).where('data_offset', '>', after)
      .orderBy('data_offset').limit(limit).execute();
  }

  /**
   * Every copy of `paths` on tape, sorted in tape order: the cartridge (by barcode), then the offset.
   * A path written in several sessions appears once per session; the caller keeps the one it wants.
   */
  async locate(paths: string[]): Promise<Array<TapeFileRow & { barcode: string }>> {
    if (paths.length === 0) return [];
    const out: Array<TapeFileRow & { barcode: string }> = [];
    for (let i = 0; i < paths.length; i += CHUNK) {
      const rows = await this.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .selectAll('f').select('t.barcode').where('f.path', 'in', paths.slice(i, i + CHUNK)).execute();
      out.push(...rows);
    }
    return out.sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : a.data_offset - b.data_offset));
  }

  /**
   * The paths an execution has on tape (committed sessions): what a resumed archive does not write
   * again. With `paths`, only those of them (an archive asks batch by batch, so it never holds the
   * whole list).
   */
  async pathsOfExecution(executionId: string, paths?: string[]): Promise<Array<{ path: string; size: number }>> {
    if (paths === undefined) return this.db.selectFrom('tape_files').select(['path', 'size']).where('execution_id', '=', executionId).execute();
    const out: Array<{ path: string; size: number }> = [];
    for (let i = 0; i < paths.length; i += CHUNK) {
      out.push(...(await this.db.selectFrom('tape_files').select(['path', 'size']).where('execution_id', '=', executionId).where('path', 'in', paths.slice(i, i + CHUNK)).execute()));
    }
    return out;
  }

  /**
   * The files of a tape pool at `paths` or under them (a path is a file, or a folder whose files are
   * wanted), every copy, in tape order. `paths` are tape member names (relative, `/`-separated).
   */
  async inPool(poolId: string, paths: string[]): Promise<Array<TapeFileRow & { barcode: string; tape_library_id: string }>> {
    const out: Array<TapeFileRow & { barcode: string; tape_library_id: string }> = [];
    for (const p of paths) {
      const prefix = `${p}/`;
      const rows = await this.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .selectAll('f').select(['t.barcode', 't.tape_library_id']).where('t.pool_id', '=', poolId)
        .where((eb) => (p === '' ? eb.lit(true) : eb.or([eb('f.path', '=', p), eb(eb.fn('substr', ['f.path', eb.lit(1), eb.lit(prefix.length)]), '=', prefix)])))
        .execute();
      out.push(...rows);
    }
    return out.sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : a.data_offset - b.data_offset));
  }

  /**
   * The files on the secondary copies of `tapeId` — cartridges whose `secondary_of` is it, written
   * by a duplication — with their barcode: what a duplication of that cartridge has done already.
   */
  async onCopiesOf(tapeId: string): Promise<Array<TapeFileRow & { barcode: string }>> {
    return this.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
      .selectAll('f').select('t.barcode').where('t.secondary_of', '=', tapeId).execute();
  }

  /**
   * Copies of `paths` on the secondary cartridges of `primaryIds`, with where those cartridges are:
   * what a restore reads instead when a primary cartridge is out of the library or unreadable.
   */
  async secondaryCopies(primaryIds: string[], paths: string[]): Promise<Array<TapeFileRow & SecondaryPlace>> {
    if (primaryIds.length === 0 || paths.length === 0) return [];
    const out: Array<TapeFileRow & SecondaryPlace> = [];
    for (let i = 0; i < paths.length; i += CHUNK) {
      const rows = await this.db.selectFrom('tape_files as f').innerJoin('tapes as t', 't.id', 'f.tape_id')
        .selectAll('f').select(['t.barcode', 't.secondary_of', 't.tape_library_id', 't.location', 't.ejected'])
        .where('t.secondary_of', 'in', primaryIds).where('f.path', 'in', paths.slice(i, i + CHUNK)).execute();
      out.push(...rows.map((r) => ({ ...r, secondary_of: r.secondary_of as string })));
    }
    return out;
  }

  async countOnTape(tapeId: string): Promise<{ files: number; bytes: number }> {
    const r = await this.db.selectFrom('tape_files').where('tape_id', '=', tapeId)
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('b')]).executeTakeFirstOrThrow();
    return { files: Number(r.n), bytes: Number(r.b) };
  }

  /** Forgets the given catalog rows of a cartridge (`get_index` found them missing from the medium). */
  async forgetFiles(tapeId: string, rows: Array<{ session_no: number; path: string }>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const r of rows) {
        await tx.deleteFrom('tape_files').where('tape_id', '=', tapeId).where('session_no', '=', r.session_no).where('path', '=', r.path).execute();
      }
    });
  }

  /** Forgets a cartridge's files (it was formatted, or its catalog is rebuilt from its index). */
  async forgetTape(tapeId: string): Promise<void> {
    await this.db.deleteFrom('tape_files').where('tape_id', '=', tapeId).execute();
  }
}
