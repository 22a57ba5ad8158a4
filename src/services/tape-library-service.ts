/**
 * Tape libraries and their drives (issue #12): an admin creates a virtual library — its cartridge
 * files under an allowed root, then its rows — lists and shows them, and deletes one whose cartridges
 * hold no data. Libraries and drives are hardware, seen by admins only (as movers are).
 *
 * Creating writes files and rows in that order, and removes the files again when the rows cannot be
 * written (a name or barcode taken by a concurrent create), so neither is left without the other.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import { UniqueTaken } from '../domain/conflicts.js';
import {
  BARCODE_PREFIX, DEFAULT_BARCODE_PREFIX, DEFAULT_LOAD_SECONDS, DEFAULT_SEEK_MB_PER_SECOND, LIBRARY_LIMITS, LTO_CAPACITY_BYTES,
  TAPE_LIBRARY_TYPES, TAPE_TYPES, nextBarcodes, type TapeType,
} from '../domain/tape.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { TapeDriveRow, TapeLibraryRow, TapeRow } from '../store/schema.js';
import type { TapeRepository } from '../store/tape-repository.js';
import type { VirtualLibrarySpec } from '../storage/tape/virtual-library-state.js';
import type { Principal } from './principal.js';
import { checkFields } from './registry-fields.js';
import { unwrapBody } from './request-body.js';
import { numberField } from './tape-input.js';
import { driveView, libraryView } from './tape-views.js';

type Json = Record<string, unknown>;

/**
 * The files of virtual libraries, as the composition root provides them (storage/tape over the
 * allowed roots). Failures are TapeErrors (`name: 'TapeError'`, a `code`).
 */
export interface TapeLibraryFiles {
  /** Creates a library's directory, cartridges and state; returns the real path. */
  create(path: string, spec: VirtualLibrarySpec): Promise<string>;
  /** Removes a library's files (refused with `holds_data` while a cartridge holds a session). */
  destroy(path: string): Promise<void>;
  setWriteProtected(path: string, barcode: string, on: boolean): Promise<void>;
}

/** The code of a TapeError (the storage layer's), else undefined. */
export function tapeErrorCode(err: unknown): string | undefined {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'TapeError' && typeof e.code === 'string' ? e.code : undefined;
}

export const TAPE_LIBRARY_LIST: ListSpec = {
  filters: { id: 'string', name: 'string', type: 'string', tape_type: 'string', status: 'string', slots: 'number', drives: 'number', mailslots: 'number', capacity_bytes: 'number', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'name', 'type', 'tape_type', 'status', 'slots', 'drives', 'mailslots', 'capacity_bytes', 'created_at', 'updated_at'],
};

export const TAPE_DRIVE_LIST: ListSpec = {
  filters: { id: 'string', tape_library_id: 'string', name: 'string', serial: 'string', status: 'string', index: 'number', barcode: 'string', task_id: 'string', execution_id: 'string', mount_count: 'number', bandwidth: 'number', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'tape_library_id', 'name', 'serial', 'status', 'index', 'barcode', 'task_id', 'mount_count', 'bandwidth', 'created_at', 'updated_at'],
};

function requireAdmin(p: Principal, what: string): void {
  if (!p.isAdmin) throw forbidden(`Only an admin can ${what}`);
}

/** The attributes of a create body, checked all at once. */
interface LibraryInput {
  name: string; type: string; path: string; comment: string | null; slots: number; drives: number; mailslots: number;
  tapeType: TapeType; tapes: number; capacityBytes: number; loadSeconds: number; seekMbPerSecond: number; barcodePrefix: string;
}

