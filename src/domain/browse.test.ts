import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedWindow, browseComparator, compareCodePoints, likeToRegExp, matchesFilters, type BrowseEntry } from './browse.js';
import { AGE_BUCKETS, SIZE_BUCKETS, bucketIndex, fileNameParts, nodeumPermission, normalizeExtension } from './catalog.js';
import { parseListQuery } from './list-query.js';
import { BROWSE_SPEC } from './browse.js';

function entry(name: string, type: 'file' | 'folder', size: number | null = null, mtime: string | null = null): BrowseEntry {
  return { name, path: `/${name}`, type, size, mtime, mode: null, uid: null, gid: null, link_target: null, storage_class: null };
}

describe('browse order and window', () => {
  it('orders text by code point (uppercase before lowercase, astral characters after the BMP)', () => {
    const names = ['b', 'a', 'B', 'é', '😀', '\uffff', 'A'];
    assert.deepEqual([...names].sort(compareCodePoints), ['A', 'B', 'a', 'b', 'é', '\uffff', '😀']);
  });

  it('puts folders first, then names, by default; sort_by terms replace the default', () => {
    const items = [entry('b.txt', 'file', 5), entry('z', 'folder'), entry('a.txt', 'file', 9), entry('c', 'folder')];
    assert.deepEqual([...items].sort(browseComparator([])).map((e) => e.name), ['c', 'z', 'a.txt', 'b.txt']);
    assert.deepEqual([...items].sort(browseComparator([{ attribute: 'size', direction: 'desc' }])).map((e) => e.name), ['a.txt', 'b.txt', 'c', 'z']);
    assert.deepEqual([...items].sort(browseComparator([{ attribute: 'name', direction: 'desc' }])).map((e) => e.name), ['z', 'c', 'b.txt', 'a.txt']);
  });

  it('keeps only the best N of any number of items, in any arrival order', () => {
    const cmp = (a: number, b: number) => a - b;
    for (const order of ['asc', 'desc', 'shuffled']) {
      const items = Array.from({ length: 10_000 }, (_, i) => i);
      if (order === 'desc') items.reverse();
      if (order === 'shuffled') items.sort(() => Math.random() - 0.5);
      const w = new BoundedWindow(25, cmp);
      for (const i of items) w.offer(i);
      assert.deepEqual(w.sorted(), Array.from({ length: 25 }, (_, i) => i), order);
    }
    const empty = new BoundedWindow(0, cmp);
    empty.offer(1);
    assert.deepEqual(empty.sorted(), []);
  });

  it('filters with the list operators, LIKE case-insensitive, dates as instants, null only through negations', () => {
    const q = (raw: Record<string, string>) => parseListQuery(raw, BROWSE_SPEC).filters;
    const f = entry('Report.PDF', 'file', 2048, '2024-05-01T10:00:00.000Z');
    const d = entry('docs', 'folder', null, '2020-01-01T00:00:00.000Z');
    assert.equal(matchesFilters(f, q({ name: '~%.pdf' })), true);
    assert.equal(matchesFilters(f, q({ name: '!~%.pdf' })), false);
    assert.equal(matchesFilters(f, q({ name: '~report._df' })), true);
    assert.equal(matchesFilters(f, q({ type: 'folder' })), false);
    assert.equal(matchesFilters(d, q({ type: '><folder|file' })), true);
    assert.equal(matchesFilters(f, q({ size: '>=2048' })), true);
    assert.equal(matchesFilters(d, q({ size: '>=0' })), false, 'a folder has no size');
    assert.equal(matchesFilters(d, q({ size: '!=5' })), true);
    assert.equal(matchesFilters(f, q({ mtime: '>2024-05-01T11:00:00+02:00' })), true, '10:00Z is after 09:00Z');
    assert.equal(matchesFilters(f, q({ mtime: '<2024-05-01' })), false);
    assert.equal(likeToRegExp('a.b%').test('a.bcd'), true);
    assert.equal(likeToRegExp('a.b%').test('axbcd'), false, 'regex characters are literal');
  });
});

describe('catalog names and buckets', () => {
  it('splits a recorded path into its name and a lower-case extension', () => {
    assert.deepEqual(fileNameParts('/a/b/Photo.JPG'), { name: 'Photo.JPG', extension: 'jpg' });
    assert.deepEqual(fileNameParts('/a/archive.tar.gz'), { name: 'archive.tar.gz', extension: 'gz' });
    assert.deepEqual(fileNameParts('/.bashrc'), { name: '.bashrc', extension: null });
    assert.deepEqual(fileNameParts('/README'), { name: 'README', extension: null });
    assert.deepEqual(fileNameParts('/x/ends.'), { name: 'ends.', extension: null });
    assert.deepEqual(fileNameParts('top.txt'), { name: 'top.txt', extension: 'txt' });
    assert.equal(fileNameParts(`/f.${'x'.repeat(33)}`).extension, null, 'a 33-character tail is not a type');
    assert.equal(normalizeExtension('.TXT'), 'txt');
  });

  it("writes permissions Nodeum's way (st_mode in octal digits)", () => {
    assert.equal(nodeumPermission(0o644), 100644);
    assert.equal(nodeumPermission(0o4755), 104755);
    assert.equal(nodeumPermission(null), null);
  });

  it('puts each value in exactly one bucket', () => {
    assert.equal(SIZE_BUCKETS[bucketIndex(SIZE_BUCKETS, 0)]?.key, 'less_100_kb');
    assert.equal(SIZE_BUCKETS[bucketIndex(SIZE_BUCKETS, 100_000)]?.key, 'less_1_mb');
    assert.equal(SIZE_BUCKETS[bucketIndex(SIZE_BUCKETS, 5e11)]?.key, 'more_100_gb');
    const day = 86_400_000;
    assert.equal(AGE_BUCKETS[bucketIndex(AGE_BUCKETS, 10 * day)]?.key, 'less_1_month');
    assert.equal(AGE_BUCKETS[bucketIndex(AGE_BUCKETS, 1000 * day)]?.key, 'more_2_years');
  });
});
