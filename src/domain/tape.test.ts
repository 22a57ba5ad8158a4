/** Barcodes of new cartridges: the lowest free numbers of a prefix, whatever the generation, and no more than 999. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LTO_CAPACITY_BYTES, mediaSuffix, nextBarcodes } from './tape.js';

describe('tape domain', () => {
  it('numbers barcodes on the lowest free numbers of a prefix', () => {
    assert.deepEqual(nextBarcodes('BRG', 'data_lto8', 3, []), ['BRG001L8', 'BRG002L8', 'BRG003L8']);
    assert.deepEqual(nextBarcodes('BRG', 'data_lto9', 2, ['BRG001L8', 'BRG003L6', 'VLT002L8']), ['BRG002L9', 'BRG004L9'], 'a volume serial is unique across generations');
    assert.deepEqual(nextBarcodes('BRG', 'data_lto8', 0, []), []);
  });

  it('has 999 numbers per prefix', () => {
    const taken = Array.from({ length: 998 }, (_, i) => `BRG${String(i + 1).padStart(3, '0')}L8`);
    assert.deepEqual(nextBarcodes('BRG', 'data_lto8', 1, taken), ['BRG999L8']);
    assert.equal(nextBarcodes('BRG', 'data_lto8', 2, taken), undefined);
  });

  it('knows each generation\'s suffix and native capacity', () => {
    assert.deepEqual(['data_lto6', 'data_lto7', 'data_lto8', 'data_lto9'].map((t) => mediaSuffix(t as 'data_lto6')), ['L6', 'L7', 'L8', 'L9']);
    assert.equal(LTO_CAPACITY_BYTES.data_lto9, 18e12);
  });
});
