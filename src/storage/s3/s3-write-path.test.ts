/**
 * The S3 driver's per-file write path on a real S3 service (Ceph RGW in CI): what a written file costs in
 * requests, and the safety properties the cheaper path must keep — a file is never written over a
 * directory, a small object is verified before anything is visible and published by one PutObject whose
 * signed payload SHA-256 the service checks, and nothing is left behind when that check or `verify` fails.
 * Skipped with a printed reason when BARGE_TEST_S3_URL is not set.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { xxhash64 } from 'hash-wasm';
import { collect, forEachLimit, readBytes, rejectsWithCode, writeBytes } from '../conformance/helpers.js';
import { isStorageError } from '../errors.js';
import { reportSkipped } from '../object/test-support.js';
import { createS3Client, parseS3Config } from './s3-config.js';
import { S3Objects } from './s3-objects.js';
import type { RequestHandlerLike } from './s3-test-support.js';
import { countingDriver, createBucket, deleteBucket, driverConfig, pendingUploads, rawClient, s3TestEnv, uniqueBucketName } from './s3-test-support.js';

const env = s3TestEnv();

async function rawKeys(raw: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const res = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key ?? '').sort();
}

if ('skip' in env) reportSkipped('s3 write path on a real S3 service', env.skip);
else {
  const raw = rawClient(env);
  const bucket = uniqueBucketName('wp');
  before(async () => { await createBucket(raw, bucket); });
  after(async () => {
    await deleteBucket(raw, bucket);
    raw.destroy();
  });

  describe('s3 write path on RGW: requests per file', () => {
    it('writes many small files into a folder with one PutObject each and one LIST for the whole folder', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'bulk' });
      const names = Array.from({ length: 40 }, (_, i) => `f${i}`);
      await forEachLimit(names, 8, async (n) => { await writeBytes(driver, `d/${n}`, `data ${n}`, { size: `data ${n}`.length }); });
      assert.equal(counts.get('PutObjectCommand'), 40);
      assert.equal(counts.get('ListObjectsV2Command'), 1, 'the parent is listed once, not once per file');
      assert.equal(counts.get('HeadObjectCommand'), 1, 'the ancestor "d" is checked once');
      assert.equal((counts.get('CopyObjectCommand') ?? 0) + (counts.get('GetObjectCommand') ?? 0) + (counts.get('DeleteObjectCommand') ?? 0), 0);
      assert.equal((await rawKeys(raw, bucket, 'bulk/d/')).length, 40);
      await driver.close();
    });

    it('records the right checksum for every file while hashers are reused, also after aborted writers', async () => {
      const { driver } = countingDriver(env, bucket, { prefix: 'sums' });
      const contents = Array.from({ length: 24 }, (_, i) => randomBytes(1_000 + i * 997));
      await forEachLimit(contents.map((c, i) => ({ c, i })), 6, async ({ c, i }) => {
        if (i % 4 === 0) {
          const doomed = await driver.openWrite(`h/aborted-${i}`);
          doomed.stream.write(randomBytes(5_000)); // leaves its hasher mid-way before going back to the pool
          await doomed.abort();
        }
        await writeBytes(driver, `h/f${i}`, c);
      });
      for (const [i, c] of contents.entries()) assert.equal((await driver.stat(`h/f${i}`))?.checksum, `xxhash64:${await xxhash64(c)}`, `h/f${i}`);
      assert.equal((await rawKeys(raw, bucket, 'sums/')).length, contents.length, 'nothing of the aborted writers');
      await driver.close();
    });

    it('needs no LIST at all when the folder was just listed (as the engine planner does)', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'planned' });
      await rejectsWithCode(() => collect(driver.list('fresh')), 'not_found', 'a destination folder that does not exist yet');
      const listed = counts.get('ListObjectsV2Command') ?? 0;
      for (let i = 0; i < 5; i++) await writeBytes(driver, `fresh/f${i}`, 'x');
      assert.equal(counts.get('ListObjectsV2Command') ?? 0, listed, 'the listing answered for every file');
      await driver.close();
    });
  });

  describe('s3 write path on RGW: a file is never written over a directory', () => {
    it('refuses a directory made by another client, whatever the parent listing says', async () => {
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'dirs/x/sub/inner', Body: 'by another tool' }));
      for (const extra of [{}, { listPageSize: 1 }]) {
        const { driver } = countingDriver(env, bucket, { prefix: 'dirs', ...extra });
        await rejectsWithCode(() => driver.openWrite('x/sub'), 'is_a_directory', `cold cache ${JSON.stringify(extra)}`);
        await writeBytes(driver, 'x/file', 'ok');
        await rejectsWithCode(() => driver.openWrite('x/sub'), 'is_a_directory', `warm cache ${JSON.stringify(extra)}`);
        await collect(driver.list('x'));
        await rejectsWithCode(() => driver.openWrite('x/sub'), 'is_a_directory', `after list() ${JSON.stringify(extra)}`);
        await driver.close();
      }
    });

    it('never trusts a cached listing over what the same driver created since', async () => {
      const { driver } = countingDriver(env, bucket, { prefix: 'own' });
      await writeBytes(driver, 'y/first', 'warms the listing of y');
      await writeBytes(driver, 'y/a/f', 'makes y/a a directory');
      await rejectsWithCode(() => driver.openWrite('y/a'), 'is_a_directory', 'a directory made by a write');
      await driver.mkdir('y/m');
      await rejectsWithCode(() => driver.openWrite('y/m'), 'is_a_directory', 'a directory made by mkdir');
      await driver.copy!('y/first', 'y/c/g');
      await rejectsWithCode(() => driver.openWrite('y/c'), 'is_a_directory', 'a directory made by copy');
      await driver.close();
    });

    it('re-checks a cached directory name, so a directory removed meanwhile can become a file', async () => {
      const { driver } = countingDriver(env, bucket, { prefix: 'gone' });
      await writeBytes(driver, 'z/d/f', 'soon removed');
      assert.equal(await driver.remove('z/d/f'), true);
      await writeBytes(driver, 'z/d', 'now a file');
      assert.equal((await readBytes(driver, 'z/d')).toString(), 'now a file');
      await driver.close();
    });
  });

  describe('s3 write path on RGW: small objects with verify', () => {
    it('verifies the bytes before anything is visible, then publishes them with one PutObject', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'sv' });
      const data = randomBytes(100_000);
      const w = await driver.openWrite('v/ok.bin', { size: data.length });
      w.stream.end(data);
      let seen: Buffer | undefined;
      await w.commit({
        verify: async (stored) => {
          assert.equal(await driver.stat('v/ok.bin'), null, 'not visible while verifying');
          assert.deepEqual(await rawKeys(raw, bucket, 'sv/'), [], 'no temporary object either');
          seen = Buffer.concat(await stored.toArray());
        },
      });
      assert.ok(seen?.equals(data));
      assert.equal(counts.get('PutObjectCommand'), 1);
      for (const c of ['GetObjectCommand', 'CopyObjectCommand', 'DeleteObjectCommand', 'CreateMultipartUploadCommand']) assert.equal(counts.get(c) ?? 0, 0, c);
      assert.ok((await readBytes(driver, 'v/ok.bin')).equals(data));
      assert.equal((await driver.stat('v/ok.bin'))?.checksum, `xxhash64:${await xxhash64(data)}`);
      await driver.close();
    });

    it('a failing verify publishes nothing and leaves no key and no upload', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'sf' });
      const w = await driver.openWrite('v/bad.bin');
      w.stream.end('payload');
      await assert.rejects(w.commit({ verify: async (stored) => { stored.resume(); throw new Error('checksum mismatch'); } }), /checksum mismatch/);
      assert.equal(counts.get('PutObjectCommand') ?? 0, 0);
      assert.deepEqual(await rawKeys(raw, bucket, 'sf/'), []);
      assert.deepEqual(await pendingUploads(raw, bucket, 'sf/'), []);
      await driver.close();
    });

    it('the service refuses a PUT whose bytes differ from its signed SHA-256 (what makes the in-memory verify safe)', async () => {
      const { settings, credentials } = parseS3Config(driverConfig(env, bucket, { prefix: 'sha', maxAttempts: 1 }));
      const client = createS3Client(settings, credentials);
      const objects = new S3Objects(client, settings);
      const verified = randomBytes(4096);
      const sent = Buffer.from(verified);
      sent[0] = (sent[0] as number) ^ 0xff;
      const err = await objects.put('sha/k', sent, { metadata: {}, contentType: 'application/octet-stream' }, 'k', undefined, createHash('sha256').update(verified).digest('hex'))
        .then(() => undefined, (e: unknown) => e);
      assert.ok(isStorageError(err, 'io') && err.retryable && err.sysCode === 'XAmzContentSHA256Mismatch', `expected a retryable XAmzContentSHA256Mismatch io error, got ${String(err)}`);
      assert.deepEqual(await rawKeys(raw, bucket, 'sha/'), []);
      client.destroy();
    });

    it('bytes altered on the way to the service are refused: nothing is published, with or without verify', async () => {
      const { driver, client } = countingDriver(env, bucket, { prefix: 'wire', maxAttempts: 1 });
      const handler = client.config.requestHandler as unknown as RequestHandlerLike;
      const send = handler.handle.bind(handler);
      handler.handle = async (request, options) => {
        if (request.method === 'PUT' && Buffer.isBuffer(request.body) && request.body.length > 0) {
          const bad = Buffer.from(request.body);
          bad[0] = (bad[0] as number) ^ 0xff;
          request.body = bad;
        }
        return send(request, options);
      };
      const w = await driver.openWrite('v/corrupt.bin');
      w.stream.end(randomBytes(4096));
      let verified = false;
      const err = await w.commit({ verify: async (stored) => { await stored.toArray(); verified = true; } }).then(() => undefined, (e: unknown) => e);
      assert.ok(verified, 'verify saw the intended bytes');
      assert.ok(isStorageError(err, 'io') && err.retryable, `a retryable io error, got ${String(err)}`);
      await rejectsWithCode(() => writeBytes(driver, 'v/also-corrupt', 'no verify'), 'io', 'without verify');
      assert.deepEqual(await rawKeys(raw, bucket, 'wire/'), []);
      await driver.close();
    });
  });
}
