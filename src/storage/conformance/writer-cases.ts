/**
 * Conformance cases for the atomic writer (data-safety rule 1): nothing visible before commit, abort and
 * cancellation leave nothing, overwrite is atomic.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { it } from 'node:test';
import type { StorageDriver } from '../driver.js';
import { isStorageError, toStorageError } from '../errors.js';
import type { ConformanceContext } from './helpers.js';
import { listNames, readBytes, rejectsWithCode, writeBytes } from './helpers.js';

/** No object and no temporary file may be visible in `dir` (a temp would show as a stale temp). */
async function assertNothingIn(driver: StorageDriver, dir: string, path: string): Promise<void> {
  assert.equal(await driver.stat(path), null, `${path} must not exist`);
  assert.deepEqual(await listNames(driver, dir), [], `${dir} must be empty`);
  const leftovers = await driver.cleanupTemp(dir, { dryRun: true });
  assert.deepEqual(leftovers.paths, [], 'no temporary file may be left behind');
}

/** Register the writer cases. */
export function writerCases(ctx: ConformanceContext): void {
  it('writer: nothing is visible before commit, commit publishes', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const w = await d.openWrite('d/f.txt');
    w.stream.write('hello ');
    w.stream.end('world');
    assert.equal(await d.stat('d/f.txt'), null);
    assert.deepEqual(await listNames(d, 'd'), []);
    await rejectsWithCode(() => d.openRead('d/f.txt'), 'not_found', 'read before commit');
    const result = await w.commit();
    assert.equal(result.size, 11);
    assert.equal(w.bytesWritten, 11);
    const st = await d.stat('d/f.txt');
    assert.equal(st?.kind, 'file');
    assert.equal(st?.size, 11);
    assert.equal(st?.name, 'f.txt');
    assert.equal((await readBytes(d, 'd/f.txt')).toString(), 'hello world');
    assert.deepEqual(await listNames(d, 'd'), ['f.txt']);
  }));

  it('writer: abort leaves no object and no temp file, and is idempotent', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const w = await d.openWrite('d/f.bin');
    w.stream.write(Buffer.alloc(100_000, 1));
    await w.abort();
    await assertNothingIn(d, 'd', 'd/f.bin');
    await w.abort();
    await rejectsWithCode(() => w.commit(), 'aborted', 'commit after abort');
    const untouched = await d.openWrite('d/g.bin');
    await untouched.abort();
    await assertNothingIn(d, 'd', 'd/g.bin');
  }));

  it('writer: commit verify sees exactly the stored bytes before they are published', () => ctx.use(async (d) => {
    const data = Buffer.from('verified bytes '.repeat(10_000));
    const w = await d.openWrite('v/ok.bin');
    w.stream.end(data);
    let seen: Buffer | undefined;
    await w.commit({
      verify: async (stored) => {
        assert.equal(await d.stat('v/ok.bin'), null, 'not visible while verifying');
        const parts: Buffer[] = [];
        for await (const c of stored) parts.push(c as Buffer);
        seen = Buffer.concat(parts);
      },
    });
    assert.ok(seen?.equals(data), 'verify receives the stored bytes');
    assert.ok((await readBytes(d, 'v/ok.bin')).equals(data));
  }));

  it('writer: a rejecting verify aborts the commit and leaves nothing', () => ctx.use(async (d) => {
    await d.mkdir('v');
    const w = await d.openWrite('v/bad.bin');
    w.stream.end('payload');
    await assert.rejects(w.commit({ verify: async (stored) => {
      stored.resume();
      throw new Error('checksum mismatch');
    } }), /checksum mismatch/);
    await assertNothingIn(d, 'v', 'v/bad.bin');
  }));

  it('writer: a producer may reuse its buffer once each write has called back', () => ctx.use(async (d) => {
    // Copy loops read into one buffer and write it again as soon as the previous write called back. A
    // writer that keeps a reference to an accepted chunk (to batch it into a larger request) would store
    // bytes of later reads instead. 6 MiB: beyond the 5 MiB minimum part size of object stores.
    const buf = Buffer.alloc(256 << 10);
    const expected: Buffer[] = [];
    const w = await d.openWrite('reuse/f.bin');
    for (let i = 0; i < 24; i++) {
      for (let at = 0; at < buf.length; at += 4) buf.writeUInt32BE((i * 0x9e3779b1 + at) >>> 0, at);
      expected.push(Buffer.from(buf));
      await new Promise<void>((resolve, reject) => w.stream.write(buf, (err) => (err ? reject(err) : resolve())));
    }
    buf.fill(0xee);
    w.stream.end();
    await w.commit();
    assert.ok((await readBytes(d, 'reuse/f.bin')).equals(Buffer.concat(expected)), 'the stored bytes are the bytes written, not the buffer\'s later content');
  }));

  it('writer: abort after commit is a no-op', () => ctx.use(async (d) => {
    const w = await d.openWrite('kept');
    w.stream.end('data');
    await w.commit();
    await w.abort();
    assert.equal((await readBytes(d, 'kept')).toString(), 'data');
  }));

  it('writer: a signal aborted mid-write aborts the writer', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const ac = new AbortController();
    const w = await d.openWrite('d/f.bin', { signal: ac.signal });
    w.stream.write(Buffer.alloc(1 << 20, 2));
    ac.abort();
    await rejectsWithCode(() => w.commit(), 'aborted', 'commit after signal');
    await assertNothingIn(d, 'd', 'd/f.bin');
  }));

  it('writer: a signal aborted during a pipeline rejects the pipeline and leaves nothing', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const ac = new AbortController();
    const w = await d.openWrite('d/stream.bin', { signal: ac.signal });
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced += 1;
        if (produced === 8) ac.abort();
        yield Buffer.alloc(64 << 10, produced);
        await nextTurn();
      }
    }
    let failure: unknown;
    await pipeline(Readable.from(endless()), w.stream).catch((err: unknown) => { failure = err; });
    assert.ok(failure !== undefined, 'pipeline must reject');
    assert.equal(toStorageError(failure).code, 'aborted');
    await rejectsWithCode(() => w.commit(), 'aborted', 'commit after aborted pipeline');
    await assertNothingIn(d, 'd', 'd/stream.bin');
  }));

  it('writer: an already aborted signal is refused before anything is created', () => ctx.use(async (d) => {
    await d.mkdir('d');
    await rejectsWithCode(() => d.openWrite('d/x', { signal: AbortSignal.abort() }), 'aborted', 'openWrite');
    await assertNothingIn(d, 'd', 'd/x');
  }));

  it('writer: a stream that errored makes commit fail and leaves nothing', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const w = await d.openWrite('d/broken');
    w.stream.write('partial');
    w.stream.destroy(new Error('source failed'));
    await assert.rejects(w.commit());
    await assertNothingIn(d, 'd', 'd/broken');
  }));

  it('writer: commit with a wrong expected size fails (retryable) and publishes nothing', () => ctx.use(async (d) => {
    await d.mkdir('d');
    const w = await d.openWrite('d/short', { size: 10 });
    w.stream.end('12345');
    const err = await w.commit().then(() => undefined, (e: unknown) => e);
    assert.ok(isStorageError(err, 'size_mismatch'), `expected size_mismatch, got ${String(err)}`);
    assert.equal(err.retryable, true);
    await assertNothingIn(d, 'd', 'd/short');
    await writeBytes(d, 'd/exact', '1234567890', { size: 10 });
    assert.equal((await d.stat('d/exact'))?.size, 10);
  }));

  it('writer: overwrite keeps the old object readable until commit, then replaces it whole', () => ctx.use(async (d) => {
    await writeBytes(d, 'obj', 'old content');
    const w = await d.openWrite('obj');
    w.stream.end('brand new, longer content');
    assert.equal((await readBytes(d, 'obj')).toString(), 'old content');
    assert.equal((await d.stat('obj'))?.size, 11);
    await w.commit();
    assert.equal((await readBytes(d, 'obj')).toString(), 'brand new, longer content');
    assert.deepEqual(await listNames(d, ''), ['obj']);
  }));

  it('writer: noReplace never replaces what appeared meanwhile; the same bytes there are taken as this copy', (t) => ctx.use(async (d) => {
    if (!d.features.noReplace) {
      t.skip('driver does not declare noReplace');
      return;
    }
    const w = await d.openWrite('late', { noReplace: true });
    w.stream.end('mine');
    await writeBytes(d, 'late', 'someone else');
    await rejectsWithCode(() => w.commit(), 'exists', 'a different file appeared');
    assert.equal((await readBytes(d, 'late')).toString(), 'someone else', 'not replaced');
    assert.deepEqual((await d.cleanupTemp('', { dryRun: true })).paths, [], 'nothing left behind');
    const again = await d.openWrite('late', { noReplace: true });
    again.stream.end('someone else');
    assert.equal((await again.commit()).size, 12, 'the very same bytes: the publication stands');
    const fresh = await d.openWrite('new', { noReplace: true });
    fresh.stream.end('first');
    await fresh.commit();
    assert.equal((await readBytes(d, 'new')).toString(), 'first');
    assert.deepEqual(await listNames(d, ''), ['late', 'new']);
  }));

  it('writer: concurrent writers of one path publish one whole version', () => ctx.use(async (d) => {
    const contents = ['A'.repeat(300_000), 'B'.repeat(200_001), 'C'.repeat(7)];
    const writers = await Promise.all(contents.map(() => d.openWrite('race')));
    writers.forEach((w, i) => w.stream.end(contents[i]));
    await Promise.all(writers.map((w) => w.commit()));
    const final = (await readBytes(d, 'race')).toString();
    assert.ok(contents.includes(final), 'content must be exactly one of the versions');
    assert.deepEqual(await listNames(d, ''), ['race']);
  }));

  it('writer: missing parents are created; the root and directories are refused as targets', () => ctx.use(async (d) => {
    await writeBytes(d, 'x/y/z.txt', 'deep');
    assert.equal((await readBytes(d, '/x/y/z.txt')).toString(), 'deep');
    if (d.features.directories) assert.equal((await d.stat('x/y'))?.kind, 'dir');
    await rejectsWithCode(() => d.openWrite(''), 'is_a_directory', 'write root');
    await rejectsWithCode(() => d.openWrite('/'), 'is_a_directory', 'write /');
    await rejectsWithCode(() => d.openWrite('x/y'), 'is_a_directory', 'write over a directory');
    await writeBytes(d, 'plain', 'file');
    await rejectsWithCode(() => d.openWrite('plain/child'), 'not_a_directory', 'write under a file');
  }));

  it('writer: reserved temporary names are refused', () => ctx.use(async (d) => {
    await rejectsWithCode(() => d.openWrite('.x.barge-0123456789abcdef.part'), 'invalid_path', 'reserved name');
    await rejectsWithCode(() => d.stat('dir/.x.barge-0123456789abcdef.part'), 'invalid_path', 'stat of reserved name');
  }));
}