function readLibraryInput(body: unknown): LibraryInput {
  const input = unwrapBody(body, 'tape_library');
  const errors = new ValidationErrors();
  const s = checkFields(input, {
    name: { kind: 'string', required: true, max: 255 },
    type: { kind: 'enum', values: TAPE_LIBRARY_TYPES },
    path: { kind: 'absolute_path', required: true },
    comment: { kind: 'string', max: 4096 },
    tape_type: { kind: 'enum', required: true, values: TAPE_TYPES },
    barcode_prefix: { kind: 'string', max: 3, pattern: BARCODE_PREFIX, patternMessage: 'must be three upper-case letters or digits' },
  }, false, errors);
  const L = LIBRARY_LIMITS;
  const slots = numberField(input, 'slots', { ...L.slots, integer: true, required: true }, errors);
  const drives = numberField(input, 'drives', { ...L.drives, integer: true, required: true }, errors);
  const mailslots = numberField(input, 'mailslots', { ...L.mailslots, integer: true }, errors) ?? 1;
  const tapes = numberField(input, 'tapes', { min: 0, max: L.slots.max, integer: true }, errors);
  const capacity = numberField(input, 'capacity_bytes', { ...L.capacityBytes, integer: true }, errors);
  const load = numberField(input, 'load_seconds', L.loadSeconds, errors);
  const seek = numberField(input, 'seek_mb_per_second', L.seekMbPerSecond, errors);
  if (slots !== undefined && tapes !== undefined && tapes > slots) errors.add('tapes', { error: 'less_than_or_equal_to', count: slots, value: tapes }, `Tapes must be less than or equal to the slots (${slots})`);
  if (typeof s.path === 'string' && s.path.length > 4096) errors.add('path', { error: 'too_long', count: 4096 }, 'Path is too long (maximum is 4096 characters)');
  errors.throwIfAny();
  const tapeType = s.tape_type as TapeType;
  return {
    name: s.name as string, type: (s.type as string | null | undefined) ?? 'virtual', path: s.path as string, comment: (s.comment as string | null | undefined) ?? null,
    slots: slots as number, drives: drives as number, mailslots, tapeType, tapes: tapes ?? (slots as number),
    capacityBytes: capacity ?? LTO_CAPACITY_BYTES[tapeType], loadSeconds: load ?? DEFAULT_LOAD_SECONDS, seekMbPerSecond: seek ?? DEFAULT_SEEK_MB_PER_SECOND,
    barcodePrefix: (s.barcode_prefix as string | null | undefined) ?? DEFAULT_BARCODE_PREFIX,
  };
}

export class TapeLibraryService {
  constructor(
    private readonly repo: TapeRepository,
    private readonly files: TapeLibraryFiles,
    private readonly clock: Clock,
  ) {}

  async list(p: Principal, query: Record<string, unknown>): Promise<Json> {
    requireAdmin(p, 'see tape libraries');
    const { count, rows } = await this.repo.listLibraries(parseListQuery(query, TAPE_LIBRARY_LIST));
    return { count, tape_libraries: rows.map(libraryView) };
  }

  async show(p: Principal, id: string): Promise<Json> {
    requireAdmin(p, 'see tape libraries');
    return libraryView(await this.get(id));
  }

  async create(p: Principal, body: unknown): Promise<Json> {
    requireAdmin(p, 'create tape libraries');
    const x = readLibraryInput(body);
    if (await this.repo.findLibraryByName(x.name)) throw invalid('name', { error: 'taken' }, 'Tape library name has already been taken');
    const barcodes = nextBarcodes(x.barcodePrefix, x.tapeType, x.tapes, await this.repo.barcodesWithPrefix(x.barcodePrefix));
    if (!barcodes) throw invalid('tapes', { error: 'too_many', prefix: x.barcodePrefix }, `Not enough barcodes left with prefix ${x.barcodePrefix} (999 per prefix): give another barcode_prefix`);
    let real: string;
    try {
      real = await this.files.create(x.path, {
        slots: x.slots, drives: x.drives, mailslots: x.mailslots, tapeType: x.tapeType, barcodes, capacityBytes: x.capacityBytes,
        loadSeconds: x.loadSeconds, seekMbPerSecond: x.seekMbPerSecond,
      });
    } catch (err) {
      const code = tapeErrorCode(err);
      // `io`: the directory cannot be made or written (permissions, a file in the way): the path given is unusable.
      if (code === 'path_not_allowed' || code === 'path_not_empty' || code === 'io') throw invalid('path', { error: 'invalid', reason: code, value: x.path }, (err as Error).message);
      throw err;
    }
    const now = this.clock.now().toISOString();
    const id = newId();
    const lib: TapeLibraryRow = {
      id, name: x.name, type: x.type, path: real, comment: x.comment, slots: x.slots, drives: x.drives, mailslots: x.mailslots, tape_type: x.tapeType,
      capacity_bytes: x.capacityBytes, load_seconds: x.loadSeconds, seek_mb_per_second: x.seekMbPerSecond, barcode_prefix: x.barcodePrefix, status: 'online',
      created_at: now, updated_at: now,
    };
    const drives: TapeDriveRow[] = Array.from({ length: x.drives }, (_, i) => ({
      id: newId(), tape_library_id: id, drive_index: i, name: `${x.name} drive ${i}`, serial: `BARGE-VD-${id.slice(0, 8).toUpperCase()}-${i}`, status: 'online',
      execution_id: null, task_id: null, mount_count: 0, bandwidth: 0, bytes_written: 0, bytes_read: 0, created_at: now, updated_at: now,
    }));
    const tapes: TapeRow[] = barcodes.map((barcode, i) => ({
      id: newId(), tape_library_id: id, pool_id: null, barcode, type: x.tapeType, location: 'slot', location_index: i, home_slot: i,
      locked: 0, scratch: 1, cleaning: 0, write_protect: 0, mounted: 0, ejected: 0, mount_count: 0, capacity_bytes: x.capacityBytes, used_bytes: 0,
      free_bytes: x.capacityBytes, sessions: 0, hash: null, secondary_of: null, bytes_written: 0, bytes_read: 0, date_in: now, date_move: now,
      last_size_update: null, created_at: now, updated_at: now,
    }));
    try {
      await this.repo.insertLibrary(lib, drives, tapes);
    } catch (err) {
      await this.files.destroy(real).catch(() => undefined);
      if (err instanceof UniqueTaken) throw invalid(err.attribute === 'barcode' ? 'tapes' : 'name', { error: 'taken' }, err.attribute === 'barcode' ? 'A barcode of the new tapes was taken meanwhile: try again' : 'Tape library name has already been taken');
      throw err;
    }
    return libraryView(lib);
  }

