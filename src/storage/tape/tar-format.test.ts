/**
 * The pax tar encoding on its own: headers read back as written (pax over ustar), the record
 * lengths of pax, refused member names — and, with real GNU tar, a member larger than the ustar
 * size field (8 GiB) and ids beyond its uid field, on a sparse archive.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK, EOA_BYTES, applyPax, checkMemberPath, decodeHeader, memberHeaders, padTo, parsePaxRecords, paxRecords, paxTime } from './tar-format.js';
import { gnuTarVersion, tarVerbose } from '../../../test/helpers/gnu-tar.js';

const tarVersion = await gnuTarVersion();
if (!tarVersion) console.log('# GNU tar not installed: the tar cross-checks are skipped');

/** Reads the member at the start of `headers` back: the pax records, then the ustar header. */
function readBack(headers: Buffer) {
  const x = decodeHeader(headers.subarray(0, BLOCK));
  assert.equal(x.kind, 'header');
  if (x.kind !== 'header') throw new Error('unreachable');
  assert.equal(x.typeflag, 'x');
  const pax = parsePaxRecords(headers.subarray(BLOCK, BLOCK + x.size));
  const h = decodeHeader(headers.subarray(BLOCK + padTo(x.size), BLOCK + padTo(x.size) + BLOCK));
  if (h.kind !== 'header') throw new Error('no member header');
  return applyPax(h, pax);
}

describe('tar format', () => {
  it('writes pax records whose length counts themselves, across a digit boundary', () => {
    for (const len of [1, 90, 91, 92, 93, 94, 95, 96, 97, 98, 990, 991, 992, 993, 994, 995, 996, 997]) {
      const rec = paxRecords([['path', 'a'.repeat(len)]]);
      assert.equal(Number(rec.toString().split(' ')[0]), rec.length, `value of ${len} bytes`);
      assert.deepEqual(parsePaxRecords(rec), { path: 'a'.repeat(len) });
    }
  });

  it('reads back a long UTF-8 name, sub-millisecond mtime, mode, large ids and size from pax over ustar', () => {
    const path = `${'répertoire-très-long/'.repeat(8)}fichier-été.bin`;
    assert.ok(Buffer.byteLength(path) > 100);
    const m = readBack(memberHeaders({ path, size: 10 * 2 ** 30, mtimeMs: 1_700_000_000_123.456, mode: 0o100640, uid: 3_000_000, gid: 42 }));
    assert.deepEqual({ ...m, pax: undefined }, { path, size: 10 * 2 ** 30, mtimeMs: 1_700_000_000_123.456, mode: 0o640, uid: 3_000_000, gid: 42, typeflag: '0', pax: undefined });
  });

  it('formats pax times to the microsecond, negative ones too', () => {
    assert.equal(paxTime(1_700_000_000_000), '1700000000');
    assert.equal(paxTime(1_700_000_000_123.25), '1700000000.12325');
    assert.equal(paxTime(1_700_000_000_000.001), '1700000000.000001', 'a microsecond survives the float');
    assert.equal(paxTime(-1500), '-1.5');
  });

  it('sees a zero block and a damaged header for what they are', () => {
    assert.deepEqual(decodeHeader(Buffer.alloc(BLOCK)), { kind: 'zero' });
    const h = memberHeaders({ path: 'a', size: 1, mtimeMs: 0, mode: 0o644 });
    h[BLOCK * 2 + 10] = (h[BLOCK * 2 + 10] as number) ^ 0xff;
    assert.deepEqual(decodeHeader(h.subarray(BLOCK * 2, BLOCK * 3)), { kind: 'invalid' });
  });

  it('refuses names tar would change on extraction', () => {
    for (const bad of ['', '/abs', 'a/../b', 'a//b', './a', 'a/', 'nul\0']) assert.throws(() => checkMemberPath(bad), { code: 'invalid_path' }, JSON.stringify(bad));
    checkMemberPath('a/b c/ü.txt');
  });

  it('GNU tar lists a member beyond 8 GiB and ids beyond the ustar fields (sparse archive)', { skip: !tarVersion && 'GNU tar not installed' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barge-tar-'));
    try {
      const file = join(dir, 'big.tar');
      const size = 9 * 2 ** 30 + 7;
      const headers = memberHeaders({ path: 'big/file.bin', size, mtimeMs: 1_600_000_000_000, mode: 0o600, uid: 3_000_000, gid: 3_000_001 });
      const fh = await open(file, 'w');
      await fh.write(headers, 0, headers.length, 0);
      await fh.write(Buffer.alloc(EOA_BYTES), 0, EOA_BYTES, headers.length + padTo(size));
      await fh.close();
      const list = await tarVerbose(file);
      assert.deepEqual(list.map((l) => [l.mode, l.size, l.name]), [['-rw-------', size, 'big/file.bin']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
