/**
 * Conformance cases for bytes and metadata: range reads, a large round trip, metadata, optional
 * capabilities (each checked only when declared, and checked to be absent or refused when not),
 * temp-file cleanup and close.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { it } from 'node:test';
import type { DriverFeatures, StorageDriver } from '../driver.js';
import type { ConformanceContext } from './helpers.js';
import { expectedDigest, readBytes, rejectsWithCode, sha256, writeBytes } from './helpers.js';

/** Each optional method and the feature that promises it. */
const OPTIONAL_METHODS: readonly [keyof StorageDriver, (f: DriverFeatures) => boolean][] = [
  ['copy', (f) => f.serverSideCopy],
  ['rename', (f) => f.rename],
  ['checksum', (f) => f.nativeChecksums.length > 0],
  ['restore', (f) => f.restoreFromCold],
  ['readlink', (f) => f.symlinks],
  ['symlink', (f) => f.symlinks],
];

function near(actual: number | undefined, expected: number, precisionMs: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < Math.max(precisionMs, 1), `${what}: ${String(actual)} vs ${expected}`);
}

/** Register the data and capability cases. */
export function dataCases(ctx: ConformanceContext): void {
  it('features: every optional method exists exactly when its feature is declared', () => ctx.use(async (d) => {
    for (const [method, declared] of OPTIONAL_METHODS) {
      assert.equal(typeof d[method] === 'function', declared(d.features), `${String(method)} vs its feature`);
    }
    assert.equal(typeof d.kind, 'string');
  }));

  it('range reads: inclusive start/end, clamping, empty and invalid ranges', (t) => ctx.use(async (d) => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeBytes(d, 'r.bin', data);
    if (!d.features.rangeRead) {
      await rejectsWithCode(() => d.openRead('r.bin', { start: 10, end: 19 }), 'unsupported', 'range without rangeRead');
      t.skip('driver does not declare rangeRead');
      return;
    }
    const cases: [number | undefined, number | undefined, Buffer][] = [
      [0, 0, data.subarray(0, 1)],
      [10, 19, data.subarray(10, 20)],
      [995, undefined, data.subarray(995)],
      [undefined, 4, data.subarray(0, 5)],
      [999, 999, data.subarray(999)],
      [900, 5000, data.subarray(900)],
      [1000, undefined, Buffer.alloc(0)],
      [5000, 6000, Buffer.alloc(0)],
    ];
    for (const [start, end, expected] of cases) {
      const got = await readBytes(d, 'r.bin', { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) });
      assert.ok(got.equals(expected), `range ${String(start)}..${String(end)}: ${got.length} bytes`);
    }
    await rejectsWithCode(() => d.openRead('r.bin', { start: 5, end: 4 }), 'invalid_argument', 'end before start');
    await rejectsWithCode(() => d.openRead('r.bin', { start: -1 }), 'invalid_argument', 'negative start');
    await rejectsWithCode(() => d.openRead('r.bin', { start: 1.5 }), 'invalid_argument', 'fractional start');
  }));

  it('reads: missing objects, directories and aborted signals are refused', () => ctx.use(async (d) => {
    await rejectsWithCode(() => d.openRead('missing'), 'not_found', 'read missing');
    await rejectsWithCode(() => d.openRead('missing/deeper'), 'not_found', 'read under missing');
    await writeBytes(d, 'dir/f', 'x');
    if (d.features.directories) await rejectsWithCode(() => d.openRead('dir'), 'is_a_directory', 'read a directory');
    await rejectsWithCode(() => d.openRead('dir/f', { signal: AbortSignal.abort() }), 'aborted', 'read with aborted signal');
  }));

  it('round trip: a 20 MiB object written through pipeline reads back identical', () => ctx.use(async (d) => {
    const data = randomBytes(20 << 20);
    const chunk = (1 << 20) - 7; // odd size: exercises coalescing and the tail
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += chunk) chunks.push(data.subarray(at, at + chunk));
    const w = await d.openWrite('big/blob.bin', { size: data.length });
    await pipeline(Readable.from(chunks), w.stream);
    assert.equal((await w.commit()).size, data.length);
    assert.equal((await d.stat('big/blob.bin'))?.size, data.length);
    assert.equal(sha256(await readBytes(d, 'big/blob.bin')), sha256(data));
    if (d.features.rangeRead) {
      const tail = await readBytes(d, 'big/blob.bin', { start: data.length - (3 << 20) - 1 });
      assert.equal(sha256(tail), sha256(data.subarray(data.length - (3 << 20) - 1)));
    }
  }));

  it('metadata: mtime/atime via openWrite and setMeta, mode, ownership', (t) => ctx.use(async (d) => {
    const f = d.features;
    if (f.mtimePrecisionMs === null) {
      t.skip('driver declares mtimePrecisionMs: null (cannot set mtimes)');
      return;
    }
    const m1 = Date.UTC(2020, 0, 2, 3, 4, 5, 678);
    await writeBytes(d, 'meta/f', 'x', { mtimeMs: m1, ...(f.permissions ? { mode: 0o640 } : {}) });
    const st1 = await d.stat('meta/f');
    near(st1?.mtimeMs, m1, f.mtimePrecisionMs, 'mtime from openWrite');
    if (f.permissions) assert.equal(st1?.mode, 0o640);
    const m2 = Date.UTC(2019, 5, 6, 7, 8, 9, 123);
    const a2 = Date.UTC(2021, 1, 2, 3, 4, 5, 456);
    await d.setMeta('meta/f', { mtimeMs: m2, atimeMs: a2, ...(f.permissions ? { mode: 0o600 } : {}) });
    const st2 = await d.stat('meta/f');
    near(st2?.mtimeMs, m2, f.mtimePrecisionMs, 'mtime from setMeta');
    if (st2?.atimeMs !== undefined) near(st2.atimeMs, a2, f.mtimePrecisionMs, 'atime from setMeta');
    if (f.permissions) assert.equal(st2?.mode, 0o600);
    if (f.directories) {
      await d.setMeta('meta', { mtimeMs: m1 });
      near((await d.stat('meta'))?.mtimeMs, m1, f.mtimePrecisionMs, 'directory mtime');
    }
    await rejectsWithCode(() => d.setMeta('meta/missing', { mtimeMs: m1 }), 'not_found', 'setMeta missing');
    if (f.setOwnership) {
      await d.setMeta('meta/f', { uid: 4242, gid: 4343 });
      const st3 = await d.stat('meta/f');
      assert.equal(st3?.uid, 4242);
      assert.equal(st3?.gid, 4343);
      await writeBytes(d, 'meta/owned', 'x', { uid: 4244, gid: 4345 });
      assert.equal((await d.stat('meta/owned'))?.uid, 4244);
    } else {
      await rejectsWithCode(() => d.setMeta('meta/f', { uid: 4242 }), 'unsupported', 'setMeta uid without setOwnership');
      await rejectsWithCode(() => d.openWrite('meta/g', { gid: 4242 }), 'unsupported', 'openWrite gid without setOwnership');
    }
    await rejectsWithCode(() => d.setMeta('meta/f', { mode: 0o10000 }), 'invalid_argument', 'mode out of range');
    await rejectsWithCode(() => d.setMeta('meta/f', { mtimeMs: Number.NaN }), 'invalid_argument', 'NaN mtime');
  }));

  it('capability options: user metadata, storage classes and object lock are honoured or refused', () => ctx.use(async (d) => {
    const f = d.features;
    if (f.userMetadata) {
      await writeBytes(d, 'um', 'x', { metadata: { owner: 'alice', 'x-note': 'ünïcode' } });
      assert.deepEqual((await d.stat('um'))?.metadata, { owner: 'alice', 'x-note': 'ünïcode' });
    } else {
      await rejectsWithCode(() => d.openWrite('um', { metadata: { a: 'b' } }), 'unsupported', 'metadata');
    }
    const lastClass = f.storageClasses.at(-1);
    if (lastClass !== undefined) {
      await writeBytes(d, 'sc', 'x', { storageClass: lastClass });
      assert.equal((await d.stat('sc'))?.storageClass, lastClass);
    }
    await rejectsWithCode(() => d.openWrite('sc2', { storageClass: 'NO-SUCH-CLASS' }), 'unsupported', 'unknown storage class');
    if (!f.objectLock) {
      await rejectsWithCode(() => d.openWrite('lk', { retainUntilMs: Date.now() + 60_000 }), 'unsupported', 'retention');
      await rejectsWithCode(() => d.openWrite('lk', { legalHold: true }), 'unsupported', 'legal hold');
    }
    assert.equal(await d.stat('lk'), null);
  }));

  it('serverSideCopy: copy duplicates bytes atomically and leaves the source alone', (t) => ctx.use(async (d) => {
    if (!d.features.serverSideCopy || d.copy === undefined) {
      t.skip('driver does not declare serverSideCopy');
      return;
    }
    const data = randomBytes(3 << 20);
    await writeBytes(d, 'src/a.bin', data);
    const mtime = Date.UTC(2018, 3, 4, 5, 6, 7, 0);
    assert.equal((await d.copy('src/a.bin', 'dst/sub/b.bin', { mtimeMs: mtime })).size, data.length);
    assert.equal(sha256(await readBytes(d, 'dst/sub/b.bin')), sha256(data));
    assert.equal(sha256(await readBytes(d, 'src/a.bin')), sha256(data));
    if (d.features.mtimePrecisionMs !== null) near((await d.stat('dst/sub/b.bin'))?.mtimeMs, mtime, d.features.mtimePrecisionMs, 'copy mtime');
    await writeBytes(d, 'small', 'small');
    await d.copy('small', 'dst/sub/b.bin');
    assert.equal((await readBytes(d, 'dst/sub/b.bin')).toString(), 'small', 'copy over an existing object replaces it');
    await rejectsWithCode(() => d.copy!('missing', 'dst/x'), 'not_found', 'copy missing');
    await rejectsWithCode(() => d.copy!('small', '../x'), 'path_escape', 'copy escape');
    assert.deepEqual((await d.cleanupTemp('', { dryRun: true })).paths, []);
  }));

  it('rename: moves atomically and replaces an existing file', (t) => ctx.use(async (d) => {
    if (!d.features.rename || d.rename === undefined) {
      t.skip('driver does not declare rename');
      return;
    }
    await writeBytes(d, 'a', 'first');
    await writeBytes(d, 'b', 'second');
    await d.rename('a', 'moved/a2');
    assert.equal(await d.stat('a'), null);
    assert.equal((await readBytes(d, 'moved/a2')).toString(), 'first');
    await d.rename('b', 'moved/a2');
    assert.equal((await readBytes(d, 'moved/a2')).toString(), 'second');
    assert.equal(await d.stat('b'), null);
    await rejectsWithCode(() => d.rename!('nope', 'x'), 'not_found', 'rename missing');
    await rejectsWithCode(() => d.rename!('moved/a2', '../x'), 'path_escape', 'rename escape');
  }));

  it('nativeChecksums: every declared algorithm matches a local digest', (t) => ctx.use(async (d) => {
    if (d.features.nativeChecksums.length === 0 || d.checksum === undefined) {
      t.skip('driver declares no nativeChecksums');
      return;
    }
    const data = randomBytes(1 << 20);
    await writeBytes(d, 'sum.bin', data);
    for (const algo of d.features.nativeChecksums) {
      assert.equal(await d.checksum('sum.bin', algo), await expectedDigest(algo, data), algo);
    }
    await rejectsWithCode(() => d.checksum!('missing', d.features.nativeChecksums[0]!), 'not_found', 'checksum missing');
  }));

  it('cleanupTemp: finds nothing in a clean tree and never touches live writers', () => ctx.use(async (d) => {
    await writeBytes(d, 'c/d/file', 'x');
    assert.deepEqual(await d.cleanupTemp(), { paths: [], bytes: 0 });
    const live = await d.openWrite('c/d/live');
    live.stream.write('in flight');
    const result = await d.cleanupTemp('c', { minAgeMs: 0 });
    assert.deepEqual(result.paths, []);
    live.stream.end();
    await live.commit();
    assert.equal((await readBytes(d, 'c/d/live')).toString(), 'in flight');
    await rejectsWithCode(() => d.cleanupTemp('missing'), 'not_found', 'cleanupTemp of a missing directory');
  }));

  it('close: aborts live writers, refuses further calls, is idempotent', () => ctx.use(async (d) => {
    const w = await d.openWrite('w');
    w.stream.write('pending');
    await d.close();
    await assert.rejects(w.commit());
    await rejectsWithCode(() => d.stat('w'), 'closed', 'stat after close');
    await rejectsWithCode(() => d.openWrite('x'), 'closed', 'openWrite after close');
    await d.close();
  }));
}
