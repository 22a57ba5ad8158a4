/**
 * The shared object-store writer without a server, over an in-memory store that implements the "blob
 * ops" (write-backend.ts): which requests a write makes on each path (one put within the head, staging
 * beyond it), that nothing is published unverified, that every failure and abort discards what was
 * staged, and the noReplace rules. The real stores are checked by the conformance suite in
 * s3-driver.test.ts (RGW) and azure-driver.test.ts (Azurite).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { xxhash64 } from 'hash-wasm';
import { rejectsWithCode } from '../conformance/helpers.js';
import { StorageError, toStorageError } from '../errors.js';
import { chunks } from './test-support.js';
import { ObjectWriter } from './object-writer.js';
import { idleHeadBuffers } from './head-buffers.js';
import type { ObjectWriteBackend, SealedTemp, Staging, StagingHost, WriteCallback } from './write-backend.js';

/** What the fake store holds and what it was asked. */
class FakeStore {
  final: { data: Buffer; checksum: string | undefined } | undefined;
  temp: Buffer[] | undefined;
  readonly calls: string[] = [];
  failStaging = false;
  /** The put/publish fails with `exists` when something is at the final name and noReplace is asked. */
  conditional(noReplace: boolean): void {
    if (noReplace && this.final !== undefined) throw new StorageError('exists', 'already there');
  }
}

class FakeStaging implements Staging<string, SealedTemp> {
  constructor(private readonly store: FakeStore, private readonly host: StagingHost) {
    store.temp = [];
    store.calls.push('stage');
  }

  write(list: readonly Buffer[], cb: WriteCallback): void {
    if (this.store.failStaging) {
      const error = this.host.errorOf(new StorageError('io', 'staging failed', { retryable: true }));
      this.host.fail(error);
      cb(error);
      return;
    }
    this.store.temp?.push(...list);
    setImmediate(cb);
  }

  async end(): Promise<void> {}

  async seal(): Promise<SealedTemp | null> {
    this.store.calls.push('seal');
    return this.store.temp === undefined ? null : { size: Buffer.concat(this.store.temp).length };
  }

  async readBack(): Promise<Readable | null> {
    this.store.calls.push('readBack');
    return Readable.from([Buffer.concat(this.store.temp ?? [])]);
  }

  async publish(_sealed: SealedTemp, checksum: string, noReplace: boolean): Promise<void> {
    this.store.calls.push('publish');
    this.store.conditional(noReplace);
    this.store.final = { data: Buffer.concat(this.store.temp ?? []), checksum };
  }

  async removeTemp(): Promise<void> {
    this.store.calls.push('removeTemp');
    this.store.temp = undefined;
  }

  async discard(): Promise<void> {
    this.store.calls.push('discard');
    this.store.temp = undefined;
  }
}

/** A backend whose published "params" are the checksum itself, so the tests can see what was recorded. */
function backend(store: FakeStore, settled: boolean[], headLimit = 16): ObjectWriteBackend<string, SealedTemp> {
  return {
    path: 'dir/file',
    headLimit,
    params: (checksum) => checksum,
    startStaging: (host) => new FakeStaging(store, host),
    payloadDigest: (data) => createHash('sha256').update(data).digest(),
    putFinal: async (data, digest, checksum, noReplace) => {
      store.calls.push('put');
      // As the service does with the digest the request carries (S3: x-amz-content-sha256; Azure: Content-MD5).
      if (!digest.equals(createHash('sha256').update(data).digest())) throw new StorageError('io', 'the bytes differ from the digest (BadDigest)', { retryable: true });
      store.conditional(noReplace);
      store.final = { data: Buffer.from(data), checksum }; // a service keeps its own copy of what was sent
    },
    finalObject: async () => {
      const f = store.final;
      return f === undefined ? null : { size: f.data.length, checksum: f.checksum, read: async () => Readable.from([f.data]) };
    },
    classify: (err) => toStorageError(err),
    done: (published) => { settled.push(published); },
  };
}

