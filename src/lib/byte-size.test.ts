import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSizeError, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it('reads bytes, binary units in any case with or without (i)B, and none', () => {
    assert.equal(parseByteSize('4096'), 4096);
    assert.equal(parseByteSize('500G'), 500 * 1024 ** 3);
    assert.equal(parseByteSize('1.5TiB'), 1.5 * 1024 ** 4);
    assert.equal(parseByteSize(' 20 mb '), 20 * 1024 ** 2);
    assert.equal(parseByteSize('2k'), 2048);
    assert.equal(parseByteSize('None'), null);
  });
  it('refuses what is not a size, or too large to be exact, saying what is accepted', () => {
    for (const bad of ['', 'G', '-1', '1e9', '12 apples', '1.2.3K']) assert.throws(() => parseByteSize(bad), (e: unknown) => e instanceof ByteSizeError && /is not a size/.test(e.message), bad);
    assert.throws(() => parseByteSize('99999999P'), /too large/);
  });
});
