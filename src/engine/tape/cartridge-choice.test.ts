import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TapeRow } from '../../store/schema.js';
import { noCartridgeReason, unwritable, writableCartridges } from './cartridge-choice.js';

const MiB = 1024 * 1024;

function tape(barcode: string, o: Partial<TapeRow> = {}): TapeRow {
  return {
    id: barcode, tape_library_id: 'L', pool_id: 'P', barcode, type: 'data_lto8', location: 'slot', location_index: 0, home_slot: 0, locked: 0, scratch: 1, cleaning: 0,
    write_protect: 0, mounted: 0, ejected: 0, mount_count: 0, capacity_bytes: 4 * MiB, used_bytes: 0, free_bytes: 4 * MiB, sessions: 0, hash: null, secondary_of: null,
    bytes_written: 0, bytes_read: 0, date_in: '', date_move: '', last_size_update: null, created_at: '', updated_at: '', ...o,
  };
}

describe('cartridge choice', () => {
  it('never a locked, write-protected, ejected, mailslot, cleaning or full cartridge', () => {
    assert.equal(unwritable(tape('A', { locked: 1 })), 'locked');
    assert.equal(unwritable(tape('A', { write_protect: 1 })), 'write-protected');
    assert.equal(unwritable(tape('A', { ejected: 1 })), 'ejected');
    assert.equal(unwritable(tape('A', { location: 'offline' })), 'ejected');
    assert.equal(unwritable(tape('A', { location: 'mailslot' })), 'in a mailslot');
    assert.equal(unwritable(tape('A', { cleaning: 1 })), 'a cleaning cartridge');
    assert.equal(unwritable(tape('A', { free_bytes: 1024 })), 'full');
    assert.equal(unwritable(tape('A', { location: 'drive' })), undefined);
  });

  it('the fullest first, then by barcode; tried ones left out', () => {
    const tapes = [tape('C'), tape('B', { free_bytes: MiB }), tape('A'), tape('D', { write_protect: 1, free_bytes: 10 })];
    assert.deepEqual(writableCartridges(tapes, new Set()).map((t) => t.barcode), ['B', 'A', 'C']);
    assert.deepEqual(writableCartridges(tapes, new Set(['B'])).map((t) => t.barcode), ['A', 'C']);
  });

  it('says why for each cartridge when none can be written', () => {
    assert.equal(noCartridgeReason([]), 'the tape pool has no cartridges');
    assert.match(noCartridgeReason([tape('A', { locked: 1 }), tape('B', { ejected: 1 })]), /A locked, B ejected/);
  });
});