async function write(store: FakeStore, settled: boolean[], data: Buffer, options: { noReplace?: boolean; verify?: (b: Buffer) => void } = {}): Promise<number> {
  const w = await ObjectWriter.open(backend(store, settled), { noReplace: options.noReplace });
  await pipeline(Readable.from(chunks(data, 5)), w.stream);
  const verify = options.verify;
  const result = await w.commit(verify === undefined ? {} : { verify: async (s) => verify(Buffer.concat(await s.toArray())) });
  return result.size;
}

describe('object-store writer (in-memory blob ops)', () => {
  it('publishes a head-sized object with one put, verified before it, and records its xxhash64', async () => {
    const store = new FakeStore();
    const settled: boolean[] = [];
    const data = Buffer.from('sixteen bytes!!!');
    let seen: Buffer | undefined;
    assert.equal(await write(store, settled, data, { verify: (b) => { seen = b; assert.equal(store.final, undefined, 'nothing published before verify'); } }), 16);
    assert.deepEqual(seen, data);
    assert.deepEqual(store.calls, ['put']);
    assert.equal(store.final?.checksum, `xxhash64:${await xxhash64(data)}`);
    assert.deepEqual(settled, [true]);
  });

  it('stages beyond the head, reads the sealed temporary object back for verify, publishes, removes it', async () => {
    const store = new FakeStore();
    const settled: boolean[] = [];
    const data = Buffer.from('more than sixteen bytes, staged');
    let seen: Buffer | undefined;
    await write(store, settled, data, { verify: (b) => { seen = b; } });
    assert.deepEqual(seen, data);
    assert.deepEqual(store.calls, ['stage', 'seal', 'readBack', 'publish', 'removeTemp']);
    assert.deepEqual(store.final?.data, data);
    assert.equal(store.temp, undefined);
    assert.deepEqual(settled, [true]);
  });

  it('a rejecting verify publishes nothing and discards what was staged', async () => {
    for (const data of [Buffer.from('small'), Buffer.from('large enough to be staged first')]) {
      const store = new FakeStore();
      const settled: boolean[] = [];
      await assert.rejects(write(store, settled, data, { verify: () => { throw new StorageError('checksum_mismatch', 'no'); } }), /no/);
      assert.equal(store.final, undefined);
      assert.equal(store.temp, undefined);
      assert.ok(!store.calls.includes('put') && !store.calls.includes('publish'));
      assert.deepEqual(settled, [false]);
    }
  });

  it('a failed staging request fails the pipeline and the commit, and discards the staging', async () => {
    const store = new FakeStore();
    store.failStaging = true;
    const settled: boolean[] = [];
    const w = await ObjectWriter.open(backend(store, settled), {});
    await assert.rejects(pipeline(Readable.from(chunks(Buffer.alloc(40, 1), 20)), w.stream), /staging failed/);
    await rejectsWithCode(() => w.commit(), 'io');
    assert.ok(store.calls.includes('discard'));
    assert.deepEqual(settled, [false]);
  });

  it('abort while staging discards; commit then rejects with aborted; abort is idempotent', async () => {
    const store = new FakeStore();
    const settled: boolean[] = [];
    const ac = new AbortController();
    const w = await ObjectWriter.open(backend(store, settled), { signal: ac.signal });
    await new Promise<void>((resolve) => w.stream.write(Buffer.alloc(40, 2), () => resolve()));
    assert.equal(store.calls[0], 'stage');
    ac.abort();
    await w.abort();
    await w.abort();
    await rejectsWithCode(() => w.commit(), 'aborted');
    assert.deepEqual(store.calls, ['stage', 'discard']);
    assert.deepEqual(settled, [false]);
  });

  it('noReplace: the same bytes already there are this copy; different bytes are `exists`, not retryable', async () => {
    for (const data of [Buffer.from('tiny'), Buffer.from('big enough to be staged, twice over')]) {
      const store = new FakeStore();
      await write(store, [], data);
      assert.equal(await write(store, [], data, { noReplace: true }), data.length, 'a redo finds its own copy');
      store.final = { data, checksum: undefined };
      assert.equal(await write(store, [], data, { noReplace: true }), data.length, 'no recorded checksum: the bytes are hashed');
      const other = Buffer.from(data.toString().toUpperCase());
      const settled: boolean[] = [];
      const err = await write(store, settled, other, { noReplace: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof StorageError && err.code === 'exists' && !err.retryable, String(err));
      assert.deepEqual(store.final.data, data, 'what was there is kept');
      assert.equal(store.temp, undefined, 'nothing left staged');
      assert.deepEqual(settled, [false]);
    }
  });

  it('with the size announced, the head is filled in one buffer: a producer reusing its buffer changes nothing stored', async () => {
    const store = new FakeStore();
    const data = Buffer.from('fifteen bytes!!');
    const w = await ObjectWriter.open(backend(store, []), { size: data.length });
    const reused = Buffer.alloc(4);
    for (let at = 0; at < data.length; at += reused.length) {
      const n = data.copy(reused, 0, at, at + reused.length);
      await new Promise<void>((resolve, reject) => w.stream.write(reused.subarray(0, n), (err) => (err ? reject(err) : resolve())));
      reused.fill(0x2a); // the producer's next read lands in the same buffer
    }
    w.stream.end();
    assert.equal((await w.commit()).size, data.length);
    assert.deepEqual(store.final?.data, data);
    assert.deepEqual(store.calls, ['put']);
  });

  it('more or fewer bytes than announced fail with size_mismatch and publish nothing, within the head or beyond it', async () => {
    for (const [size, bytes] of [[10, 16], [10, 40], [12, 7], [0, 3]] as const) {
      const store = new FakeStore();
      const settled: boolean[] = [];
      const w = await ObjectWriter.open(backend(store, settled), { size });
      await pipeline(Readable.from(chunks(Buffer.alloc(bytes, 7), 5)), w.stream);
      await rejectsWithCode(() => w.commit(), 'size_mismatch', `${bytes} bytes announced as ${size}`);
      assert.equal(store.final, undefined);
      assert.equal(store.temp, undefined, 'nothing left staged');
      assert.deepEqual(settled, [false]);
    }
  });

  it('the put carries the digest of the bytes as they were before verify: a verify that alters them publishes nothing', async () => {
    const store = new FakeStore();
    const data = Buffer.from('sixteen bytes!!!');
    const w = await ObjectWriter.open(backend(store, []), { size: data.length });
    w.stream.end(data);
    const err = await w.commit({ verify: async (s) => { for (const c of await s.toArray()) (c as Buffer).fill(0); } }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StorageError && err.code === 'io', String(err));
    assert.equal(store.final, undefined);
  });

  it('large heads come from a pool: given back after a successful put, reused by the next file, never after a failed one', async () => {
    const MiB = 1 << 20;
    const store = new FakeStore();
    const one = async (data: Buffer, verify?: () => void): Promise<void> => {
      const w = await ObjectWriter.open(backend(store, [], 2 * MiB), { size: data.length });
      await pipeline(Readable.from(chunks(data, 256 * 1024)), w.stream);
      await w.commit(verify === undefined ? {} : { verify: async (s) => { await s.toArray(); verify(); } });
    };
    const a = Buffer.alloc(MiB + 5, 1);
    const b = Buffer.alloc(MiB + 9, 2);
    const before = idleHeadBuffers();
    await one(a);
    assert.deepEqual(store.final?.data, a);
    assert.equal(idleHeadBuffers(), before + 1, 'given back after the put');
    await one(b);
    assert.deepEqual(store.final?.data, b, 'the reused buffer carries the second file exactly');
    assert.equal(idleHeadBuffers(), before + 1, 'taken and given back again');
    await assert.rejects(one(Buffer.alloc(MiB + 3, 3), () => { throw new StorageError('checksum_mismatch', 'no'); }), /no/);
    assert.equal(idleHeadBuffers(), before, 'a failed commit does not give its buffer back');
    assert.deepEqual(store.final?.data, b);
  });

  it('a wrong expected size fails before anything is published', async () => {
    const store = new FakeStore();
    const w = await ObjectWriter.open(backend(store, []), { size: 3 });
    w.stream.end(Buffer.from('four'));
    await rejectsWithCode(() => w.commit(), 'size_mismatch');
    assert.equal(store.final, undefined);
  });
});
