/**
 * How tape rows look through the API: Nodeum's `tape_library`, `tape_drive`, `tape` and `tape_stat`
 * fields (with Nodeum's names: `storage_slots`, `io_slots`, `free`, `max`, `tape_pool_id`) and what
 * Barge adds (`slots`, `mailslots`, `used`, `location_index`, `sessions`, `secondary_of`, the
 * simulated mechanics). Booleans stored as 0/1 come out as booleans, sizes as numbers.
 */
import type { TapeDriveWithBarcode } from '../store/tape-repository.js';
import type { TapeLibraryRow, TapeRow } from '../store/schema.js';

type Json = Record<string, unknown>;

const bool = (v: unknown): boolean => Number(v) === 1;

export function libraryView(r: TapeLibraryRow): Json {
  return {
    id: r.id, name: r.name, type: r.type, path: r.path, comment: r.comment, status: r.status,
    vendor: 'Barge', product: `Virtual tape library (${r.tape_type})`, serial: `BARGE-VTL-${r.id.slice(0, 8).toUpperCase()}`,
    slots: Number(r.slots), storage_slots: Number(r.slots), drives: Number(r.drives), mailslots: Number(r.mailslots), io_slots: Number(r.mailslots),
    tape_type: r.tape_type, capacity_bytes: Number(r.capacity_bytes), load_seconds: Number(r.load_seconds), seek_mb_per_second: Number(r.seek_mb_per_second),
    barcode_prefix: r.barcode_prefix, created_at: r.created_at, updated_at: r.updated_at,
  };
}

export function driveView(r: TapeDriveWithBarcode, tapeType?: string): Json {
  return {
    id: r.id, tape_library_id: r.tape_library_id, name: r.name, index: Number(r.drive_index), serial: r.serial, status: r.status,
    vendor: 'Barge', product: tapeType ? `Virtual ${tapeType.replace('data_', '').toUpperCase()} drive` : 'Virtual drive',
    barcode: r.barcode ?? null, task_id: r.task_id, execution_id: r.execution_id, mount_count: Number(r.mount_count), bandwidth: Math.round(Number(r.bandwidth)),
    bytes_written: Number(r.bytes_written), bytes_read: Number(r.bytes_read), created_at: r.created_at, updated_at: r.updated_at,
  };
}

export function tapeView(r: TapeRow): Json {
  return {
    id: r.id, tape_library_id: r.tape_library_id, pool_id: r.pool_id, tape_pool_id: r.pool_id, barcode: r.barcode,
    location: r.location, location_index: r.location_index === null ? null : Number(r.location_index), type: r.type,
    locked: bool(r.locked), scratch: bool(r.scratch), cleaning: bool(r.cleaning), write_protect: bool(r.write_protect),
    mounted: bool(r.mounted), ejected: bool(r.ejected), known: true, mount_count: Number(r.mount_count),
    date_in: r.date_in, date_move: r.date_move, free: Number(r.free_bytes), max: Number(r.capacity_bytes), used: Number(r.used_bytes),
    last_size_update: r.last_size_update, hash: r.hash, sessions: Number(r.sessions), secondary_of: r.secondary_of,
    created_at: r.created_at, updated_at: r.updated_at,
  };
}

/** Where a cartridge is, as `GET /tapes/{id}/mount` tells it (Nodeum's mount_status, with Barge's details). */
export function mountView(r: TapeRow, driveId: string | null, libraryName: string): Json {
  const i = r.location_index === null ? null : Number(r.location_index);
  const where: Record<string, string> = {
    drive: `in drive ${i} of library ${libraryName}`,
    slot: `in slot ${i} of library ${libraryName}`,
    mailslot: `in mailslot ${i} of library ${libraryName}, ready to be taken out`,
    offline: `ejected from library ${libraryName} (offline)`,
  };
  return {
    mounted: r.location === 'drive', message: `${r.barcode} is ${where[r.location] ?? r.location}`, barcode: r.barcode,
    location: r.location, location_index: i, tape_library_id: r.tape_library_id, tape_drive_id: driveId,
  };
}

const MB = 1e6;

/** A cartridge's counters in Nodeum's `tape_stat` shape (megabytes are 10^6 bytes; Barge counts no drive errors). */
export function tapeStatView(r: TapeRow): Json {
  return {
    tape_id: r.id, barcode: r.barcode, log_time: r.updated_at, mounts: Number(r.mount_count), datasets_written: Number(r.sessions),
    lifetime_mbytes_written: Math.floor(Number(r.bytes_written) / MB), lifetime_mbytes_read: Math.floor(Number(r.bytes_read) / MB),
    total_native_capacity: Math.floor(Number(r.capacity_bytes) / MB), total_used_native_capacity: Math.floor(Number(r.used_bytes) / MB),
    write_protect: bool(r.write_protect), worm: false,
  };
}
