/**
 * The native copier (native-copier.ts, native/copier.c): its hashes against hash-wasm and zlib, and the
 * cases where it must answer exactly as the JavaScript group commit does — each scenario runs through
 * a pool with the native copier and through one without, and both must give the same outcomes and
 * leave the same files. Skipped, with the reason printed, when the addon is not built.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, chmodSync, chownSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { createXXHash64 } from 'hash-wasm';
import { StorageError } from '../errors.js';
import { makeTempName } from '../paths.js';
import type { CopyJob } from './copy-job.js';
import { CopyPool, type CopyResult } from './copy-pool.js';
import { fileSystemSync } from './fs-sync.js';
import { credentialSwitchBlocker } from './fs-credentials.js';
import { encodeRequest } from './copy-protocol.js';
import {
  NATIVE_DONE, NATIVE_JOB_NUMS, NATIVE_OUT_NUMS, loadNativeCopier, nativeCopierStatus, nativeDigest, nativeError, nativeSize, nativeSlot, nativeStatus,
  packNativeJob,
} from './native-copier.js';

const addon = loadNativeCopier();
const skip = addon === null ? `native copier not available: ${nativeCopierStatus().reason}` : fileSystemSync() === null ? 'no trusted syncfs here: no group commit' : false;
if (skip) console.log(`# skipped: ${skip}`);

const crc32 = (zlib as unknown as { crc32(data: Buffer): number }).crc32;

describe('native copier: hashes', { skip }, () => {
  it('crc32 and xxhash64 equal zlib and hash-wasm on random data of many lengths, fed in any pieces', async () => {
    const lengths = [...Array.from({ length: 80 }, (_, i) => i), 127, 128, 255, 256, 1000, 4095, 4096, 4097, 65_537, 1 << 20];
    for (const n of lengths) {
      const data = randomBytes(n);
      const xx = await createXXHash64(0, 0);
      xx.init();
      xx.update(data);
      const want = { crc: (crc32(data) >>> 0).toString(16).padStart(8, '0'), xx: xx.digest('hex') };
      for (const piece of [1, 3, 7, 31, 32, 33, 4096, n + 1]) {
        assert.equal(addon!.hash(data, 1, piece), want.crc, `crc32 of ${n} bytes in pieces of ${piece}`);
        assert.equal(addon!.hash(data, 2, piece), want.xx, `xxhash64 of ${n} bytes in pieces of ${piece}`);
      }
    }
  });
});

/** An outcome reduced to what a caller sees. */
type Seen = { size: number; checksum: string | null } | { code: string; path?: string; retryable: boolean };

function seen(r: CopyResult | StorageError): Seen {
  return r instanceof StorageError ? { code: r.code, path: r.path, retryable: r.retryable } : { size: r.size, checksum: r.checksum };
}

/** Every file under `dir` with its bytes (temp files included: none may be left). */
function tree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, tree(dir, rel));
    else out[rel] = e.isSymbolicLink() ? '<link>' : readFileSync(join(dir, rel), 'latin1');
  }
  return out;
}

