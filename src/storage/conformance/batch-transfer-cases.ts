/**
 * Conformance of the optional `transferBatch` (driver.ts, batch-transfer.ts): many files to a storage
 * of the same driver in one call, each with exactly the outcome `transferTo` would give it — one
 * file's failure stays in its slot, nothing unfinished is ever visible, no temporary file is left.
 * Skipped when the driver has no `transferBatch`, or answers `null` (no batch path) for a destination
 * of its own kind.
 */
import { it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { StorageDriver } from '../driver.js';
import type { BatchTransferFile, BatchTransferOptions, BatchTransferOutcome } from '../batch-transfer.js';
import { StorageError } from '../errors.js';
import { collect, expectedDigest, readBytes, writeBytes, type ConformanceContext } from './helpers.js';

async function batch(t: TestContext, a: StorageDriver, b: StorageDriver, files: BatchTransferFile[], options?: BatchTransferOptions): Promise<BatchTransferOutcome[] | null> {
  if (a.transferBatch === undefined) {
    t.skip('driver has no transferBatch');
    return null;
  }
  const r = await a.transferBatch(files, b, options);
  if (r === null) t.skip('transferBatch has no batch path between two storages of this driver');
  else assert.equal(r.length, files.length, 'one outcome per file');
  return r;
}

function codeOf(o: BatchTransferOutcome | undefined): string {
  return o instanceof StorageError ? o.code : 'ok';
}

/** Every name below `dir`, recursively (temporary files included, if a driver listed them). */
async function tree(d: StorageDriver, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await collect(d.list(dir))) {
    const p = dir === '' ? e.name : `${dir}/${e.name}`;
    out.push(p);
    if (e.kind === 'dir') out.push(...(await tree(d, p)));
  }
  return out.sort();
}

export function batchTransferCases(ctx: ConformanceContext): void {
  it('transferBatch: copies every file with its checksum and metadata, in order, with progress', (t) => ctx.usePair(async (a, b) => {
    const names = Array.from({ length: 150 }, (_, i) => `src/d${i % 3}/f${i}.bin`); // more than one message of the posix pool
    const body = (i: number) => Buffer.from(`file ${i} `.repeat(1 + (i % 7)));
    for (const [i, n] of names.entries()) await writeBytes(a, n, body(i));
    const mtimeMs = Date.UTC(2021, 5, 6, 7, 8, 9);
    let progressed = 0;
    const r = await batch(t, a, b, names.map((n, i) => ({
      path: n, dstPath: `out/${n}`, options: { size: body(i).length, checksum: 'xxhash64', mtimeMs, ...(b.features.permissions ? { mode: 0o640 } : {}) },
    })), { onBytes: (n) => (progressed += n) });
    if (r === null) return;
    let total = 0;
    for (const [i, o] of r.entries()) {
      assert.ok(!(o instanceof StorageError), `file ${i}: ${String(o)}`);
      assert.equal(o.size, body(i).length);
      assert.equal(o.checksum, await expectedDigest('xxhash64', body(i)), `digest of file ${i}`);
      assert.ok((await readBytes(b, `out/${names[i]}`)).equals(body(i)), `bytes of file ${i}`);
      total += o.size;
    }
    assert.equal(progressed, total, 'onBytes adds up to the bytes copied');
    const st = await b.stat(`out/${names[0]}`);
    if (b.features.mtimePrecisionMs !== null) assert.ok(Math.abs((st?.mtimeMs ?? 0) - mtimeMs) <= b.features.mtimePrecisionMs, 'mtime applied');
    if (b.features.permissions) assert.equal(st?.mode, 0o640, 'mode applied');
    assert.deepEqual((await b.cleanupTemp('', { dryRun: true })).paths, [], 'no temporary file left');
  }));

  it('transferBatch: a failing file fails alone, with transferTo\'s error code; the others are copied', (t) => ctx.usePair(async (a, b) => {
    await writeBytes(a, 'ok1', 'one');
    await writeBytes(a, 'ok2', 'two');
    await writeBytes(a, 'dir/inner', 'x');
    await writeBytes(b, 'taken', 'other bytes');
    await writeBytes(b, 'adir/keep', 'k');
    const r = await batch(t, a, b, [
      { path: 'ok1', dstPath: 'out/ok1' },
      { path: 'missing', dstPath: 'out/missing' },
      { path: 'dir', dstPath: 'out/dir' },
      { path: 'ok1', dstPath: 'adir' },
      { path: '../escape', dstPath: 'out/escape' },
      { path: 'ok2', dstPath: 'out/sized', options: { size: 99 } },
      ...(b.features.noReplace ? [{ path: 'ok2', dstPath: 'taken', options: { noReplace: true } }] : []),
      { path: 'ok2', dstPath: 'out/ok2', options: { checksum: 'md5' } },
      { path: 'ok1', dstPath: 'out/.ok1.barge-0123456789abcdef.part' },
      { path: '/./ok1', dstPath: '/out//sub/../ok3' },
    ]);
    if (r === null) return;
    assert.deepEqual(r.map(codeOf), ['ok', 'not_found', 'is_a_directory', 'is_a_directory', 'path_escape', 'size_mismatch', ...(b.features.noReplace ? ['exists'] : []), 'ok', 'invalid_path', 'ok']);
    assert.equal((await readBytes(b, 'out/ok3')).toString(), 'one', 'paths not in normal form are normalized');
    assert.equal((await readBytes(b, 'out/ok1')).toString(), 'one');
    assert.equal((await readBytes(b, 'out/ok2')).toString(), 'two');
    assert.equal((await readBytes(b, 'taken')).toString(), 'other bytes', 'noReplace kept what was there');
    assert.deepEqual(await tree(b), ['adir', 'adir/keep', 'out', 'out/ok1', 'out/ok2', 'out/ok3', 'taken'], 'nothing else visible, no temporary file');
  }));

  it('transferBatch: aborted before it starts, every file fails with aborted and nothing is written', (t) => ctx.usePair(async (a, b) => {
    await writeBytes(a, 'f1', 'one');
    await writeBytes(a, 'f2', 'two');
    if ((await batch(t, a, b, [{ path: 'f1', dstPath: 'probe' }])) === null) return;
    await b.remove('probe');
    const abort = new AbortController();
    abort.abort();
    const r = await a.transferBatch!([{ path: 'f1', dstPath: 'x/f1' }, { path: 'f2', dstPath: 'x/f2' }], b, { signal: abort.signal });
    assert.deepEqual(r?.map(codeOf), ['aborted', 'aborted']);
    assert.deepEqual(await tree(b), [], 'nothing visible, no temporary file');
  }));
}
