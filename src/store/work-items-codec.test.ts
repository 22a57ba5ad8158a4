import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkItem } from '../engine/queue/work-item.js';
import { decodeItems, encodeItems } from './work-items-codec.js';

/** Items of every shape the planner makes: each optional field present and absent. */
const items: WorkItem[] = [
  { key: '0:/:a/b.bin', op: 'copy', src: { ep: 0, path: '/a/b.bin' }, dst: { ep: 0, path: '/a/b.bin' }, size: 4096, mtimeMs: 1765100000123.456, atimeMs: 1765100000124.5, mode: 0o644, uid: 0, gid: 0 },
  { key: '0:/:a/b.bin>1', op: 'copy', src: { ep: 0, path: '/a/b.bin' }, dst: { ep: 1, path: '/kept/a/b (1).bin' }, size: 0, mtimeMs: -1.5, unlessSame: 'deadbeef' },
  { key: '1:/x:c', op: 'mkdir', src: { ep: 1, path: '/x/c' }, dst: { ep: 0, path: '/c' }, size: 0, mtimeMs: 0, mode: 0o755, uid: 4294967295, gid: 12 },
  { key: '0:/:gone', op: 'erase', src: { ep: 0, path: '/gone' }, size: 7, mtimeMs: 2 },
  { key: '0:/:s', op: 'skip', src: { ep: 0, path: '/s' }, dst: { ep: 0, path: '/s' }, size: 1, mtimeMs: 1, note: 'same file', stored: { storageId: 'st-1', path: '/snap/s' } },
  { key: '0:/:f', op: 'fail', src: { ep: 0, path: '/f' }, size: 0, mtimeMs: 0, error: { code: 'permission_denied', message: 'nope "quoted" ünïcode' } },
  { key: 'ü/é\u2028', op: 'verify', src: { ep: 2, path: '/ü/é\u2028' }, dst: { ep: 0, path: '/ü/é\u2028' }, size: 2 ** 53 - 1, mtimeMs: 1e15, atimeMs: 0, uid: 0 },
];

describe('work items codec', () => {
  it('reads back every item as it was given, absent fields absent', () => {
    const back = decodeItems(encodeItems(items));
    assert.deepEqual(back, items);
    for (let i = 0; i < items.length; i++) assert.deepEqual(Object.keys(back[i]!).sort(), Object.keys(items[i]!).sort(), `keys of item ${i}`);
  });

  it('is about half the object form for copies between two roots', () => {
    const copies = Array.from({ length: 256 }, (_, n): WorkItem => {
      const path = `/dir-0001/file-${String(n).padStart(5, '0')}.bin`;
      return { key: `0:/:${path.slice(1)}`, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size: 4096, mtimeMs: 1765100000123.456, atimeMs: 1765100000124.789, mode: 0o644, uid: 0, gid: 0 };
    });
    const compact = encodeItems(copies).length;
    assert.ok(compact < 0.55 * JSON.stringify(copies).length, `${compact} characters`);
    assert.deepEqual(decodeItems(encodeItems(copies)), copies);
  });

  it('reads the object form rows written before it, and empty batches', () => {
    assert.deepEqual(decodeItems(JSON.stringify(items)), items);
    assert.deepEqual(decodeItems('[]'), []);
    assert.equal(encodeItems([]), '[]');
  });
});
