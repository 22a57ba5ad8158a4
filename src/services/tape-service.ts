/**
 * Cartridges (tapes) through the API (issue #12): lists (all, a library's, a pool's), one tape, where
 * it is (`mount`), its counters (`tape_stat`), and what an admin decides about it — its pool (one of
 * `content: tape`), `locked` (Barge will not pick it for writing), `write_protect` (its tab: the
 * cartridge file itself refuses writes from then on).
 *
 * Who sees what: admins every tape; other users the tapes of pools they may read (the privileges of
 * issue #15, `readableBy` on pools), as they see those pools. A tape they may not see is a 404.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { Clock } from '../lib/clock.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { PoolRow, TapeRow } from '../store/schema.js';
import type { TapeRepository, TapeScope } from '../store/tape-repository.js';
import type { Principal } from './principal.js';
import { unwrapBody } from './request-body.js';
import { boolField } from './tape-input.js';
import { tapeErrorCode, type TapeLibraryFiles } from './tape-library-service.js';
import { mountView, tapeStatView, tapeView } from './tape-views.js';

type Json = Record<string, unknown>;

export const TAPE_LIST: ListSpec = {
  filters: {
    id: 'string', tape_library_id: 'string', pool_id: 'string', tape_pool_id: 'string', barcode: 'string', location: 'string', location_index: 'number', type: 'string',
    locked: 'boolean', scratch: 'boolean', cleaning: 'boolean', write_protect: 'boolean', mounted: 'boolean', ejected: 'boolean', mount_count: 'number',
    date_in: 'date', date_move: 'date', free: 'number', max: 'number', used: 'number', hash: 'string', secondary_of: 'string', sessions: 'number',
    last_size_update: 'date', created_at: 'date', updated_at: 'date',
  },
  sortable: ['id', 'tape_library_id', 'pool_id', 'barcode', 'location', 'location_index', 'type', 'locked', 'scratch', 'write_protect', 'mounted', 'ejected', 'mount_count', 'date_in', 'date_move', 'free', 'max', 'used', 'sessions', 'created_at', 'updated_at'],
};

export class TapeService {
  constructor(
    private readonly repo: TapeRepository,
    private readonly pools: RegistryRepository<any>,
    private readonly files: TapeLibraryFiles,
    private readonly clock: Clock,
  ) {}

  /** Tapes in `scope` the principal may see. */
  async list(p: Principal, query: Record<string, unknown>, scope: { libraryId?: string; poolId?: string } = {}): Promise<Json> {
    const q = parseListQuery(query, TAPE_LIST);
    if (scope.libraryId !== undefined) {
      if (!p.isAdmin) throw forbidden('Only an admin can see tape libraries');
      if (!(await this.repo.findLibrary(scope.libraryId))) throw notFound('Tape library');
    }
    if (scope.poolId !== undefined) await this.visiblePool(p, scope.poolId);
    const full: TapeScope = { ...scope, ...(p.isAdmin || scope.poolId !== undefined ? {} : { readerId: p.userId }) };
    const { count, rows } = await this.repo.listTapes(q, full);
    return { count, tapes: rows.map(tapeView) };
  }

  async show(p: Principal, id: string): Promise<Json> {
    return tapeView(await this.visible(p, id));
  }

  /** Where the cartridge is: a slot, a drive (which one), a mailslot, or out of the library. */
  async mount(p: Principal, id: string): Promise<Json> {
    const t = await this.visible(p, id);
    let driveId: string | null = null;
    if (t.location === 'drive' && t.location_index !== null) {
      const drives = await this.repo.listDrives({ limit: 1, offset: 0, sort: [], filters: [{ attribute: 'index', op: '=', values: [Number(t.location_index)] }], all: false }, t.tape_library_id);
      driveId = drives.rows[0]?.id ?? null;
    }
    const lib = await this.repo.findLibrary(t.tape_library_id);
    return mountView(t, driveId, lib?.name ?? t.tape_library_id);
  }

  async stats(p: Principal, query: Record<string, unknown>): Promise<Json> {
    const { count, rows } = await this.repo.listTapes(parseListQuery(query, TAPE_LIST), p.isAdmin ? {} : { readerId: p.userId });
    return { count, tape_stats: rows.map(tapeStatView) };
  }

  async stat(p: Principal, id: string): Promise<Json> {
    return tapeStatView(await this.visible(p, id));
  }

  /** `PUT /tapes/{id}`: `pool_id` (a tape pool, or null), `locked`, `write_protect`. Other attributes are read-only. */
  async update(p: Principal, id: string, body: unknown): Promise<Json> {
    if (!p.isAdmin) throw forbidden('Only an admin can change tapes');
    const tape = await this.get(id);
    const input = unwrapBody(body, 'tape');
    const errors = new ValidationErrors();
    const locked = boolField(input, 'locked', errors);
    const writeProtect = boolField(input, 'write_protect', errors);
    let poolId: string | null | undefined;
    if ('pool_id' in input || 'tape_pool_id' in input) {
      const raw = 'pool_id' in input ? input.pool_id : input.tape_pool_id;
      if (raw === null || raw === '') poolId = null;
      else if (typeof raw !== 'string') errors.add('pool_id', { error: 'invalid', value: raw }, 'Pool must be a pool id or null');
      else if (await this.checkTapePool(raw, errors)) poolId = raw;
    }
    errors.throwIfAny();
    const patch: Partial<TapeRow> = {};
    if (locked !== undefined) patch.locked = locked ? 1 : 0;
    if (poolId !== undefined) patch.pool_id = poolId;
    if (writeProtect !== undefined && (tape.write_protect === 1) !== writeProtect) {
      await this.setTab(tape, writeProtect);
      patch.write_protect = writeProtect ? 1 : 0;
    }
    if (Object.keys(patch).length === 0) return tapeView(tape);
    patch.updated_at = this.clock.now().toISOString();
    await this.repo.updateTape(id, patch);
    return tapeView({ ...tape, ...patch });
  }

  /** `POST /pools/{id}/tapes` `{tape_id | id | barcode}`: puts a tape in a tape pool. */
  async addToPool(p: Principal, poolId: string, body: unknown): Promise<Json> {
    if (!p.isAdmin) throw forbidden('Only an admin can change pools');
    const pool = (await this.pools.findById(poolId)) as PoolRow | undefined;
    if (!pool) throw notFound('Pool');
    if (pool.content !== 'tape') throw invalid('pool_id', { error: 'inclusion', value: poolId }, `Pool ${pool.name} holds ${pool.content}, not tapes`);
    const input = unwrapBody(body, 'tape');
    const ref = input.tape_id ?? input.id;
    let tape: TapeRow | undefined;
    if (typeof ref === 'string' && ref !== '') tape = await this.repo.findTape(ref);
    else if (typeof input.barcode === 'string' && input.barcode !== '') tape = await this.repo.findTapeByBarcode(input.barcode);
    else throw invalid('tape_id', { error: 'blank' }, 'Tape can\'t be blank (give tape_id or barcode)');
    if (!tape) throw invalid('tape_id', { error: 'not_found', value: ref ?? input.barcode }, 'Tape not found');
    const now = this.clock.now().toISOString();
    await this.repo.updateTape(tape.id, { pool_id: poolId, updated_at: now });
    return tapeView({ ...tape, pool_id: poolId, updated_at: now });
  }

  /** Flips the cartridge's write-protect tab in its library (the file refuses writes from then on). */
  private async setTab(tape: TapeRow, on: boolean): Promise<void> {
    const lib = await this.repo.findLibrary(tape.tape_library_id);
    if (!lib) throw notFound('Tape library');
    try {
      await this.files.setWriteProtected(lib.path, tape.barcode, on);
    } catch (err) {
      const code = tapeErrorCode(err) ?? (err as { code?: string }).code;
      throw invalid('write_protect', { error: 'invalid', reason: code ?? 'io' }, `Could not ${on ? 'set' : 'clear'} the write protection of ${tape.barcode}: ${(err as Error).message}`);
    }
  }

  private async checkTapePool(id: string, errors: ValidationErrors): Promise<boolean> {
    const pool = (await this.pools.findById(id)) as PoolRow | undefined;
    if (!pool) errors.add('pool_id', { error: 'not_found', value: id }, `Pool ${id} does not exist`);
    else if (pool.content !== 'tape') errors.add('pool_id', { error: 'inclusion', value: id }, `Pool ${pool.name} holds ${pool.content}, not tapes`);
    else return true;
    return false;
  }

  /** A pool the principal may read (404 otherwise, as its show). */
  private async visiblePool(p: Principal, id: string): Promise<void> {
    const pool = await this.pools.findById(id);
    if (!pool || (!p.isAdmin && !(await this.pools.isReadable(id, p.userId)))) throw notFound('Pool');
  }

  private async get(id: string): Promise<TapeRow> {
    const t = await this.repo.findTape(id);
    if (!t) throw notFound('Tape');
    return t;
  }

  private async visible(p: Principal, id: string): Promise<TapeRow> {
    const t = await this.repo.findTape(id, p.isAdmin ? undefined : p.userId);
    if (!t) throw notFound('Tape');
    return t;
  }
}
