import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorageError } from './errors.js';
import {
  isTempFor,
  MAX_NAME_BYTES, assertNotTempPath, assertSegmentName, baseStorageName, childStoragePath, isHiddenName, isHiddenPath,
  TEMP_ID_CHARS, isTempName, joinStoragePath, makeTempName, newTempId, normalizeStoragePath, parentStoragePath, splitStoragePath,
} from './paths.js';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isStorageError(err) && err.code === code);
}

describe('normalizeStoragePath', () => {
  it('produces the canonical form', () => {
    const cases: [string, string][] = [
      ['', ''], ['/', ''], ['.', ''], ['//', ''], ['./', ''],
      ['a', 'a'], ['/a/b', 'a/b'], ['a/b/', 'a/b'], ['a//b', 'a/b'], ['./a/./b', 'a/b'],
      ['a/../b', 'b'], ['a/b/../../c', 'c'], ['a/b/..', 'a'], ['/a/../', ''],
      ['back\\slash', 'back\\slash'], ['...', '...'], ['..a', '..a'], ['a..', 'a..'], [' sp ', ' sp '],
      ['café/日本', 'café/日本'],
    ];
    for (const [input, expected] of cases) assert.equal(normalizeStoragePath(input), expected, JSON.stringify(input));
  });

  it('refuses climbing above the root', () => {
    for (const p of ['..', '../x', 'a/../../x', '/../x', '//..//x', 'a/b/../../../x', './..', '/..']) {
      throwsCode(() => normalizeStoragePath(p), 'path_escape');
    }
  });

  it('refuses NUL bytes and non-strings', () => {
    for (const p of ['\0', 'a\0b', 'a/\0']) throwsCode(() => normalizeStoragePath(p), 'invalid_path');
    throwsCode(() => normalizeStoragePath(42 as unknown as string), 'invalid_path');
  });

  it('does not normalize unicode (NFC and NFD stay distinct)', () => {
    const nfc = '\u00C5';
    const nfd = 'A\u030A';
    assert.notEqual(normalizeStoragePath(nfc), normalizeStoragePath(nfd));
  });
});

describe('path helpers', () => {
  it('join, child, split, parent and base', () => {
    assert.equal(joinStoragePath('a', 'b/c', '/d'), 'a/b/c/d');
    assert.equal(joinStoragePath('', '/'), '');
    throwsCode(() => joinStoragePath('a', '../../x'), 'path_escape');
    assert.equal(childStoragePath('', 'x'), 'x');
    assert.equal(childStoragePath('/a/b/', 'x'), 'a/b/x');
    for (const bad of ['', '.', '..', 'a/b', 'n\0ul']) throwsCode(() => childStoragePath('a', bad), 'invalid_path');
    assert.deepEqual(splitStoragePath('/a//b/'), ['a', 'b']);
    assert.deepEqual(splitStoragePath('/'), []);
    assert.equal(parentStoragePath('a/b/c'), 'a/b');
    assert.equal(parentStoragePath('a'), '');
    assert.equal(parentStoragePath('/'), null);
    assert.equal(baseStorageName('a/b/c'), 'c');
    assert.equal(baseStorageName(''), '');
    assert.doesNotThrow(() => assertSegmentName('ok name'));
  });

  it('hidden names and paths', () => {
    assert.equal(isHiddenName('.git'), true);
    assert.equal(isHiddenName('.'), false);
    assert.equal(isHiddenName('..'), false);
    assert.equal(isHiddenName('visible.txt'), false);
    assert.equal(isHiddenName('...'), true);
    assert.equal(isHiddenPath('src/.git/config'), true);
    assert.equal(isHiddenPath('src/git/config'), false);
    assert.equal(isHiddenPath(''), false);
  });
});

describe('temporary names', () => {
  it('are hidden, recognisable, unique and in the documented shape', () => {
    const a = makeTempName('file.txt');
    const b = makeTempName('file.txt');
    assert.notEqual(a, b);
    assert.match(a, /^\.file\.txt\.barge-[0-9a-z]{16}\.part$/);
    assert.equal(isTempName(a), true);
    assert.equal(isHiddenName(a), true);
    assert.equal(makeTempName('x', 'abcdefgh12345678'), '.x.barge-abcdefgh12345678.part');
    assert.match(newTempId(), /^[0-9a-v]{16}$/);
    assert.equal(newTempId().length, TEMP_ID_CHARS, 'the length batch temp names are cut at (posix-batch-paths.ts)');
  });

  it('ids stay unique across refills of the random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newTempId());
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[0-9a-z]{16}$/);
  });

  it('ids use all 80 random bits: every base-32 character at every position', () => {
    const seen = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 4000; i++) {
      const id = newTempId();
      assert.match(id, /^[0-9a-v]{16}$/);
      [...id].forEach((c, k) => seen[k]!.add(c));
    }
    for (const [k, s] of seen.entries()) assert.equal(s.size, 32, `position ${k}`);
  });

  it('names made by earlier versions (base-36 ids) are still recognised, so their leftovers are cleaned', () => {
    const old = '.a.txt.barge-zyxw0123456789ab.part';
    assert.equal(isTempName(old), true);
    assert.equal(isTempFor(old, 'a.txt'), true);
    assert.equal(isTempFor(old, 'b.txt'), false);
    throwsCode(() => assertNotTempPath(`dir/${old}`), 'invalid_path');
  });

  it('do not match ordinary names', () => {
    for (const name of ['file.part', '.file.part', 'x.barge-abcdefgh12345678.part', '.x.barge-short.part', '.x.barge-ABCDEFGH12345678.part']) {
      assert.equal(isTempName(name), false, name);
    }
  });

  it('stay within the name length limit for long names, cutting whole code points', () => {
    for (const long of ['x'.repeat(255), '日'.repeat(85), '🚀'.repeat(63)]) {
      const temp = makeTempName(long);
      assert.ok(Buffer.byteLength(temp) <= MAX_NAME_BYTES, `${Buffer.byteLength(temp)} bytes`);
      assert.equal(isTempName(temp), true);
      assert.ok(!temp.includes('\uFFFD'));
      assert.equal(Buffer.from(temp).toString(), temp, 'valid UTF-8, no split character');
    }
  });

  it('tell which target they were made for, long names shortened included', () => {
    assert.equal(isTempFor(makeTempName('a.txt'), 'a.txt'), true);
    assert.equal(isTempFor(makeTempName('a.txt'), 'b.txt'), false);
    assert.equal(isTempFor(makeTempName('a.txt'), 'a.txt.more'), false, 'a longer name is another target');
    assert.equal(isTempFor('a.txt', 'a.txt'), false, 'not a temporary name');
    const long = 'é'.repeat(120);
    assert.equal(isTempFor(makeTempName(long), long), true);
    assert.equal(isTempFor(makeTempName(long), 'é'.repeat(10)), false);
  });

  it('are refused as object paths', () => {
    throwsCode(() => assertNotTempPath('dir/.x.barge-abcdefgh12345678.part'), 'invalid_path');
    assert.doesNotThrow(() => assertNotTempPath('dir/.x.part'));
  });
});
