import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { HashingStream, createHasher, hashStream } from './hashing.js';

// Reference digests of "The quick brown fox jumps over the lazy dog" (published test vectors).
const TEXT = Buffer.from('The quick brown fox jumps over the lazy dog');
const EXPECTED = { md5: '9e107d9d372bb6826bd81d3542a419d6', crc32: '414fa339', xxhash64: '0b242d361fda71bc' } as const;

describe('hashing', () => {
  for (const [algo, digest] of Object.entries(EXPECTED) as Array<[keyof typeof EXPECTED, string]>) {
    it(`${algo} matches the reference digest, fed in one chunk or many`, async () => {
      const one = await createHasher(algo);
      one.update(TEXT);
      assert.equal(one.digest(), digest);
      const pieces = [TEXT.subarray(0, 3), TEXT.subarray(3, 20), TEXT.subarray(20)];
      assert.equal((await hashStream(Readable.from(pieces), algo)).digest, digest);
    });
  }

  it('HashingStream passes bytes through unchanged while hashing and counting', async () => {
    const h = new HashingStream(await createHasher('md5'));
    const out: Buffer[] = [];
    let counted = 0;
    const counter = new HashingStream(null, (n) => (counted += n));
    await pipeline(Readable.from([TEXT.subarray(0, 10), TEXT.subarray(10)]), h, counter, new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }));
    assert.ok(Buffer.concat(out).equals(TEXT));
    assert.equal(h.digest(), EXPECTED.md5);
    assert.equal(h.bytes, TEXT.length);
    assert.equal(counted, TEXT.length);
    assert.equal(counter.digest(), null);
  });

  it('reuses xxhash64 instances without state leaking between files, and refuses use after digest', async () => {
    const a = await createHasher('xxhash64');
    a.update(Buffer.from('some other file'));
    a.digest(); // back to the pool, dirty
    const many = await Promise.all(Array.from({ length: 5 }, () => createHasher('xxhash64')));
    for (const h of many) h.update(Buffer.from(TEXT));
    for (const h of many) assert.equal(h.digest(), EXPECTED.xxhash64);
    assert.throws(() => a.update(Buffer.from('x')), /after digest/);
    assert.throws(() => many[0]!.digest(), /after digest/);
  });
});
