/** BARGE_TAPE_ROOTS: where virtual tape libraries may be created (default `<data dir>/tape`). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadConfig } from './config.js';

describe('config: tape roots', () => {
  it('defaults to the data dir\'s tape folder; takes absolute paths separated by :', () => {
    assert.deepEqual(loadConfig({ BARGE_DATA_DIR: '/srv/barge' }).tapeRoots, ['/srv/barge/tape']);
    assert.deepEqual(loadConfig({ BARGE_TAPE_ROOTS: '/a/tapes:/b/vtl/' }).tapeRoots, ['/a/tapes', resolve('/b/vtl')]);
    assert.throws(() => loadConfig({ BARGE_TAPE_ROOTS: '/ok:relative' }), /BARGE_TAPE_ROOTS must list absolute paths/);
  });
});
