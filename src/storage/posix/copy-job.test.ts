import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHasher, type Hasher } from '../../lib/hashing.js';
import { isStorageError } from '../errors.js';
import { makeTempName } from '../paths.js';
import { runCopyJob, type CopyJob, type CopyJobEnv } from './copy-job.js';

let src: string;
let dst: string;

beforeEach(() => {
  src = mkdtempSync(join(tmpdir(), 'barge-copyjob-src-'));
  dst = mkdtempSync(join(tmpdir(), 'barge-copyjob-dst-'));
});
afterEach(() => {
  rmSync(src, { recursive: true, force: true });
  rmSync(dst, { recursive: true, force: true });
});

function job(over: Partial<CopyJob> = {}): CopyJob {
  return { srcRoot: src, srcPath: 'a.bin', dstRoot: dst, dstPath: 'sub/a.bin', tempName: makeTempName('a.bin'), checksum: null, fsync: true, ...over };
}

function env(hashers: Hasher[] = [], over: Partial<CopyJobEnv> = {}): CopyJobEnv {
  return { buffer: Buffer.alloc(64 * 1024), hasher: () => hashers.shift() as Hasher, aborted: () => false, progress: () => {}, ...over };
}

const throwsCode = (fn: () => unknown, code: string): void => assert.throws(fn, (err: unknown) => isStorageError(err) && err.code === code);

describe('runCopyJob (the body of a copy worker)', () => {
  it('copies in chunks through one buffer and returns the digest of the bytes read', async () => {
    const data = Buffer.alloc(300_000, 3);
    writeFileSync(join(src, 'a.bin'), data);
    let progressed = 0;
    const hashers = [await createHasher('md5'), await createHasher('md5')];
    const r = runCopyJob(job({ checksum: 'md5', size: data.length }), env(hashers, { progress: (n) => (progressed += n) }));
    assert.equal(r.size, data.length);
    assert.equal(r.checksum, (await import('node:crypto')).createHash('md5').update(data).digest('hex'));
    assert.equal(progressed, data.length);
    assert.ok(readFileSync(join(dst, 'sub/a.bin')).equals(data));
    assert.deepEqual(readdirSync(join(dst, 'sub')), ['a.bin'], 'no temporary file left');
  });

  it('a stored digest that differs fails with checksum_mismatch and publishes nothing', async () => {
    writeFileSync(join(src, 'a.bin'), 'new bytes');
    writeFileSync(join(dst, 'a.bin'), 'previous');
    // The verification hasher sees different bytes than the read pass: as if the disk had changed them.
    const liar: Hasher = { update: () => {}, digest: () => 'ffffffffffffffff' };
    throwsCode(() => runCopyJob(job({ dstPath: 'a.bin', checksum: 'xxhash64' }), env([{ update: () => {}, digest: () => '0000000000000000' }, liar])), 'checksum_mismatch');
    assert.equal(readFileSync(join(dst, 'a.bin'), 'utf8'), 'previous', 'the previous object is intact');
    assert.deepEqual(readdirSync(dst), ['a.bin'], 'the temporary file is removed');
  });

  it('an abort between chunks removes the temporary file and keeps the previous object', () => {
    writeFileSync(join(src, 'a.bin'), Buffer.alloc(1_000_000, 9));
    writeFileSync(join(dst, 'a.bin'), 'previous');
    let chunks = 0;
    throwsCode(() => runCopyJob(job({ dstPath: 'a.bin' }), env([], { progress: () => void chunks++, aborted: () => chunks >= 2 })), 'aborted');
    assert.equal(chunks, 2, 'stopped at the first check after the abort');
    assert.equal(readFileSync(join(dst, 'a.bin'), 'utf8'), 'previous');
    assert.deepEqual(readdirSync(dst), ['a.bin']);
  });

  it('a source that changed size fails with size_mismatch (retryable) and leaves nothing', () => {
    writeFileSync(join(src, 'a.bin'), 'twelve bytes');
    assert.throws(() => runCopyJob(job({ size: 5 }), env()), (err: unknown) => isStorageError(err, 'size_mismatch') && err.retryable);
    assert.deepEqual(readdirSync(join(dst, 'sub')), []);
  });

  it('reports the failing side: a missing source names the source path', () => {
    assert.throws(() => runCopyJob(job({ srcPath: 'nope/x' }), env()), (err: unknown) => isStorageError(err, 'not_found') && err.path === 'nope/x');
  });

  it('a symlinked source file is followed inside the root, refused when it leads out (the O_NOFOLLOW fallback)', () => {
    writeFileSync(join(src, 'a.bin'), 'inside');
    symlinkSync('a.bin', join(src, 'alias'));
    assert.equal(runCopyJob(job({ srcPath: 'alias', dstPath: 'b.bin' }), env()).size, 6);
    assert.equal(readFileSync(join(dst, 'b.bin'), 'utf8'), 'inside');
    writeFileSync(join(dst, 'outside.bin'), 'secret');
    symlinkSync(join(dst, 'outside.bin'), join(src, 'leak'));
    throwsCode(() => runCopyJob(job({ srcPath: 'leak', dstPath: 'c.bin' }), env()), 'path_escape');
    assert.deepEqual(readdirSync(dst).sort(), ['b.bin', 'outside.bin']);
  });

  it('a directory in the target\'s place, even empty, is is_a_directory at the rename, and the temp file is removed', () => {
    writeFileSync(join(src, 'a.bin'), 'data');
    mkdirSync(join(dst, 'sub', 'a.bin'), { recursive: true });
    throwsCode(() => runCopyJob(job(), env()), 'is_a_directory');
    assert.deepEqual(readdirSync(join(dst, 'sub')), ['a.bin'], 'no temporary file left');
    assert.deepEqual(readdirSync(join(dst, 'sub', 'a.bin')), []);
  });
});
