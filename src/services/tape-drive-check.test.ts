import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataManagementError } from '../domain/errors.js';
import type { TaskEndpointRow, TapeLibraryRow, TapeRow } from '../store/schema.js';
import { checkDuplication, checkPoolDrive, type TapeDriveLookup } from './tape-drive-check.js';

const libs: Record<string, Partial<TapeLibraryRow>> = { L2: { id: 'L2', name: 'two', drives: 2 }, L1: { id: 'L1', name: 'one', drives: 1 } };
const tape = (barcode: string, pool: string, lib = 'L2', extra: Partial<TapeRow> = {}) => ({ barcode, pool_id: pool, tape_library_id: lib, ejected: 0, ...extra } as TapeRow);
const TAPES = [tape('A1', 'src'), tape('A2', 'src'), tape('B1', 'dst'), tape('O1', 'one', 'L1'), tape('O2', 'dst1', 'L1'), tape('C1', 'other', 'L2')];
const lookup: TapeDriveLookup = {
  findTapeByBarcode: async (b) => TAPES.find((t) => t.barcode === b),
  poolTapes: async (p) => TAPES.filter((t) => t.pool_id === p),
  findLibrary: async (id) => libs[id] as TapeLibraryRow | undefined,
};
const refuse = (why: string) => new DataManagementError(422, why);
const ep = (role: 'source' | 'destination', pool: string | null, type = 'tape') => ({ role, type, pool_id: pool, storage_id: null, node_paths: '[]' } as unknown as TaskEndpointRow);

async function why(p: Promise<void>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof DataManagementError && err.status === 422, String(err));
    return err.message;
  }
}

describe('run checks of duplication and selected drives', () => {
  it('accepts a pool or barcodes copied to another pool of a two-drive library, with two different drives', async () => {
    assert.equal(await why(checkDuplication(lookup, refuse, {}, [ep('source', 'src'), ep('destination', 'dst')], undefined)), undefined);
    assert.equal(await why(checkDuplication(lookup, refuse, { selected_drive: '1', selected_drive_2: '0' }, [ep('destination', 'dst')], ['A2'])), undefined);
  });

  it('refuses, naming why', async () => {
    const cases: Array<[Record<string, unknown>, TaskEndpointRow[], string[] | undefined, RegExp]> = [
      [{}, [ep('source', 'src')], undefined, /one destination \{type: tape, pool_id\}/],
      [{}, [ep('source', 'src'), ep('destination', 'dst', 'nas')], undefined, /tape storages only/],
      [{}, [ep('destination', 'dst')], undefined, /options\.barcodes is missing/],
      [{}, [ep('source', 'src'), ep('destination', 'src')], undefined, /copies go to another pool/],
      [{}, [ep('destination', 'src')], ['A1'], /A1 is in the destination tape pool/],
      [{}, [ep('destination', 'dst')], ['A1', 'ZZ'], /unknown barcode ZZ/],
      [{}, [ep('destination', 'dst1')], ['O1'], /needs two drives .* one has 1/],
      [{}, [ep('destination', 'dst')], ['A1', 'O1'], /several tape libraries/],
      [{}, [ep('destination', 'dst1')], ['A1'], /destination tape pool has no cartridge in tape library two/],
      [{ selected_drive: '2' }, [ep('destination', 'dst')], ['A1'], /options\.selected_drive is 2, but tape library two has 2 drives/],
      [{ selected_drive_2: 'x' }, [ep('destination', 'dst')], ['A1'], /options\.selected_drive_2 must be/],
      [{ selected_drive: 1, selected_drive_2: '1' }, [ep('destination', 'dst')], ['A1'], /both drive 1/],
    ];
    for (const [options, endpoints, barcodes, re] of cases) {
      const m = await why(checkDuplication(lookup, refuse, options, endpoints, barcodes));
      assert.ok(m, `refused: ${re}`);
      assert.match(m, re);
    }
  });

  it('checks an archive\'s or restore\'s selected_drive against its pool\'s library', async () => {
    assert.equal(await why(checkPoolDrive(lookup, 't', {}, 'one')), undefined);
    assert.equal(await why(checkPoolDrive(lookup, 't', { selected_drive: '1' }, 'src')), undefined);
    assert.match((await why(checkPoolDrive(lookup, 't', { selected_drive: '1' }, 'one')))!, /options\.selected_drive is 1, but tape library one has 1 drive \(numbered 0 to 0/);
  });
});
