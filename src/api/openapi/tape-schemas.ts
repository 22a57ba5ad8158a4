/**
 * Schemas of tape (issue #12): Nodeum's `tape_library`, `tape_drive`, `tape`, `tape_stat` and the
 * mount status of a tape, with Barge's additions (a virtual library's layout and simulated mechanics,
 * `used`, `location_index`, `sessions`, `secondary_of`). Written flat, as the catalog's are.
 */
import { LIBRARY_LIMITS, TAPE_LIBRARY_TYPES, TAPE_LOCATIONS, TAPE_TYPES } from '../../domain/tape.js';
import { ref } from './helpers.js';

type Json = Record<string, unknown>;

const ro = (s: Json): Json => ({ ...s, readOnly: true });
const str = { type: 'string' };
const int64 = { type: 'integer', format: 'int64' };
const date = ro({ type: 'string', format: 'date-time' });
const L = LIBRARY_LIMITS;

const collection = (key: string, item: string): Json => ({ type: 'object', properties: { count: { type: 'integer' }, [key]: { type: 'array', items: ref(item) } } });

export const TAPE_SCHEMAS: Record<string, unknown> = {
  tape_library: {
    type: 'object',
    description: 'A tape library. Barge drives virtual libraries: one file per cartridge under `path` (a pax tar archive each), slots, drives and mailslots simulated with real tape behaviour (docs/tape.md).',
    properties: {
      id: ro(str), name: { type: 'string', maxLength: 255 },
      type: { type: 'string', enum: [...TAPE_LIBRARY_TYPES], description: 'virtual (default): a library made of files.' },
      path: { type: 'string', maxLength: 4096, description: 'Absolute directory of the library\'s files, new or empty, inside one of the roots of BARGE_TAPE_ROOTS (default `<data dir>/tape`).' },
      comment: { type: 'string', nullable: true, maxLength: 4096 },
      slots: { type: 'integer', minimum: L.slots.min, maximum: L.slots.max, description: 'Storage slots.' },
      drives: { type: 'integer', minimum: L.drives.min, maximum: L.drives.max },
      mailslots: { type: 'integer', minimum: L.mailslots.min, maximum: L.mailslots.max, description: 'Import/export slots (default 1).' },
      tape_type: { type: 'string', enum: [...TAPE_TYPES], description: 'The cartridges\' generation: their barcodes end in L6…L9 and their capacity is the generation\'s native one unless capacity_bytes says otherwise.' },
      tapes: { type: 'integer', minimum: 0, maximum: L.slots.max, writeOnly: true, description: 'Cartridges to create, in slots 0, 1, 2… (default: every slot). Barcodes are `<barcode_prefix><nnn><L6…L9>`, numbered after those already known.' },
      capacity_bytes: { ...int64, minimum: L.capacityBytes.min, description: 'Capacity of each cartridge (default: LTO-6 2.5 TB, LTO-7 6 TB, LTO-8 12 TB, LTO-9 18 TB).' },
      load_seconds: { type: 'number', minimum: L.loadSeconds.min, maximum: L.loadSeconds.max, description: 'Simulated time of each robot move (default 2).' },
      seek_mb_per_second: { type: 'number', minimum: L.seekMbPerSecond.min, maximum: L.seekMbPerSecond.max, description: 'Simulated positioning speed: a seek costs the distance over this (default 1000; 0: free).' },
      barcode_prefix: { type: 'string', pattern: '^[A-Z0-9]{3}$', description: 'First three characters of the barcodes (default BRG).' },
      status: ro({ type: 'string', enum: ['online', 'offline'] }),
      storage_slots: ro({ type: 'integer', description: 'Nodeum\'s name of slots.' }),
      io_slots: ro({ type: 'integer', description: 'Nodeum\'s name of mailslots.' }),
      vendor: ro(str), product: ro(str), serial: ro(str), created_at: date, updated_at: date,
    },
  },
  tape_library_collection: collection('tape_libraries', 'tape_library'),
  tape_drive: {
    type: 'object',
    description: 'A drive: it holds one cartridge (`barcode`) and serves one execution at a time (`execution_id`, `task_id`); others wait their turn.',
    properties: {
      id: ro(str), tape_library_id: ro(str), name: ro(str), index: ro({ type: 'integer', description: 'The drive\'s number in its library (selected_drive).' }),
      serial: ro(str), vendor: ro(str), product: ro(str), status: ro({ type: 'string', enum: ['online', 'offline'] }),
      barcode: ro({ type: 'string', nullable: true, description: 'The cartridge loaded, or null.' }),
      task_id: ro({ type: 'string', nullable: true }), execution_id: ro({ type: 'string', nullable: true }),
      mount_count: ro(int64), bandwidth: ro({ type: 'integer', description: 'Bytes per second of the current transfer.' }),
      bytes_written: ro(int64), bytes_read: ro(int64), created_at: date, updated_at: date,
    },
  },
  tape_drive_collection: collection('tape_drives', 'tape_drive'),
  tape: {
    type: 'object',
    description: 'A cartridge. `free`/`max`/`used` are bytes. A tape joins a pool of content tape through `pool_id` (PUT) or POST /pools/{id}/tapes.',
    properties: {
      id: ro(str), tape_library_id: ro(str),
      pool_id: { type: 'string', nullable: true, description: 'A pool of content tape, or null.' },
      tape_pool_id: ro({ type: 'string', nullable: true, description: 'Nodeum\'s name of pool_id.' }),
      barcode: ro(str), location: ro({ type: 'string', enum: [...TAPE_LOCATIONS] }),
      location_index: ro({ type: 'integer', nullable: true, description: 'The slot, drive or mailslot number; null offline.' }),
      type: ro({ type: 'string', enum: [...TAPE_TYPES] }),
      locked: { type: 'boolean', description: 'Barge does not choose a locked tape for writing.' },
      scratch: ro({ type: 'boolean', description: 'Blank: nothing written since the last format.' }),
      cleaning: ro({ type: 'boolean' }),
      write_protect: { type: 'boolean', description: 'The cartridge\'s write-protect tab: a protected cartridge is never written.' },
      mounted: ro({ type: 'boolean' }), ejected: ro({ type: 'boolean' }), known: ro({ type: 'boolean' }), mount_count: ro(int64),
      date_in: date, date_move: date, free: ro(int64), max: ro(int64), used: ro(int64), last_size_update: ro({ type: 'string', format: 'date-time', nullable: true }),
      hash: ro({ type: 'string', nullable: true }), sessions: ro({ type: 'integer', description: 'Complete write sessions on the cartridge.' }),
      secondary_of: ro({ type: 'string', nullable: true, description: 'The tape this one is a duplicate of.' }),
      created_at: date, updated_at: date,
    },
  },
  tape_collection: collection('tapes', 'tape'),
  tape_mount_status: {
    type: 'object',
    description: 'Where a cartridge is (Nodeum\'s mount_status, with Barge\'s details).',
    properties: {
      mounted: ro({ type: 'boolean', description: 'In a drive.' }), message: ro(str), barcode: ro(str),
      location: ro({ type: 'string', enum: [...TAPE_LOCATIONS] }), location_index: ro({ type: 'integer', nullable: true }),
      tape_library_id: ro(str), tape_drive_id: ro({ type: 'string', nullable: true }),
    },
  },
  tape_stat: {
    type: 'object',
    description: 'A cartridge\'s counters in Nodeum\'s tape_stat shape (megabytes of 10^6 bytes). Virtual drives make no errors: the error counters of Nodeum are not sent.',
    properties: {
      tape_id: ro(str), barcode: ro(str), log_time: date, mounts: ro(int64), datasets_written: ro({ type: 'integer', description: 'Write sessions.' }),
      lifetime_mbytes_written: ro(int64), lifetime_mbytes_read: ro(int64), total_native_capacity: ro(int64), total_used_native_capacity: ro(int64),
      write_protect: ro({ type: 'boolean' }), worm: ro({ type: 'boolean' }),
    },
  },
  tape_stat_collection: collection('tape_stats', 'tape_stat'),
  tape_eject: {
    type: 'object',
    description: 'The cartridges to eject, by barcode.',
    properties: { barcodes: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1 } } },
  },
  tape_import: {
    type: 'object',
    description: 'The cartridges to bring back into the library, by barcode.',
    properties: { barcodes: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1 } } },
  },
  pool_tape: {
    type: 'object',
    description: 'The tape to put in the pool: by id or by barcode.',
    properties: { tape_id: str, barcode: str },
  },
};
