/**
 * The S3 driver against a real S3 service (Ceph RGW in CI, see scripts/s3-rgw-up.sh): the shared
 * conformance suite, then the writer (multipart, abort, verify), paging and crash-recovery specifics.
 * Skipped with a printed reason when BARGE_TEST_S3_URL is not set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { runConformance } from '../conformance/conformance.js';
import { readBytes, rejectsWithCode, sha256, writeBytes } from '../conformance/helpers.js';
import { chunks, outputOfKilledProcess, pollUntil, reportSkipped } from '../object/test-support.js';
import { isTempName } from '../paths.js';
import { createS3Driver } from './s3-driver.js';
import { countingDriver, createBucket, deleteBucket, driverConfig, emptyPrefix, pendingUploads, rawClient, s3TestEnv, uniqueBucketName } from './s3-test-support.js';

const env = s3TestEnv();
const MiB = 1 << 20;

async function rawKeys(raw: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const res = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key ?? '');
}

if ('skip' in env) reportSkipped('s3 driver on a real S3 service', env.skip);
else {
  const raw = rawClient(env);
  const confBucket = uniqueBucketName('conf');
  const bucket = uniqueBucketName('spec');
  before(async () => {
    await createBucket(raw, confBucket);
    await createBucket(raw, bucket);
  });
  after(async () => {
    await deleteBucket(raw, confBucket);
    await deleteBucket(raw, bucket);
    raw.destroy();
  });

  let caseNo = 0;
  runConformance('s3 (RGW)', async () => {
    const prefix = `case-${++caseNo}`;
    const driver = await createS3Driver(driverConfig(env, confBucket, { prefix, partSize: 5 * MiB }));
    return { driver, cleanup: async () => { await emptyPrefix(raw, confBucket, `${prefix}/`); } };
  });

  describe('s3 writer on RGW', () => {
    it('streams ≥ 3 parts of 5 MiB to a temporary key, verifies the stored bytes, then publishes', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'mp', partSize: 5 * MiB });
      const data = randomBytes(15 * MiB + 12_345);
      const w = await driver.openWrite('big/file.bin', { size: data.length });
      await pipeline(Readable.from(chunks(data, MiB - 3)), w.stream);
      assert.equal(await driver.stat('big/file.bin'), null, 'uploaded but not published');
      const [temp, ...others] = await rawKeys(raw, bucket, 'mp/big/');
      assert.deepEqual(others, []);
      assert.ok(temp !== undefined && isTempName(temp.slice('mp/big/'.length)), `temporary key: ${String(temp)}`);
      const tempHead = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: temp }));
      assert.match(tempHead.ETag ?? '', /-4"$/, 'a multipart object of 4 parts');
      assert.equal(counts.get('UploadPartCommand'), 4);
      assert.equal(counts.get('PutObjectCommand') ?? 0, 0, 'never a single PUT of a large object');
      let verified = '';
      await w.commit({ verify: async (stored) => { verified = sha256(Buffer.concat(await stored.toArray())); } });
      assert.equal(verified, sha256(data), 'verify read the stored bytes');
      assert.equal(sha256(await readBytes(driver, 'big/file.bin')), sha256(data));
      assert.deepEqual(await rawKeys(raw, bucket, 'mp/big/'), ['mp/big/file.bin'], 'temporary key removed');
      assert.deepEqual(await pendingUploads(raw, bucket, 'mp/'), []);
      await driver.close();
    });

    it('publishes a small object with one PUT and no temporary key when no verify is asked', async () => {
      const { driver, counts } = countingDriver(env, bucket, { prefix: 'small' });
      const w = await driver.openWrite('s.txt');
      w.stream.end('tiny');
      await w.commit();
      assert.equal(counts.get('PutObjectCommand'), 1);
      assert.equal(counts.get('CopyObjectCommand') ?? 0, 0);
      assert.equal(counts.get('GetObjectCommand') ?? 0, 0, 'no read-back without verify');
      assert.deepEqual(await rawKeys(raw, bucket, 'small/'), ['small/s.txt']);
      await driver.close();
    });

    for (const how of ['abort()', 'signal', 'close()', 'stream error'] as const) {
      it(`a multipart upload stopped by ${how} leaves no upload and no object`, async () => {
        const prefix = `ab-${how.replace(/\W/g, '')}`;
        const driver = await createS3Driver(driverConfig(env, bucket, { prefix, partSize: 5 * MiB }));
        const ac = new AbortController();
        const w = await driver.openWrite('x/big.bin', { signal: ac.signal });
        for (let i = 0; i < 12; i++) await new Promise<void>((resolve, reject) => w.stream.write(randomBytes(MiB), (e) => (e ? reject(e) : resolve())));
        await pollUntil('the multipart upload to start', async () => (await pendingUploads(raw, bucket, `${prefix}/`)).length === 1);
        if (how === 'abort()') await w.abort();
        if (how === 'signal') ac.abort();
        if (how === 'close()') await driver.close();
        if (how === 'stream error') w.stream.destroy(new Error('source failed'));
        await assert.rejects(w.commit());
        assert.deepEqual(await pendingUploads(raw, bucket, `${prefix}/`), [], 'no multipart upload left');
        assert.deepEqual(await rawKeys(raw, bucket, `${prefix}/`), [], 'no object, no temporary key');
        await driver.close();
      });
    }

    it('lists ≥ 2,500 keys page by page (listPageSize 500), streaming from the first page', async () => {
      const names = Array.from({ length: 2_600 }, (_, i) => `k${String(i).padStart(4, '0')}`);
      const todo = [...names.map((n) => `ls/many/${n}`), 'ls/many/sub1/x', 'ls/many/sub2/y'];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let key = todo.pop(); key !== undefined; key = todo.pop()) await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'v' }));
      }));
      for (const listMetadata of [true, false]) {
        const { driver, counts } = countingDriver(env, bucket, { prefix: 'ls', listPageSize: 500, listMetadata });
        const seen = new Map<string, string>();
        for await (const e of driver.list('many')) {
          if (seen.size === 0) assert.ok((counts.get('ListObjectsV2Command') ?? 0) <= 2, 'first entry before the later pages are fetched');
          seen.set(e.name, e.kind);
        }
        assert.equal(seen.size, 2_602);
        assert.ok(names.every((n) => seen.get(n) === 'file'));
        assert.equal(seen.get('sub1'), 'dir');
        assert.ok((counts.get('ListObjectsV2Command') ?? 0) >= 6, `pages: ${String(counts.get('ListObjectsV2Command'))}`);
        assert.equal((counts.get('HeadObjectCommand') ?? 0) > 0, listMetadata, 'HEAD per entry only with listMetadata');
        await driver.close();
      }
    });
  });

  describe('s3 crash recovery on RGW', () => {
    it('cleanupTemp removes stale temporary objects and aborts stale uploads, never live ones', async () => {
      const driver = await createS3Driver(driverConfig(env, bucket, { prefix: 'ct', partSize: 5 * MiB }));
      const staleKey = 'ct/c/.stale.bin.barge-0123456789abcdef.part';
      const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: staleKey }));
      await raw.send(new UploadPartCommand({ Bucket: bucket, Key: staleKey, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 1) }));
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'ct/c/d/.old.bin.barge-abcdefabcdef0123.part', Body: 'left over' }));
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'ct/c/keep', Body: 'keep' }));
      const live = await driver.openWrite('c/live.bin');
      const liveData = randomBytes(7 * MiB);
      live.stream.write(liveData);
      await pollUntil('the live upload to start', async () => (await pendingUploads(raw, bucket, 'ct/c/')).length === 2);

      assert.deepEqual(await driver.cleanupTemp('c', { minAgeMs: 3_600_000 }), { paths: [], bytes: 0 }, 'too young');
      const dry = await driver.cleanupTemp('c', { dryRun: true });
      assert.deepEqual([...dry.paths].sort(), ['c/.stale.bin.barge-0123456789abcdef.part', 'c/d/.old.bin.barge-abcdefabcdef0123.part']);
      assert.equal(dry.bytes, 5 * MiB + 'left over'.length);
      assert.equal((await pendingUploads(raw, bucket, 'ct/c/')).length, 2, 'dry run removes nothing');
      assert.deepEqual((await driver.cleanupTemp('c', { recursive: false })).paths, ['c/.stale.bin.barge-0123456789abcdef.part']);
      assert.deepEqual((await driver.cleanupTemp('c')).paths, ['c/d/.old.bin.barge-abcdefabcdef0123.part']);
      assert.deepEqual((await pendingUploads(raw, bucket, 'ct/c/')).map((u) => u.key.includes('live.bin')), [true], 'only the live upload is left');
      live.stream.end();
      await live.commit();
      assert.equal(sha256(await readBytes(driver, 'c/live.bin')), sha256(liveData));
      assert.deepEqual((await rawKeys(raw, bucket, 'ct/c/')).sort(), ['ct/c/keep', 'ct/c/live.bin']);
      assert.deepEqual(await pendingUploads(raw, bucket, 'ct/'), []);
      await driver.close();
    });

    it('a writer process killed mid-upload leaves an upload that cleanupTemp aborts', async () => {
      const config = driverConfig(env, bucket, { prefix: 'crash', partSize: 5 * MiB });
      const driverModule = fileURLToPath(new URL('./s3-driver.ts', import.meta.url));
      const supportModule = fileURLToPath(new URL('./s3-test-support.ts', import.meta.url));
      const objectSupport = fileURLToPath(new URL('../object/test-support.ts', import.meta.url));
      const script = `
        import { createS3Driver } from ${JSON.stringify(driverModule)};
        import { pendingUploads, rawClient } from ${JSON.stringify(supportModule)};
        import { pollUntil } from ${JSON.stringify(objectSupport)};
        const d = await createS3Driver(${JSON.stringify(config)});
        const w = await d.openWrite('victim/big.bin');
        w.stream.write(Buffer.alloc(${7 * MiB}, 7));
        await pollUntil('upload', async () => (await pendingUploads(rawClient(${JSON.stringify(env)}), ${JSON.stringify(bucket)}, 'crash/')).length > 0);
        console.log('uploading');
        process.exit(137);`;
      assert.match(await outputOfKilledProcess(script), /uploading/);
      assert.equal((await pendingUploads(raw, bucket, 'crash/')).length, 1, 'the dead writer left its upload');
      const driver = await createS3Driver(config);
      assert.equal(await driver.stat('victim/big.bin'), null);
      const result = await driver.cleanupTemp('victim');
      assert.equal(result.paths.length, 1);
      assert.ok(isTempName(result.paths[0]?.slice('victim/'.length) ?? ''), String(result.paths[0]));
      assert.deepEqual(await pendingUploads(raw, bucket, 'crash/'), []);
      await driver.close();
    });
  });

  describe('s3 errors on RGW', () => {
    it('maps wrong credentials, a missing bucket and a missing object', async () => {
      const wrong = await createS3Driver(driverConfig(env, bucket, { secretAccessKey: 'not-the-secret', maxAttempts: 1 }));
      await rejectsWithCode(() => wrong.stat('x'), 'permission_denied', 'wrong secret');
      await wrong.close();
      const missing = await createS3Driver(driverConfig(env, 'barge-no-such-bucket-here', { maxAttempts: 1 }));
      await rejectsWithCode(() => writeBytes(missing, 'x', 'y'), 'not_found', 'missing bucket');
      await missing.close();
      const d = await createS3Driver(driverConfig(env, bucket, { prefix: 'err' }));
      await rejectsWithCode(() => d.openRead('nope'), 'not_found', 'missing object');
      await d.close();
    });
  });
}
