/**
 * Tape libraries, their drives and cartridges (migration 0016). A library is created with its drives
 * and cartridges in one transaction, and deleted with them (foreign keys cascade). A drive's loaded
 * cartridge is not a column of the drive: it is the tape whose location is that drive, so the two can
 * never disagree.
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import { UniqueTaken } from '../domain/conflicts.js';
import type { Database, TapeDriveRow, TapeLibraryRow, TapeRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';
import { readableBy } from './privilege-repository.js';

function same(prefix: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, `${prefix}.${n}`]));
}

const LIBRARY_ATTRS = ['id', 'name', 'type', 'tape_type', 'status', 'slots', 'drives', 'mailslots', 'capacity_bytes', 'created_at', 'updated_at'];
export const TAPE_LIBRARY_COLUMNS: ColumnSpec = {
  filters: same('l', LIBRARY_ATTRS), sorts: same('l', LIBRARY_ATTRS), nonText: ['l.slots', 'l.drives', 'l.mailslots', 'l.capacity_bytes'],
};

const DRIVE_ATTRS = ['id', 'tape_library_id', 'name', 'serial', 'status', 'task_id', 'execution_id', 'mount_count', 'bandwidth', 'created_at', 'updated_at'];
export const TAPE_DRIVE_COLUMNS: ColumnSpec = {
  filters: { ...same('d', DRIVE_ATTRS), index: 'd.drive_index', barcode: 't.barcode' },
  sorts: { ...same('d', DRIVE_ATTRS), index: 'd.drive_index', barcode: 't.barcode' },
  nonText: ['d.mount_count', 'd.bandwidth', 'd.drive_index'],
};

const TAPE_ATTRS = [
  'id', 'tape_library_id', 'pool_id', 'barcode', 'location', 'location_index', 'type', 'locked', 'scratch', 'cleaning', 'write_protect', 'mounted',
  'ejected', 'mount_count', 'date_in', 'date_move', 'hash', 'secondary_of', 'sessions', 'last_size_update', 'created_at', 'updated_at',
];
/** The API's names: Nodeum's `free`/`max` (bytes), Barge's `used`; `tape_pool_id` is Nodeum's name of `pool_id`. */
const TAPE_ALIASES = { free: 't.free_bytes', max: 't.capacity_bytes', used: 't.used_bytes', tape_pool_id: 't.pool_id' };
export const TAPE_COLUMNS: ColumnSpec = {
  filters: { ...same('t', TAPE_ATTRS), ...TAPE_ALIASES },
  sorts: { ...same('t', TAPE_ATTRS), ...TAPE_ALIASES },
  nonText: ['t.location_index', 't.locked', 't.scratch', 't.cleaning', 't.write_protect', 't.mounted', 't.ejected', 't.mount_count', 't.sessions', 't.free_bytes', 't.capacity_bytes', 't.used_bytes'],
};

/** A drive with the barcode of the cartridge it holds. */
export type TapeDriveWithBarcode = TapeDriveRow & { barcode: string | null };

/** Which tapes a list covers. */
export interface TapeScope {
  libraryId?: string;
  poolId?: string;
  /** A non-admin: only tapes of pools this user may read. */
  readerId?: string;
}

