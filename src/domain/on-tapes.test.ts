import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onTapesChildren, onTapesFolders, onTapesId } from './on-tapes.js';

const FILES = [
  { path: 'a/x.bin', size: 10, barcodes: ['P1'], secondary: ['C1'] },
  { path: 'a/b/y.bin', size: 5, barcodes: ['P2'], secondary: [] },
  { path: 'top.txt', size: 1, barcodes: ['P1'], secondary: ['C1', 'C2'] },
];

describe('on_tapes_files tree', () => {
  it('lists a folder\'s entries: sub-folders summed, files with their cartridges, primaries before copies', () => {
    const root = onTapesChildren(FILES, '');
    assert.deepEqual(root.map((e) => [e.name, e.type, e.size, e.barcodes, e.secondary_barcodes, e.path]).sort(), [
      ['a', 'folder', 15, ['P1', 'P2', 'C1'], ['C1'], '/a'],
      ['top.txt', 'file', 1, ['P1', 'C1', 'C2'], ['C1', 'C2'], '/top.txt'],
    ]);
    assert.deepEqual(onTapesChildren(FILES, 'a').map((e) => e.name).sort(), ['b', 'x.bin']);
    assert.deepEqual(onTapesChildren(FILES, 'a/b').map((e) => e.path), ['/a/b/y.bin']);
  });

  it('gives stable, JSON-safe ids that find folders again', () => {
    assert.equal(onTapesId('a/b'), onTapesId('a/b'));
    assert.notEqual(onTapesId('a/b'), onTapesId('a/c'));
    assert.ok(Number.isSafeInteger(onTapesId('some/long/path/name')));
    assert.deepEqual(onTapesFolders(FILES).sort(), ['a', 'a/b']);
    assert.equal(onTapesChildren(FILES, '').find((e) => e.name === 'a')!.id, onTapesId('a'));
  });
});
