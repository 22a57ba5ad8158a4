import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEMP_ID_CHARS, makeTempName, newTempId, normalizeStoragePath } from '../paths.js';
import { LiveTempNames, base32, batchPath } from './posix-batch-paths.js';

describe('batchPath', () => {
  it('gives what the general rules give, for normal and other paths', () => {
    for (const p of ['/a/b.txt', 'a/b', '/x', 'd00012/f000080.bin', '/a//b', '/a/./b', '/a/b/../c', 'a/', '/ü/名前']) {
      assert.equal(batchPath(p), normalizeStoragePath(p), p);
    }
  });

  it('refuses escapes, NUL bytes and the names of temporary files', () => {
    for (const p of ['../x', '/a/../../x', 'a\0b']) assert.throws(() => batchPath(p), p);
    assert.throws(() => batchPath(`/d/${makeTempName('f.bin')}`), (err: { code?: string }) => err.code === 'invalid_path');
    // Shaped like one, but not a temporary name: allowed.
    assert.equal(batchPath('/d/.notes.part'), 'd/.notes.part');
  });
});

describe('LiveTempNames', () => {
  it('knows single names and every name of a live batch, and forgets them once removed', () => {
    const live = new LiveTempNames();
    const single = makeTempName('one.bin');
    const batch = newTempId() + newTempId();
    const other = newTempId() + newTempId();
    live.add(single);
    live.addBatch(batch.slice(0, TEMP_ID_CHARS));
    const inBatch = [0, 1, 31, 32, 1023, 5000].map((k) => makeTempName(`f${k}.bin`, batch.slice(0, TEMP_ID_CHARS) + base32(k)));
    for (const n of [single, ...inBatch]) assert.ok(live.has(n), n);
    assert.ok(!live.has(makeTempName('f0.bin', other.slice(0, TEMP_ID_CHARS) + base32(0))), 'another batch');
    assert.ok(!live.has(makeTempName('f0.bin', batch.slice(0, TEMP_ID_CHARS))), 'the batch id alone is no file of it');
    live.delete(single);
    live.deleteBatch(batch.slice(0, TEMP_ID_CHARS));
    for (const n of [single, ...inBatch]) assert.ok(!live.has(n), n);
  });
});
