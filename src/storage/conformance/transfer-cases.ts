/**
 * Conformance of the optional `transferTo` fast path (driver.ts): between two storages of the same
 * driver, it must behave exactly like the streamed copy it replaces. Skipped when the driver has no
 * `transferTo`, or when it answers `null` (no fast way) for a destination of its own kind.
 */
import { it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageDriver, TransferToOptions, TransferToResult } from '../driver.js';
import { CHECKSUM_ALGORITHMS } from '../../lib/hashing.js';
import { collect, expectedDigest, listNames, readBytes, rejectsWithCode, writeBytes, type ConformanceContext } from './helpers.js';

/** Calls transferTo, or skips the test (returning null) when the driver has no fast path to `b`. */
async function fast(t: TestContext, a: StorageDriver, b: StorageDriver, from: string, to: string, options?: TransferToOptions): Promise<TransferToResult | null> {
  if (a.transferTo === undefined) {
    t.skip('driver has no transferTo');
    return null;
  }
  const r = await a.transferTo(from, b, to, options);
  if (r === null) t.skip('transferTo has no fast path between two storages of this driver');
  return r;
}

/** Every name below `dir`, recursively, including hidden temporary files if a driver listed them. */
async function tree(d: StorageDriver, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await collect(d.list(dir))) {
    const p = dir === '' ? e.name : `${dir}/${e.name}`;
    out.push(p);
    if (e.kind === 'dir') out.push(...(await tree(d, p)));
  }
  return out.sort();
}

export function transferCases(ctx: ConformanceContext): void {
  it('transferTo: copies bytes with each in-flight checksum, creates parents, reports progress', (t) => ctx.usePair(async (a, b) => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    await writeBytes(a, 'src/data.bin', data);
    for (const algorithm of [null, ...CHECKSUM_ALGORITHMS]) {
      let progressed = 0;
      const target = `out/${algorithm ?? 'none'}/copy.bin`;
      const r = await fast(t, a, b, 'src/data.bin', target, { checksum: algorithm, size: data.length, onBytes: (n) => (progressed += n) });
      if (r === null) return;
      assert.equal(r.size, data.length);
      assert.equal(r.checksum, algorithm === null ? null : await expectedDigest(algorithm, data), `digest of ${algorithm}`);
      assert.equal(progressed, data.length, 'onBytes adds up to the size');
      assert.ok((await readBytes(b, target)).equals(data), `bytes with ${algorithm}`);
    }
    assert.deepEqual(await listNames(a, 'src'), ['data.bin'], 'the source is left alone');
  }));

  it('transferTo: applies metadata and replaces an existing target atomically', (t) => ctx.usePair(async (a, b) => {
    await writeBytes(a, 'f.txt', 'new contents');
    await writeBytes(b, 'f.txt', 'old');
    const mtimeMs = Date.UTC(2020, 0, 2, 3, 4, 5);
    const r = await fast(t, a, b, 'f.txt', 'f.txt', { mtimeMs, ...(b.features.permissions ? { mode: 0o640 } : {}) });
    if (r === null) return;
    assert.equal((await readBytes(b, 'f.txt')).toString(), 'new contents');
    const st = await b.stat('f.txt');
    if (b.features.mtimePrecisionMs !== null) assert.ok(Math.abs((st?.mtimeMs ?? 0) - mtimeMs) <= b.features.mtimePrecisionMs, 'mtime applied');
    if (b.features.permissions) assert.equal(st?.mode, 0o640, 'mode applied');
    assert.deepEqual(await tree(b), ['f.txt'], 'no temporary file left');
  }));

  it('transferTo: refuses what streaming refuses, leaving nothing behind', (t) => ctx.usePair(async (a, b) => {
    await writeBytes(a, 'f.bin', Buffer.alloc(1000, 1));
    await writeBytes(b, 'dir/keep', 'x');
    if ((await fast(t, a, b, 'f.bin', 'probe')) === null) return;
    await b.remove('probe');
    await rejectsWithCode(() => a.transferTo!('missing', b, 'x'), 'not_found', 'missing source');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'dir'), 'is_a_directory', 'directory target');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, ''), 'is_a_directory', 'root target');
    await rejectsWithCode(() => a.transferTo!('../f.bin', b, 'x'), 'path_escape', 'source escape');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, '../x'), 'path_escape', 'target escape');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'sized', { size: 999 }), 'size_mismatch', 'size differs');
    const aborted = new AbortController();
    aborted.abort();
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'aborted', { signal: aborted.signal }), 'aborted', 'aborted before start');
    assert.deepEqual(await tree(b), ['dir', 'dir/keep'], 'nothing visible, no temporary file');
  }));

  it('transferTo: noReplace never replaces a file at the target, unless it holds the same bytes', (t) => ctx.usePair(async (a, b) => {
    if (!b.features.noReplace) {
      t.skip('destination driver does not declare noReplace');
      return;
    }
    await writeBytes(a, 'f.bin', 'source bytes');
    if ((await fast(t, a, b, 'f.bin', 'probe')) === null) return;
    await writeBytes(b, 'taken', 'other bytes');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'taken', { noReplace: true }), 'exists', 'a different file is there');
    assert.equal((await readBytes(b, 'taken')).toString(), 'other bytes');
    await writeBytes(b, 'same', 'source bytes');
    assert.equal((await a.transferTo!('f.bin', b, 'same', { noReplace: true }))?.size, 12, 'the same bytes: done');
    assert.equal((await a.transferTo!('f.bin', b, 'free', { noReplace: true, checksum: 'xxhash64' }))?.size, 12);
    assert.deepEqual(await tree(b), ['free', 'probe', 'same', 'taken']);
    assert.deepEqual((await b.cleanupTemp('', { dryRun: true })).paths, [], 'no temporary file left');
  }));

  it('transferTo: symlinks never lead out of either root', (t) => ctx.usePair(async (a, b) => {
    if (!a.features.symlinks || !a.symlink || !b.symlink) {
      t.skip('driver does not declare symlinks');
      return;
    }
    await writeBytes(a, 'f.bin', 'data');
    if ((await fast(t, a, b, 'f.bin', 'probe')) === null) return;
    await a.symlink('out', '/');
    await b.symlink('esc', '/');
    await rejectsWithCode(() => a.transferTo!('out/etc/hostname', b, 'x'), 'path_escape', 'source through a symlink out of the root');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'esc/tmp/barge-transfer-escape'), 'path_escape', 'target through a symlink out of the root');
    await rejectsWithCode(() => a.transferTo!('f.bin', b, 'esc/new-dir/x'), 'path_escape', 'creating parents through a symlink out of the root');
  }));
}
