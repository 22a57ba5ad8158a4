import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataManagementError } from '../domain/errors.js';
import type { TaskEndpointRow, TapeRow, UserRow } from '../store/schema.js';
import { checkTapeAction, optionBarcodes, type TapeActionLookup } from './tape-action-check.js';

const lookup = (admin = true): TapeActionLookup => ({
  findTapeByBarcode: async (b) => (b.startsWith('BRG') ? ({ barcode: b } as TapeRow) : undefined),
  findById: async () => ({ is_admin: admin ? 1 : 0 } as UserRow),
});
const task = { name: 't', user_id: 'u' };
const tape = (role: 'source' | 'destination', poolId: string | null = 'p') => ({ role, type: 'tape', pool_id: poolId, storage_id: null, node_paths: '[]' } as unknown as TaskEndpointRow);

async function refusal(p: Promise<void>): Promise<{ status: number; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof DataManagementError, String(err));
    return { status: err.status, message: err.message };
  }
}

describe('tape action run checks', () => {
  it('reads options.barcodes: absent, empty, not a list, duplicates', () => {
    assert.equal(optionBarcodes({}), undefined);
    assert.equal(optionBarcodes({ barcodes: [] }), undefined);
    assert.equal(optionBarcodes({ barcodes: 'BRG001L8' }), null);
    assert.equal(optionBarcodes({ barcodes: ['BRG001L8', 3] }), null);
    assert.deepEqual(optionBarcodes({ barcodes: ['A', 'A', 'B'] }), ['A', 'B']);
  });

  it('accepts known barcodes, and get_index over a tape pool without barcodes', async () => {
    assert.equal(await refusal(checkTapeAction(lookup(), task, 'format', { barcodes: ['BRG001L8'] }, [])), undefined);
    assert.equal(await refusal(checkTapeAction(lookup(), task, 'get_index', {}, [tape('source')])), undefined);
  });

  it('refuses with 422 naming why, and 403 for a non-admin owner', async () => {
    const cases: Array<[string, Record<string, unknown>, TaskEndpointRow[], number, RegExp]> = [
      ['format', {}, [], 422, /options\.barcodes is missing/],
      ['ejection', { barcodes: 'x' }, [], 422, /must be a list/],
      ['format', { barcodes: ['BRG001L8', 'ZZZ', 'YYY'] }, [], 422, /unknown barcodes ZZZ, YYY/],
      ['ejection', { barcodes: ['BRG001L8'] }, [tape('source')], 422, /takes no endpoint/],
      ['get_index', {}, [tape('destination')], 422, /takes no destination/],
      ['get_index', {}, [tape('source', null)], 422, /pool_id/],
    ];
    for (const [action, options, endpoints, status, why] of cases) {
      const r = await refusal(checkTapeAction(lookup(), task, action, options, endpoints));
      assert.equal(r?.status, status, `${action} ${JSON.stringify(options)}`);
      assert.match(r!.message, why);
    }
    assert.equal((await refusal(checkTapeAction(lookup(false), task, 'format', { barcodes: ['BRG001L8'] }, [])))?.status, 403);
  });
});
