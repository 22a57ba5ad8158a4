/**
 * SubdirCache without a server: what it may and may not claim ("known not a directory" only from a complete,
 * fresh listing; the instance's own notes always win; bounded memory; one listing per directory at a time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubdirCache } from './subdir-cache.js';

const T0 = 1_000_000;

describe('object-store subdirectory cache', () => {
  it('answers "not a directory" only from a complete listing, until the TTL after the listing started', () => {
    const c = new SubdirCache(10_000);
    assert.equal(c.isKnownNotDir('d', 'f', T0), false, 'unknown directory: no claim');
    assert.equal(c.isSettled('d', T0), false);
    c.recordListing('d', ['sub', 'other'], T0, T0 + 100);
    assert.equal(c.isSettled('d', T0 + 100), true);
    assert.equal(c.isKnownNotDir('d', 'f', T0 + 100), true);
    assert.equal(c.isKnownNotDir('d', 'sub', T0 + 100), false, 'a listed subdirectory is never "not a directory"');
    assert.equal(c.isKnownNotDir('e', 'f', T0 + 100), false, 'other directories stay unknown');
    assert.equal(c.isKnownNotDir('d', 'f', T0 + 9_999), true);
    assert.equal(c.isKnownNotDir('d', 'f', T0 + 10_000), false, 'expired: the TTL counts from the start of the listing');
    assert.equal(c.isSettled('d', T0 + 10_000), false);
  });

  it('never records a listing that is already older than the TTL', () => {
    const c = new SubdirCache(1_000);
    c.recordListing('d', [], T0, T0 + 1_000);
    assert.equal(c.isKnownNotDir('d', 'f', T0 + 1_000), false);
  });

  it('keeps what the instance noted, also when a listing started before the note is recorded after it', () => {
    const c = new SubdirCache(10_000);
    c.noteAncestors(['d', 'new', 'f'], false, T0 + 10);
    assert.equal(c.isKnownNotDir('d', 'x', T0 + 10), false, 'a note alone is not a listing');
    c.recordListing('d', ['old'], T0, T0 + 20);
    assert.equal(c.isKnownNotDir('d', 'new', T0 + 20), false, 'noted while the listing was in flight');
    assert.equal(c.isKnownNotDir('d', 'old', T0 + 20), false);
    assert.equal(c.isKnownNotDir('d', 'x', T0 + 20), true);
    assert.equal(c.isKnownNotDir('', 'd', T0 + 20), false, 'ancestors are noted too');
    c.recordListing('', [], T0 + 30, T0 + 30);
    assert.equal(c.isKnownNotDir('', 'd', T0 + 30), false);
    c.noteSubdir('d', 'later', T0 + 40);
    assert.equal(c.isKnownNotDir('d', 'later', T0 + 40), false, 'a note after the listing joins it');
  });

  it('notes the path itself for a directory (mkdir), only its parents for a file', () => {
    const c = new SubdirCache(10_000);
    c.recordListing('a', [], T0, T0);
    c.recordListing('a/b', [], T0, T0);
    c.noteAncestors(['a', 'b', 'file'], false, T0);
    assert.equal(c.isKnownNotDir('a/b', 'file', T0), true);
    c.noteAncestors(['a', 'b', 'dir'], true, T0);
    assert.equal(c.isKnownNotDir('a/b', 'dir', T0), false);
    assert.equal(c.isKnownNotDir('a', 'b', T0), false);
  });

  it('treats a listing too large to record as settled but unknown', () => {
    const c = new SubdirCache(10_000, 10, 3);
    c.recordListing('big', 'too_large', T0, T0);
    assert.equal(c.isSettled('big', T0), true, 'not listed again before the TTL');
    assert.equal(c.isKnownNotDir('big', 'f', T0), false);
    c.recordListing('many', ['a', 'b', 'c', 'd'], T0, T0);
    assert.equal(c.isSettled('many', T0), true);
    assert.equal(c.isKnownNotDir('many', 'f', T0), false, 'more names than maxNames: not recorded');
  });

  it('forgets everything when more than maxDirs directories are known', () => {
    const c = new SubdirCache(10_000, 3);
    for (const d of ['a', 'b', 'c']) c.recordListing(d, [], T0, T0);
    assert.equal(c.isKnownNotDir('a', 'f', T0), true);
    c.recordListing('d', [], T0, T0);
    assert.equal(c.isKnownNotDir('a', 'f', T0), false);
    assert.equal(c.isKnownNotDir('d', 'f', T0), true);
  });

  it('runs one listing per directory at a time and shares its outcome', async () => {
    const c = new SubdirCache(10_000);
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const list = async (): Promise<void> => {
      calls += 1;
      await gate;
      c.recordListing('d', [], Date.now());
    };
    const waiters = [c.once('d', list), c.once('d', list), c.once('d', list)];
    release();
    await Promise.all(waiters);
    assert.equal(calls, 1);
    assert.equal(c.isKnownNotDir('d', 'f'), true);
    await c.once('d', async () => { calls += 1; throw new Error('listing failed'); }).then(() => assert.fail('must reject'), () => {});
    assert.equal(calls, 2, 'a finished listing does not block the next one');
  });
});
