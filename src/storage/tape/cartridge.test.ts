/**
 * The virtual cartridge against real GNU tar: what Barge writes, session after session, is listed by
 * `tar -tvf` and restored by `tar -xf` byte for byte; a session cut by `kill -9` (a real child
 * process) is ignored and then written over; capacity, no-fit and too-large; write protection;
 * format; read-back verification.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, truncate, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Cartridge } from './cartridge.js';
import { createHasher } from '../../lib/hashing.js';
import { gnuTarVersion, tarExtract, tarNames, tarVerbose } from '../../../test/helpers/gnu-tar.js';

const tarVersion = await gnuTarVersion();
const noTar = !tarVersion && 'GNU tar is not installed (apt-get install tar)';
if (noTar) console.log(`# ${noTar}: cartridge tests skipped`);

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MTIME = 1_700_000_000_250.5;
const BARCODE = 'BRG001L8';
const MiB = 1024 * 1024;

async function* chunks(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function digest(data: Buffer): Promise<string> {
  const h = await createHasher('xxhash64');
  h.update(data);
  return h.digest();
}

describe('virtual cartridge (pax tar on a file)', { skip: noTar }, () => {
  let dir: string;
  let n = 0;
  const fresh = async (capacityBytes = 64 * MiB): Promise<{ file: string; cart: Cartridge }> => {
    const file = join(dir, `c${++n}.tar`);
    await Cartridge.create(file);
    return { file, cart: await Cartridge.open(file, { barcode: BARCODE, capacityBytes }) };
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'barge-cart-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a blank cartridge is an empty archive to tar', async () => {
    const { file, cart } = await fresh();
    assert.deepEqual(await tarNames(file), []);
    assert.deepEqual([cart.sessions.length, cart.usedBytes, cart.tornMembers, cart.full], [0, 0, 0, false]);
    await assert.rejects(Cartridge.create(file), { code: 'EEXIST' }, 'never replaces a cartridge');
  });

  it('one session: tar -tvf lists the files and the index, tar -xf gives back the bytes, modes and mtimes', async () => {
    const { file, cart } = await fresh();
    const long = `${'deep-folder-name/'.repeat(7)}a file with a long name.dat`;
    const files: Array<{ path: string; data: Buffer; mode: number }> = [
      { path: 'a.txt', data: Buffer.from('hello tape\n'), mode: 0o644 },
      { path: long, data: randomBytes(1_500_000), mode: 0o640 },
      { path: 'dir/été/ünï.bin', data: randomBytes(512), mode: 0o600 },
      { path: 'empty', data: Buffer.alloc(0), mode: 0o444 },
    ];
    assert.ok(Buffer.byteLength(long) > 100);
    const s = await cart.beginSession();
    const written = [];
    for (const f of files) written.push(await s.writeFile({ path: f.path, size: f.data.length, mtimeMs: MTIME, mode: f.mode, uid: process.getuid!(), gid: process.getgid!() }, chunks(f.data)));
    const closed = await s.close();
    assert.ok(closed);
    for (const [i, f] of files.entries()) assert.equal(written[i]?.checksum, await digest(f.data));
    assert.deepEqual(closed.index.files.map((f) => f.path), files.map((f) => f.path));

    const listing = await tarVerbose(file);
    assert.deepEqual(listing.map((l) => l.name), [...files.map((f) => f.path), closed.index.files.length ? listing[4]!.name : '']);
    assert.match(listing[4]!.name, /^\.barge-index\/session-000001-[0-9a-f]{8}\.json$/);
    assert.deepEqual(listing.slice(0, 4).map((l) => [l.mode, l.size]), [['-rw-r--r--', 11], ['-rw-r-----', 1_500_000], ['-rw-------', 512], ['-r--r--r--', 0]]);
    assert.equal(listing[0]!.stderr, '', 'no warning from tar');

    const out = await mkdtemp(join(dir, 'x-'));
    assert.equal(await tarExtract(file, out), '');
    for (const f of files) {
      assert.ok((await readFile(join(out, f.path))).equals(f.data), f.path);
      const st = await stat(join(out, f.path));
      assert.equal(st.mode & 0o777, f.mode, f.path);
      assert.equal(Math.round(st.mtimeMs * 1000), Math.round(MTIME * 1000), `${f.path}: mtime to the microsecond`);
    }
    const index = JSON.parse(await readFile(join(out, listing[4]!.name), 'utf8'));
    assert.deepEqual(index.files, closed.index.files, 'the index extracted by tar is the one Barge reads');

    // Barge reads the files back at their offsets, and the scan of a reopened cartridge agrees.
    const again = await Cartridge.open(file, { barcode: BARCODE, capacityBytes: 64 * MiB });
    assert.deepEqual(again.sessions.map((x) => x.index), [closed.index]);
    for (const f of closed.index.files) await again.verify(f, 'xxhash64');
    const back: Buffer[] = [];
    const hit = again.latest(long);
    assert.ok(hit);
    for await (const c of again.openRead(hit.file.offset, hit.file.size)) back.push(c as Buffer);
    assert.ok(Buffer.concat(back).equals(files[1]!.data));
  });

  it('sessions append like tar --append: every session listed, the latest copy of a path wins on extraction', async () => {
    const { file, cart } = await fresh();
    const s1 = await cart.beginSession();
    await s1.writeFile({ path: 'x/one', size: 3, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('one')));
    await s1.writeFile({ path: 'x/two', size: 3, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('two')));
    await s1.close();
    const s2 = await cart.beginSession({ algorithm: 'md5' });
    await s2.writeFile({ path: 'x/three', size: 5, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('three')));
    await s2.writeFile({ path: 'x/one', size: 7, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('one, v2')));
    await s2.close();
    const names = await tarNames(file);
    assert.deepEqual(names.filter((x) => !x.startsWith('.barge-index/')), ['x/one', 'x/two', 'x/three', 'x/one']);
    assert.equal(names.filter((x) => x.startsWith('.barge-index/session-000001-')).length, 1);
    assert.equal(names.filter((x) => x.startsWith('.barge-index/session-000002-')).length, 1);
    const out = await mkdtemp(join(dir, 'x-'));
    await tarExtract(file, out);
    assert.equal(await readFile(join(out, 'x/one'), 'utf8'), 'one, v2');
    const reopened = await Cartridge.open(file, { barcode: BARCODE, capacityBytes: 64 * MiB });
    assert.deepEqual(reopened.sessions.map((x) => [x.index.session, x.index.algorithm, x.index.files.length]), [[1, 'xxhash64', 2], [2, 'md5', 2]]);
    assert.equal(reopened.latest('x/one')?.session.index.session, 2);
    assert.equal(reopened.usedBytes, cart.usedBytes);
    assert.equal((await stat(file)).size, cart.usedBytes + 1024, 'the medium ends with the end-of-archive blocks');
  });

  it('a session cut by kill -9 is ignored, and the next session starts over it', async () => {
    const { file } = await fresh();
    const script = join(dir, 'torn-writer.mts');
    await writeFile(script, `
      import { Cartridge } from ${JSON.stringify(join(ROOT, 'src/storage/tape/cartridge.ts'))};
      const cart = await Cartridge.open(process.argv[2], { barcode: ${JSON.stringify(BARCODE)}, capacityBytes: ${64 * MiB} });
      const s1 = await cart.beginSession();
      await s1.writeFile({ path: 'kept/a', size: 4, mtimeMs: ${MTIME}, mode: 0o644 }, [Buffer.from('keep')]);
      await s1.close();
      const s2 = await cart.beginSession();
      for (let i = 0; i < 3; i++) await s2.writeFile({ path: 'torn/f' + i, size: 3000, mtimeMs: ${MTIME}, mode: 0o644 }, [Buffer.alloc(3000, i)]);
      // The timer keeps the process alive: a promise that never settles alone lets Node exit (code 13) before the kill.
      async function* stuck() { yield Buffer.alloc(1000, 7); setInterval(() => {}, 1 << 30); console.log('ready'); await new Promise(() => {}); }
      await s2.writeFile({ path: 'torn/partial', size: 5000, mtimeMs: ${MTIME}, mode: 0o644 }, stuck());
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise((resolve) => child.once('exit', (_c, sig) => resolve(sig)));
    const deadline = Date.now() + 30_000;
    while (!out.includes('ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the writer did not get going: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const torn = await Cartridge.open(file, { barcode: BARCODE, capacityBytes: 64 * MiB });
    assert.deepEqual(torn.sessions.map((x) => x.index.files.map((f) => f.path)), [['kept/a']], 'only the complete session counts');
    assert.equal(torn.tornMembers, 3);
    assert.ok((await stat(file)).size > torn.usedBytes + 9000, 'the torn bytes are still on the medium');

    const s = await torn.beginSession();
    await s.writeFile({ path: 'resumed/b', size: 6, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('resume')));
    await s.close();
    const names = (await tarNames(file)).filter((x) => !x.startsWith('.barge-index/'));
    assert.deepEqual(names, ['kept/a', 'resumed/b'], 'the torn session is gone from the medium');
    const reopened = await Cartridge.open(file, { barcode: BARCODE, capacityBytes: 64 * MiB });
    assert.deepEqual(reopened.sessions.map((x) => x.index.session), [1, 2]);
    assert.equal(reopened.tornMembers, 0);
  });

  it('an index cut short (a torn close) leaves its session out', async () => {
    const { file, cart } = await fresh();
    const s1 = await cart.beginSession();
    await s1.writeFile({ path: 'one', size: 1, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('1')));
    await s1.close();
    const s2 = await cart.beginSession();
    await s2.writeFile({ path: 'two', size: 1, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('2')));
    const closed = await s2.close();
    assert.ok(closed);
    await truncate(file, closed.indexOffset + 3 * 512 + 10); // into the index's JSON
    const again = await Cartridge.open(file, { barcode: BARCODE, capacityBytes: 64 * MiB });
    assert.deepEqual([again.sessions.length, again.tornMembers], [1, 1]);
    // A whole-looking index whose bytes were damaged is not trusted either.
    const { file: f2, cart: c2 } = await fresh();
    const s3 = await c2.beginSession();
    await s3.writeFile({ path: 'three', size: 1, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('3')));
    const c3 = await s3.close();
    const fh = await open(f2, 'r+');
    await fh.write(Buffer.from('X'), 0, 1, c3!.indexOffset + 3 * 512 + 2); // inside the JSON, after its three header blocks
    await fh.close();
    assert.equal((await Cartridge.open(f2, { barcode: BARCODE, capacityBytes: 64 * MiB })).sessions.length, 0);
  });

  it('capacity: a file that does not fit is refused whole (no_space), one larger than a cartridge is too_large; a full cartridge is never opened', async () => {
    const { file, cart } = await fresh(256 * 1024);
    const s = await cart.beginSession();
    const meta = (path: string, size: number) => ({ path, size, mtimeMs: MTIME, mode: 0o644 });
    assert.equal(s.fits(meta('huge', 300 * 1024)), 'too_large');
    await assert.rejects(s.writeFile(meta('huge', 300 * 1024), chunks(Buffer.alloc(300 * 1024))), { code: 'too_large' });
    await s.writeFile(meta('first', 150 * 1024), chunks(randomBytes(150 * 1024)));
    const before = (await stat(file)).size;
    assert.equal(s.fits(meta('second', 150 * 1024)), 'no_space', 'fits an empty cartridge, not this one');
    await assert.rejects(s.writeFile(meta('second', 150 * 1024), chunks(Buffer.alloc(150 * 1024))), { code: 'no_space' });
    assert.equal((await stat(file)).size, before, 'nothing of the refused file was written');
    // Fill what is left with the largest file that still fits.
    let lo = 0;
    let hi = 256 * 1024;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (s.fits(meta('last', mid)) === 'ok') lo = mid;
      else hi = mid - 1;
    }
    await s.writeFile(meta('last', lo), chunks(randomBytes(lo)));
    await s.close();
    assert.ok((await stat(file)).size <= 256 * 1024, 'never past the capacity');
    assert.equal(cart.full, true);
    await assert.rejects(cart.beginSession(), { code: 'cartridge_full' });
    assert.deepEqual((await tarNames(file)).filter((x) => !x.startsWith('.barge')), ['first', 'last']);
  });

  it('a source that breaks mid-file leaves nothing of that file; the session goes on', async () => {
    const { file, cart } = await fresh();
    const s = await cart.beginSession();
    await s.writeFile({ path: 'ok1', size: 2, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('ok')));
    await assert.rejects(s.writeFile({ path: 'short', size: 10, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('abc'))), { code: 'size_mismatch' });
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(100);
      throw new Error('source went away');
    }
    await assert.rejects(s.writeFile({ path: 'broken', size: 1000, mtimeMs: MTIME, mode: 0o644 }, broken()), { code: 'io' });
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(s.writeFile({ path: 'aborted', size: 3, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('abc')), abort.signal), { code: 'aborted' });
    assert.throws(() => s.fits({ path: 'ok1', size: 1, mtimeMs: MTIME, mode: 0o644 }), { code: 'invalid_path' }, 'a path once per session');
    await s.writeFile({ path: 'ok2', size: 2, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('ok')));
    await s.close();
    assert.deepEqual((await tarNames(file)).filter((x) => !x.startsWith('.barge')), ['ok1', 'ok2']);
  });

  it('write protection: a protected cartridge is never written or formatted', async () => {
    const { file, cart } = await fresh();
    await Cartridge.setWriteProtected(file, true);
    await assert.rejects(cart.beginSession(), { code: 'write_protected' });
    await assert.rejects(cart.format({ overwrite: true }), { code: 'write_protected' });
    await Cartridge.setWriteProtected(file, false);
    const s = await cart.beginSession();
    await s.writeFile({ path: 'now', size: 1, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('y')));
    await s.close();
  });

  it('format: refused on a cartridge with data unless overwrite; leaves a blank medium', async () => {
    const { file, cart } = await fresh();
    const s = await cart.beginSession();
    await s.writeFile({ path: 'data', size: 1, mtimeMs: MTIME, mode: 0o644 }, chunks(Buffer.from('d')));
    await s.close();
    await assert.rejects(cart.format({ overwrite: false }), { code: 'holds_data' });
    await cart.format({ overwrite: true });
    assert.deepEqual(await tarNames(file), []);
    assert.deepEqual([cart.sessions.length, cart.usedBytes, (await stat(file)).size], [0, 0, 1024]);
  });

  it('verify: a byte changed on the medium is a checksum_mismatch', async () => {
    const { file, cart } = await fresh();
    const s = await cart.beginSession({ algorithm: 'crc32' });
    const f = await s.writeFile({ path: 'v', size: 4096, mtimeMs: MTIME, mode: 0o644 }, chunks(randomBytes(4096)));
    await s.close();
    await cart.verify(f, 'crc32');
    const fh = await open(file, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, f.offset + 100);
    b[0] = (b[0] as number) ^ 1;
    await fh.write(b, 0, 1, f.offset + 100);
    await fh.close();
    await assert.rejects(cart.verify(f, 'crc32'), { code: 'checksum_mismatch' });
  });
});