  /**
   * Deletes a library, its drives, tapes and files. Refused (422 `restrict_dependent_destroy`) while a
   * cartridge holds data — its files would be lost — or a drive is in use.
   */
  async destroy(p: Principal, id: string): Promise<void> {
    requireAdmin(p, 'delete tape libraries');
    const lib = await this.get(id);
    const use = await this.repo.libraryInUse(id);
    if (use.tapesWithData.length > 0) {
      throw invalid('id', { error: 'restrict_dependent_destroy', dependency: 'tapes with data', barcodes: use.tapesWithData.slice(0, 20) }, `Tape library still holds data on ${use.tapesWithData.length} tape(s): ${use.tapesWithData.slice(0, 5).join(', ')}`);
    }
    if (use.drivesInUse > 0) throw invalid('id', { error: 'restrict_dependent_destroy', dependency: 'drives in use' }, 'Tape library has drives in use');
    try {
      await this.files.destroy(lib.path);
    } catch (err) {
      const code = tapeErrorCode(err);
      if (code === 'holds_data') throw invalid('id', { error: 'restrict_dependent_destroy', dependency: 'tapes with data' }, (err as Error).message);
      // Files already gone (removed by hand, moved): the rows still go.
      if (code !== 'not_found' && code !== 'path_not_allowed') throw err;
    }
    await this.repo.deleteLibrary(id);
  }

  async listDrives(p: Principal, query: Record<string, unknown>, libraryId?: string): Promise<Json> {
    requireAdmin(p, 'see tape drives');
    const lib = libraryId === undefined ? undefined : await this.get(libraryId);
    const { count, rows } = await this.repo.listDrives(parseListQuery(query, TAPE_DRIVE_LIST), libraryId);
    const types = new Map<string, string>();
    if (lib) types.set(lib.id, lib.tape_type);
    for (const r of rows) if (!types.has(r.tape_library_id)) types.set(r.tape_library_id, (await this.repo.findLibrary(r.tape_library_id))?.tape_type ?? '');
    return { count, tape_drives: rows.map((r) => driveView(r, types.get(r.tape_library_id))) };
  }

  async showDrive(p: Principal, id: string, libraryId?: string): Promise<Json> {
    requireAdmin(p, 'see tape drives');
    const d = await this.repo.findDrive(id);
    if (!d || (libraryId !== undefined && d.tape_library_id !== libraryId)) throw notFound('Tape drive');
    return driveView(d, (await this.repo.findLibrary(d.tape_library_id))?.tape_type);
  }

  private async get(id: string): Promise<TapeLibraryRow> {
    const lib = await this.repo.findLibrary(id);
    if (!lib) throw notFound('Tape library');
    return lib;
  }
}