export class TapeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** The library, its drives and cartridges, all or nothing. A taken name or barcode is `UniqueTaken`. */
  async insertLibrary(lib: TapeLibraryRow, drives: TapeDriveRow[], tapes: TapeRow[]): Promise<void> {
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('tape_libraries').values(lib).execute();
        if (drives.length) await tx.insertInto('tape_drives').values(drives).execute();
        for (let i = 0; i < tapes.length; i += 200) await tx.insertInto('tapes').values(tapes.slice(i, i + 200)).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken(String((err as Error).message).includes('barcode') ? 'barcode' : 'name');
      throw err;
    }
  }

  async listLibraries(q: ListQuery): Promise<{ count: number; rows: TapeLibraryRow[] }> {
    const base = applyFilters(this.db.selectFrom('tape_libraries as l'), q.filters, TAPE_LIBRARY_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('l'), q.sort, TAPE_LIBRARY_COLUMNS, [['l.name', 'asc'], ['l.id', 'asc']], this.dialect).limit(q.limit).offset(q.offset).execute();
    return { count: Number(c.n), rows };
  }

  async findLibrary(id: string): Promise<TapeLibraryRow | undefined> {
    return this.db.selectFrom('tape_libraries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findLibraryByName(name: string): Promise<TapeLibraryRow | undefined> {
    return this.db.selectFrom('tape_libraries').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** What stands in the way of deleting a library: cartridges holding data, drives in use. */
  async libraryInUse(id: string): Promise<{ tapesWithData: string[]; drivesInUse: number }> {
    const tapes = await this.db.selectFrom('tapes').select('barcode').where('tape_library_id', '=', id)
      .where((eb) => eb.or([eb('sessions', '>', 0), eb('used_bytes', '>', 0), eb.exists(eb.selectFrom('tape_files as f').select('f.tape_id').whereRef('f.tape_id', '=', 'tapes.id'))]))
      .orderBy('barcode').execute();
    const drives = await this.db.selectFrom('tape_drives').select((eb) => eb.fn.countAll<number>().as('n')).where('tape_library_id', '=', id).where('execution_id', 'is not', null).executeTakeFirstOrThrow();
    return { tapesWithData: tapes.map((t) => t.barcode), drivesInUse: Number(drives.n) };
  }

  async deleteLibrary(id: string): Promise<void> {
    await this.db.deleteFrom('tape_libraries').where('id', '=', id).execute();
  }

  private drives() {
    return this.db.selectFrom('tape_drives as d')
      .leftJoin('tapes as t', (j) => j.onRef('t.tape_library_id', '=', 'd.tape_library_id').on('t.location', '=', 'drive').onRef('t.location_index', '=', 'd.drive_index'));
  }

  async listDrives(q: ListQuery, libraryId?: string): Promise<{ count: number; rows: TapeDriveWithBarcode[] }> {
    let base = this.drives();
    if (libraryId !== undefined) base = base.where('d.tape_library_id', '=', libraryId);
    base = applyFilters(base, q.filters, TAPE_DRIVE_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('d').select('t.barcode'), q.sort, TAPE_DRIVE_COLUMNS, [['d.tape_library_id', 'asc'], ['d.drive_index', 'asc']], this.dialect)
      .limit(q.limit).offset(q.offset).execute();
    return { count: Number(c.n), rows: rows as TapeDriveWithBarcode[] };
  }

  async findDrive(id: string): Promise<TapeDriveWithBarcode | undefined> {
    return (await this.drives().selectAll('d').select('t.barcode').where('d.id', '=', id).executeTakeFirst()) as TapeDriveWithBarcode | undefined;
  }

  /** SQL: the tape's pool is one `userId` may read (a tape in no pool: admins only). */
  private inReadablePool(eb: ExpressionBuilder<any, any>, userId: string): Expression<SqlBool> {
    return eb('t.pool_id', 'in', eb.selectFrom('pools').select('pools.id').where((i) => readableBy(i, 'pools', userId)));
  }

  async listTapes(q: ListQuery, scope: TapeScope = {}): Promise<{ count: number; rows: TapeRow[] }> {
    let base = this.db.selectFrom('tapes as t');
    if (scope.libraryId !== undefined) base = base.where('t.tape_library_id', '=', scope.libraryId);
    if (scope.poolId !== undefined) base = base.where('t.pool_id', '=', scope.poolId);
    if (scope.readerId !== undefined) {
      const reader = scope.readerId;
      base = base.where((eb) => this.inReadablePool(eb, reader));
    }
    base = applyFilters(base, q.filters, TAPE_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('t'), q.sort, TAPE_COLUMNS, [['t.barcode', 'asc'], ['t.id', 'asc']], this.dialect).limit(q.limit).offset(q.offset).execute();
    return { count: Number(c.n), rows };
  }

  /** A tape, if the reader (when given) may see it. */
  async findTape(id: string, readerId?: string): Promise<TapeRow | undefined> {
    let q = this.db.selectFrom('tapes as t').selectAll('t').where('t.id', '=', id);
    if (readerId !== undefined) q = q.where((eb) => this.inReadablePool(eb, readerId));
    return q.executeTakeFirst();
  }

  async findTapeByBarcode(barcode: string): Promise<TapeRow | undefined> {
    return this.db.selectFrom('tapes').selectAll().where('barcode', '=', barcode).executeTakeFirst();
  }

  async updateTape(id: string, patch: Partial<Omit<TapeRow, 'id'>>): Promise<void> {
    await this.db.updateTable('tapes').set(patch).where('id', '=', id).execute();
  }

  /** The cartridges of a pool, by barcode: what an archive chooses from (engine/tape/cartridge-choice.ts). */
  async poolTapes(poolId: string): Promise<TapeRow[]> {
    return this.db.selectFrom('tapes').selectAll().where('pool_id', '=', poolId).orderBy('barcode').execute();
  }

  /** Names (or clears, with nulls) the execution using a drive: the drive row says who holds it (issue #12). */
  async setDriveUser(libraryId: string, driveIndex: number, user: { execution_id: string | null; task_id: string | null }, updatedAt: string): Promise<void> {
    await this.db.updateTable('tape_drives').set({ ...user, updated_at: updatedAt }).where('tape_library_id', '=', libraryId).where('drive_index', '=', driveIndex).execute();
  }

  /** Adds to a drive's counters (a mount, bytes written or read) and sets its bandwidth. */
  async addDriveCounters(libraryId: string, driveIndex: number, add: { mounts?: number; written?: number; read?: number }, bandwidth: number | undefined, updatedAt: string): Promise<void> {
    await this.db.updateTable('tape_drives').set((eb) => ({
      mount_count: eb('mount_count', '+', add.mounts ?? 0), bytes_written: eb('bytes_written', '+', add.written ?? 0), bytes_read: eb('bytes_read', '+', add.read ?? 0),
      ...(bandwidth === undefined ? {} : { bandwidth }), updated_at: updatedAt,
    })).where('tape_library_id', '=', libraryId).where('drive_index', '=', driveIndex).execute();
  }

  /** Every barcode starting with `prefix` (to number new cartridges after them). */
  async barcodesWithPrefix(prefix: string): Promise<string[]> {
    const rows = await this.db.selectFrom('tapes').select('barcode').where('barcode', 'like', `${prefix}%`).execute();
    return rows.map((r) => r.barcode);
  }
}