describe('native copier: the same outcomes as the JavaScript group commit', { skip }, () => {
  let base: string;
  const pools = { native: new CopyPool({ workers: 1, nativeCopy: true }), js: new CopyPool({ workers: 1, nativeCopy: false }) };
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'barge-native-'));
  });
  after(async () => {
    await Promise.all([pools.native.close(), pools.js.close()]);
    rmSync(base, { recursive: true, force: true });
  });

  /**
   * Runs `jobs` (plus a plain companion file, so the message is a group commit) over fresh roots set
   * up by `setup`, with each copier; returns what the native one gave after checking the JavaScript
   * one gave the same outcomes and left the same trees.
   */
  async function both(name: string, setup: (src: string, dst: string, outside: string) => void, jobs: Array<Partial<CopyJob> & { srcPath: string; dstPath: string }>): Promise<Seen[]> {
    const results: Record<string, { seen: Seen[]; src: Record<string, string>; dst: Record<string, string> }> = {};
    for (const kind of ['native', 'js'] as const) {
      const dir = join(base, `${name}-${kind}`);
      const [src, dst, outside] = ['src', 'dst', 'outside'].map((d) => join(dir, d)) as [string, string, string];
      for (const d of [src, dst, outside]) mkdirSync(d, { recursive: true });
      writeFileSync(join(src, 'companion.txt'), 'companion');
      setup(src, dst, outside);
      const all: CopyJob[] = [...jobs, { srcPath: 'companion.txt', dstPath: 'companion.txt' }].map((j) => ({
        srcRoot: src, dstRoot: dst, tempName: j.tempName ?? makeTempName(j.dstPath.split('/').pop()!), checksum: 'xxhash64', fsync: true, ...j,
      }));
      const before = pools[kind].nativeJobs();
      const out = (await pools[kind].runMany(all)).map(seen);
      if (kind === 'js') assert.equal(pools.js.nativeJobs(), 0, 'the JavaScript pool never runs the native copier');
      else assert.ok(pools.native.nativeJobs() > before, 'the native copier ran (at least the companion)');
      assert.equal((out.at(-1) as { size?: number }).size, 9, 'the companion file is copied');
      results[kind] = { seen: out, src: tree(src), dst: tree(dst) };
    }
    assert.deepEqual(results.native, results.js, 'native and JavaScript copiers agree');
    return results.native!.seen.slice(0, -1);
  }

  it('copies files with checksums, metadata and created parents', async () => {
    const data = randomBytes(300_000);
    const [a, b] = await both('plain', (src) => {
      mkdirSync(join(src, 'd'));
      writeFileSync(join(src, 'd', 'a.bin'), data);
      writeFileSync(join(src, 'b.txt'), 'bee');
    }, [
      { srcPath: 'd/a.bin', dstPath: 'x/y/z/a.bin', size: data.length, mode: 0o640, mtimeMs: 1_600_000_000_123 },
      { srcPath: 'b.txt', dstPath: 'b.txt', checksum: 'crc32' },
    ]);
    const xx = await createXXHash64(0, 0);
    xx.init();
    xx.update(data);
    assert.deepEqual(a, { size: data.length, checksum: xx.digest('hex') });
    assert.deepEqual(b, { size: 3, checksum: (crc32(Buffer.from('bee')) >>> 0).toString(16).padStart(8, '0') });
    const [n, j] = ['native', 'js'].map((k) => statSync(join(base, `plain-${k}`, 'dst', 'x/y/z/a.bin')));
    assert.deepEqual([n!.mode & 0o7777, n!.mtimeMs], [0o640, j!.mtimeMs], 'mode and mtime set as futimesSync sets them');
  });

  it('gives each copy its source mode exactly, where the umask would strip bits and with set-id bits', async () => {
    const modes = [0o666, 0o4750, 0o400];
    await both('modes', (src) => {
      modes.forEach((_, i) => writeFileSync(join(src, `m${i}`), `mode ${i}`));
    }, modes.map((mode, i) => ({ srcPath: `m${i}`, dstPath: `m${i}`, mode })));
    for (const kind of ['native', 'js']) {
      const got = modes.map((_, i) => statSync(join(base, `modes-${kind}`, 'dst', `m${i}`)).mode & 0o7777);
      assert.deepEqual(got.map((m) => m.toString(8)), modes.map((m) => m.toString(8)), kind);
    }
  });

  it('a missing source fails alone with not_found', async () => {
    assert.deepEqual(await both('missing', () => {}, [{ srcPath: 'nope/gone.txt', dstPath: 'gone.txt' }, { srcPath: 'gone.txt', dstPath: 'g2.txt' }]), [
      { code: 'not_found', path: 'nope/gone.txt', retryable: false },
      { code: 'not_found', path: 'gone.txt', retryable: false },
    ]);
  });

  it('a destination parent that is a file: not_a_directory, nothing left', async () => {
    const [r] = await both('parent-file', (src, dst) => {
      writeFileSync(join(src, 'f.txt'), 'f');
      writeFileSync(join(dst, 'blocker'), 'i am a file');
    }, [{ srcPath: 'f.txt', dstPath: 'blocker/f.txt' }]);
    assert.equal((r as { code: string }).code, 'not_a_directory');
  });

  it('noReplace: an existing different file stays (exists), identical bytes count as done', async () => {
    const r = await both('no-replace', (src, dst) => {
      writeFileSync(join(src, 'same.txt'), 'same bytes');
      writeFileSync(join(src, 'other.txt'), 'new bytes');
      writeFileSync(join(dst, 'same.txt'), 'same bytes');
      writeFileSync(join(dst, 'other.txt'), 'old bytes');
    }, [{ srcPath: 'same.txt', dstPath: 'same.txt', noReplace: true }, { srcPath: 'other.txt', dstPath: 'other.txt', noReplace: true }, { srcPath: 'same.txt', dstPath: 'fresh.txt', noReplace: true }]);
    assert.deepEqual(r[0], { size: 10, checksum: (r[0] as { checksum: string }).checksum });
    assert.deepEqual(r[1], { code: 'exists', path: 'other.txt', retryable: false });
    assert.equal((r[2] as { size: number }).size, 10);
  });

  it('symlinks leading out of the roots are refused, in the source and in the destination parent', async () => {
    const r = await both('escape', (src, dst, outside) => {
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      symlinkSync(outside, join(src, 'out'));
      symlinkSync(join(outside, 'secret.txt'), join(src, 'secret-link.txt'));
      symlinkSync('../outside', join(dst, 'rel-out'));
      writeFileSync(join(src, 'ok.txt'), 'ok');
      mkdirSync(join(src, 'real'));
      writeFileSync(join(src, 'real', 'inside.txt'), 'inside');
      symlinkSync('real', join(src, 'alias'));
    }, [
      { srcPath: 'out/secret.txt', dstPath: 'a.txt' },
      { srcPath: 'secret-link.txt', dstPath: 'b.txt' },
      { srcPath: 'ok.txt', dstPath: 'rel-out/c.txt' },
      { srcPath: 'alias/inside.txt', dstPath: 'd.txt' },
    ]);
    assert.deepEqual(r.slice(0, 3).map((x) => (x as { code: string }).code), ['path_escape', 'path_escape', 'path_escape']);
    assert.equal((r[3] as { size: number }).size, 6, 'a relative symlink staying inside is followed');
  });

  it('a directory as source, and a size that does not match, fail like the JavaScript path', async () => {
    const r = await both('kinds', (src) => {
      mkdirSync(join(src, 'adir'));
    }, [{ srcPath: 'adir', dstPath: 'adir-copy' }, { srcPath: 'companion.txt', dstPath: 'short.txt', size: 100 }]);
    assert.deepEqual(r.map((x) => (x as { code: string }).code), ['is_a_directory', 'size_mismatch']);
  });

  it('names with multi-byte characters, long names and long paths (the addon\'s string arena grows): the same files', async () => {
    const names = [
      'é.txt', '日本語のファイル.txt', '😀 emoji 🚀.bin', 'ж'.repeat(120), '文'.repeat(80), `${'😀'.repeat(60)}.x`, 'a'.repeat(255),
      ...Array.from({ length: 24 }, (_, i) => `${'é'.repeat(i * 5)}${'日'.repeat(i % 7)}${'😀'.repeat(i % 4)}-${i}`),
    ];
    const deep = Array.from({ length: 11 }, (_, i) => `${'ü'.repeat(60)}${'d'.repeat(100)}${i}`).join('/');
    const r = await both('unicode', (src) => {
      mkdirSync(join(src, deep), { recursive: true });
      for (const [i, n] of names.entries()) writeFileSync(join(src, n), `file ${i} ${n}`);
      writeFileSync(join(src, deep, 'deep.txt'), 'deep');
    }, [
      ...names.map((n) => ({ srcPath: n, dstPath: `${'ö'.repeat(90)}/${n}` })),
      { srcPath: `${deep}/deep.txt`, dstPath: `${deep}/deep.txt` },
    ]);
    assert.deepEqual(r.map((x) => (x as { size?: number }).size), [...names.map((n, i) => Buffer.byteLength(`file ${i} ${n}`)), 4]);
  });

  it('paths not in canonical form and NUL bytes go the JavaScript way: the same outcomes', async () => {
    const r = await both('odd-paths', (src) => {
      mkdirSync(join(src, 'sub'));
      writeFileSync(join(src, 'sub', 'f.txt'), 'eff');
    }, [
      { srcPath: 'sub/./f.txt', dstPath: 'a//b.txt' },
      { srcPath: 'sub/f.txt', dstPath: './c.txt' },
      { srcPath: 'sub/../sub/f.txt', dstPath: 'x/../d.txt/', tempName: makeTempName('d.txt') },
      { srcPath: 'sub/f.txt', dstPath: 'nul\0name.txt', tempName: makeTempName('n.txt') },
      { srcPath: 'sub/f\0.txt', dstPath: 'e.txt' },
    ]);
    assert.deepEqual(r.map((x) => ('size' in x ? x.size : x.code)), [3, 3, 3, 'invalid_path', 'invalid_path']);
  });

  /** Packs `jobs` as a worker does and runs them in one call of the addon. */
  function callAddon(jobs: CopyJob[], flags = new Int32Array(new SharedArrayBuffer(4 * 64))) {
    const req = encodeRequest(jobs, jobs.map((_, k) => 40 + k));
    const packed = new Float64Array(jobs.length * NATIVE_JOB_NUMS);
    const out = new Float64Array(jobs.length * NATIVE_OUT_NUMS);
    let count = 0;
    for (let k = 0; k < jobs.length; k++) if (packNativeJob(req, k, packed, count)) count++;
    assert.equal(count, jobs.length, 'every job is native');
    const texts = addon!.copyPacked(req.roots, req.strs, packed, count, out, Buffer.alloc(64 * 1024), flags, 1 << 30, 1e9);
    return { packed, out, texts, req };
  }

  it('an abort flag set for a job: aborted, no temporary file; the other jobs are copied', () => {
    const dir = join(base, 'abort');
    const [src, dst] = [join(dir, 'src'), join(dir, 'dst')];
    mkdirSync(src, { recursive: true });
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'aaa');
    writeFileSync(join(src, 'b.txt'), 'bbb');
    const jobs: CopyJob[] = ['a.txt', 'b.txt'].map((n) => ({ srcRoot: src, srcPath: n, dstRoot: dst, dstPath: `out/${n}`, tempName: makeTempName(n), checksum: 'crc32', fsync: true }));
    const flags = new Int32Array(new SharedArrayBuffer(4 * 64));
    Atomics.store(flags, 0, 40);
    const { out, texts } = callAddon(jobs, flags);
    assert.deepEqual([nativeStatus(out, 0), nativeError(out, texts, 0, jobs[0]!).code, nativeStatus(out, 1)], [2, 'aborted', NATIVE_DONE]);
    assert.deepEqual(readdirSync(join(dst, 'out')), ['b.txt'], 'only the job not aborted, no temporary file');
  });

  it('answers: a success without checksum has no string; errors carry errno, syscall, side, code and bytes written', () => {
    const dir = join(base, 'answers');
    const [src, dst] = [join(dir, 'src'), join(dir, 'dst')];
    mkdirSync(src, { recursive: true });
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'aaaa');
    const job = (over: Partial<CopyJob>): CopyJob => ({ srcRoot: src, srcPath: 'a.txt', dstRoot: dst, dstPath: 'a.txt', tempName: makeTempName('a.txt'), checksum: null, fsync: true, ...over });
    const jobs = [job({}), job({ srcPath: 'gone.txt', dstPath: 'g.txt' }), job({ dstPath: 's.txt', size: 9 }), job({ dstPath: 'x.txt', checksum: 'xxhash64' })];
    const { packed, out, texts } = callAddon(jobs);
    assert.deepEqual([0, 1, 2, 3].map((i) => nativeSlot(packed, i)), [0, 1, 2, 3]);
    assert.deepEqual([nativeStatus(out, 0), nativeSize(out, 0), nativeDigest(texts, 0)], [NATIVE_DONE, 4, null]);
    assert.deepEqual(Object.keys(texts).filter((k) => texts[Number(k)] !== undefined).map(Number).map((k) => Math.floor(k / 3)), [1, 2, 3], 'strings only for jobs that need them');
    const gone = nativeError(out, texts, 1, jobs[1]!);
    assert.deepEqual([gone.code, gone.path, gone.sysCode, gone.retryable], ['not_found', 'gone.txt', 'ENOENT', false]);
    const short = nativeError(out, texts, 2, jobs[2]!);
    assert.deepEqual([short.code, short.path, short.message], ['size_mismatch', 's.txt', 'expected 9 bytes, wrote 4']);
    assert.deepEqual([nativeStatus(out, 3), nativeSize(out, 3), nativeDigest(texts, 3)?.length], [NATIVE_DONE, 4, 16]);
    assert.deepEqual(readdirSync(dst).sort(), ['a.txt', 'x.txt']);
  });

  it('carry: a call leaves its descriptors open and its renames unsynced; the next call syncs and closes them; a call with no job flushes', () => {
    assert.equal(addon!.carries, true);
    const dir = join(base, 'carry');
    const [src, dst] = [join(dir, 'src'), join(dir, 'dst')];
    mkdirSync(src, { recursive: true });
    mkdirSync(dst, { recursive: true });
    for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(src, n), `${n}${n}`);
    const open = (): string[] => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dst);
      } catch {
        return false; // closed while listing (the directory's own descriptor)
      }
    });
    const carry = new Int32Array(2 + 2 * 4);
    const call = (names: string[], carriedIn: number) => {
      const jobs: CopyJob[] = names.map((n) => ({ srcRoot: src, srcPath: n, dstRoot: dst, dstPath: n, tempName: makeTempName(n), checksum: null, fsync: true }));
      const req = encodeRequest(jobs, jobs.map((_, k) => 60 + k));
      const packed = new Float64Array(Math.max(1, jobs.length) * NATIVE_JOB_NUMS);
      const out = new Float64Array(Math.max(1, jobs.length) * NATIVE_OUT_NUMS);
      for (let k = 0; k < jobs.length; k++) assert.ok(packNativeJob(req, k, packed, k));
      carry[0] = carriedIn;
      carry[1] = -1;
      addon!.copyPacked(req.roots, req.strs, packed, jobs.length, out, Buffer.alloc(1024), new Int32Array(64), 1 << 30, 1e9, undefined, carry);
      return names.map((_, i) => nativeStatus(out, i));
    };
    assert.deepEqual(call(['a', 'b'], 0), [NATIVE_DONE, NATIVE_DONE]);
    assert.equal(carry[1], 1, 'one file system: one descriptor carried out');
    assert.deepEqual(open(), [String(carry[2])], 'it stays open, nothing else of the call does');
    assert.deepEqual(readdirSync(dst).sort(), ['a', 'b'], 'renamed (visible) before the last syncfs');
    assert.deepEqual(call(['c', 'd'], carry[1]!), [NATIVE_DONE, NATIVE_DONE]);
    assert.equal(carry[2 + 4], 0, 'the carried descriptor was synced without error');
    assert.equal(carry[1], 1);
    assert.deepEqual(open(), [String(carry[2])], 'the first call\'s descriptor is closed; the second call\'s is carried');
    assert.deepEqual(call([], carry[1]!), []);
    assert.deepEqual([carry[1], carry[2 + 4]], [0, 0], 'a call without jobs syncs and closes what it is given, carries nothing');
    assert.deepEqual(open(), []);
    assert.deepEqual(readdirSync(dst).sort(), ['a', 'b', 'c', 'd']);
    for (const n of ['a', 'b', 'c', 'd']) assert.equal(readFileSync(join(dst, n), 'utf8'), `${n}${n}`);
    carry[0] = 5;
    assert.throws(() => addon!.copyPacked([], [], new Float64Array(NATIVE_JOB_NUMS), 0, new Float64Array(NATIVE_OUT_NUMS), Buffer.alloc(1024), new Int32Array(64), 1, 1, undefined, carry), TypeError, 'more carried than it has room for');
  });

  it('refuses a string index out of range before touching any file', () => {
    const dst = join(base, 'refused');
    mkdirSync(dst, { recursive: true });
    const req = encodeRequest([{ srcRoot: base, srcPath: 'x', dstRoot: dst, dstPath: 'x', tempName: makeTempName('x'), checksum: null, fsync: true }], [1]);
    const packed = new Float64Array(NATIVE_JOB_NUMS);
    assert.ok(packNativeJob(req, 0, packed, 0));
    packed[3] = 99; // the source path's index into strs
    assert.throws(() => addon!.copyPacked(req.roots, req.strs, packed, 1, new Float64Array(NATIVE_OUT_NUMS), Buffer.alloc(1024), new Int32Array(64), 1, 1), TypeError);
    assert.deepEqual(readdirSync(dst), []);
  });

  it('md5 is not native: it runs through the JavaScript path', () => {
    const req = encodeRequest([{ srcRoot: '/a', srcPath: 'x', dstRoot: '/b', dstPath: 'y', tempName: 't', checksum: 'md5', fsync: true }], [1]);
    assert.equal(packNativeJob(req, 0, new Float64Array(NATIVE_JOB_NUMS), 0), false);
  });

  it('runs under the worker thread\'s switched file-system ids (a context user), refusing what that user may not write', { skip: credentialSwitchBlocker() ?? false }, async () => {
    const NOBODY = 65534;
    const dir = join(base, 'context');
    const src = join(dir, 'src');
    const roots = (variant: boolean): [string, string] => [join(dir, `mine-${variant}`), join(dir, `theirs-${variant}`)];
    for (const d of [src, ...roots(true), ...roots(false)]) mkdirSync(d, { recursive: true, mode: 0o755 });
    chmodSync(base, 0o755); // mkdtemp makes it 0700: the context user must reach the roots
    chmodSync(dir, 0o755);
    for (const v of [true, false]) chownSync(roots(v)[0], NOBODY, NOBODY);
    for (let i = 0; i < 3; i++) writeFileSync(join(src, `f${i}.txt`), `file ${i}`, { mode: 0o644 });
    const results: Record<string, Seen[]> = {};
    for (const nativeCopy of [true, false]) {
      const [mine, theirs] = roots(nativeCopy);
      const pool = new CopyPool({ workers: 1, nativeCopy, credentials: { uid: NOBODY, gid: NOBODY } });
      try {
        const jobs: CopyJob[] = [0, 1, 2].map((i) => ({
          srcRoot: src, srcPath: `f${i}.txt`, dstRoot: i === 2 ? theirs : mine, dstPath: `sub/f${i}.txt`,
          tempName: makeTempName(`f${i}.txt`), checksum: 'crc32', fsync: true,
        }));
        results[String(nativeCopy)] = (await pool.runMany(jobs)).map(seen);
        assert.equal(pool.nativeJobs() > 0, nativeCopy, 'the native copier ran on the switched thread');
      } finally {
        await pool.close();
      }
      assert.equal(statSync(join(mine, 'sub/f0.txt')).uid, NOBODY, 'written as the context user');
    }
    assert.deepEqual(results.true, results.false);
    assert.equal((results.true![2] as { code: string }).code, 'permission_denied');
  });
});
