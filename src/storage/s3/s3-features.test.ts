/**
 * S3 capabilities against a real S3 service (Ceph RGW in CI): storage classes, Object Lock, the POSIX
 * attributes and checksum kept in metadata, directory markers and multipart server-side copies.
 * Skipped with a printed reason when BARGE_TEST_S3_URL is not set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand, GetObjectLegalHoldCommand, GetObjectRetentionCommand, HeadObjectCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { xxhash64 } from 'hash-wasm';
import { collect, readBytes, rejectsWithCode, sha256, writeBytes } from '../conformance/helpers.js';
import { isStorageError } from '../errors.js';
import { pollUntil, reportSkipped } from '../object/test-support.js';
import { createS3Client, parseS3Config } from './s3-config.js';
import { S3Driver, createS3Driver } from './s3-driver.js';
import { classifyS3Error } from './s3-errors.js';
import { countCommands, createBucket, deleteBucket, driverConfig, rawClient, s3TestEnv, uniqueBucketName } from './s3-test-support.js';

const env = s3TestEnv();
const MiB = 1 << 20;

if ('skip' in env) reportSkipped('s3 capabilities on a real S3 service', env.skip);
else {
  const raw = rawClient(env);
  const bucket = uniqueBucketName('feat');
  const lockBucket = uniqueBucketName('lock');
  before(async () => {
    await createBucket(raw, bucket);
    await createBucket(raw, lockBucket, true);
  });
  after(async () => {
    await deleteBucket(raw, bucket);
    const gone = await deleteBucket(raw, lockBucket, true);
    if (!gone) console.log(`# bucket ${lockBucket} kept: it still holds COMPLIANCE-locked versions`);
    raw.destroy();
  });
  const head = (key: string, b = bucket) => raw.send(new HeadObjectCommand({ Bucket: b, Key: key }));

  describe('s3 storage classes on RGW', () => {
    it('round-trips STANDARD_IA and GLACIER through writes, multipart, copy, setMeta and listings', async () => {
      const d = await createS3Driver(driverConfig(env, bucket, { prefix: 'sc', partSize: 5 * MiB }));
      assert.deepEqual(d.features.storageClasses, ['STANDARD', 'STANDARD_IA', 'GLACIER']);
      await writeBytes(d, 'ia', 'infrequent', { storageClass: 'STANDARD_IA' });
      await writeBytes(d, 'cold', 'archived', { storageClass: 'GLACIER' });
      await writeBytes(d, 'cold-big', randomBytes(6 * MiB), { storageClass: 'GLACIER' });
      await writeBytes(d, 'plain', 'standard');
      assert.equal((await head('sc/ia')).StorageClass, 'STANDARD_IA', 'recorded by the service');
      assert.equal((await head('sc/cold-big')).StorageClass, 'GLACIER', 'kept through the multipart temp + copy');
      const classes = Object.fromEntries((await collect(d.list(''))).map((e) => [e.name, e.storageClass]));
      assert.deepEqual(classes, { ia: 'STANDARD_IA', cold: 'GLACIER', 'cold-big': 'GLACIER', plain: 'STANDARD' });
      await d.copy!('cold', 'cold-copy');
      assert.equal((await d.stat('cold-copy'))?.storageClass, 'GLACIER', 'copy keeps the class');
      await d.setMeta('ia', { mtimeMs: 1_000 });
      assert.equal((await d.stat('ia'))?.storageClass, 'STANDARD_IA', 'setMeta keeps the class');
      assert.equal((await readBytes(d, 'cold')).toString(), 'archived');
      await rejectsWithCode(() => d.openWrite('x', { storageClass: 'DEEP_ARCHIVE' }), 'unsupported', 'undeclared class');
      await d.close();
      const lying = await createS3Driver(driverConfig(env, bucket, { prefix: 'sc', storageClasses: ['STANDARD', 'NO_SUCH_CLASS'] }));
      await rejectsWithCode(() => writeBytes(lying, 'bad', 'x', { storageClass: 'NO_SUCH_CLASS' }), 'invalid_argument', 'class the service refuses');
      assert.equal(await lying.stat('bad'), null);
      await lying.close();
    });
  });

  describe('s3 object lock on RGW', () => {
    it('locked objects (retention, legal hold, COMPLIANCE) cannot be removed and stay readable', async () => {
      const d = await createS3Driver(driverConfig(env, lockBucket, { prefix: 'lk', objectLock: true, partSize: 5 * MiB }));
      assert.equal(d.features.objectLock, true);
      const until = Date.now() + 3_600_000;
      await writeBytes(d, 'gov', 'governed', { retainUntilMs: until });
      const retention = await raw.send(new GetObjectRetentionCommand({ Bucket: lockBucket, Key: 'lk/gov' }));
      assert.equal(retention.Retention?.Mode, 'GOVERNANCE', 'the configured default mode');
      assert.equal(retention.Retention?.RetainUntilDate?.getTime(), until);
      await rejectsWithCode(() => d.remove('gov'), 'permission_denied', 'remove under retention');
      assert.equal((await readBytes(d, 'gov')).toString(), 'governed');

      const version = (await head('lk/gov', lockBucket)).VersionId;
      const refused = await raw.send(new DeleteObjectCommand({ Bucket: lockBucket, Key: 'lk/gov', VersionId: version })).then(() => null, (e: unknown) => e);
      assert.equal(classifyS3Error(refused).code, 'permission_denied', 'the service refuses too (AccessDenied)');

      await d.setMeta('gov', { mtimeMs: 42 });
      assert.equal((await head('lk/gov', lockBucket)).ObjectLockMode, 'GOVERNANCE', 'the new version made by setMeta stays locked');
      await rejectsWithCode(() => d.remove('gov'), 'permission_denied', 'remove after setMeta');

      await writeBytes(d, 'held', 'held', { legalHold: true });
      assert.equal((await raw.send(new GetObjectLegalHoldCommand({ Bucket: lockBucket, Key: 'lk/held' }))).LegalHold?.Status, 'ON');
      await rejectsWithCode(() => d.remove('held'), 'permission_denied', 'remove under legal hold');

      // A multipart object, published by a copy: RGW ignores lock headers on CopyObject, the driver applies them after.
      // One retention date for both, with a margin: both refusals are checked before it can pass, however
      // slow the writes are on a busy machine (a 3 s retention per object once expired before its check).
      const big = randomBytes(6 * MiB);
      let verified = false;
      const compliantUntil = Date.now() + 8_000;
      const w = await d.openWrite('compliance.bin', { retainUntilMs: compliantUntil, lockMode: 'COMPLIANCE' });
      w.stream.end(big);
      await w.commit({ verify: async (stored) => { verified = sha256(Buffer.concat(await stored.toArray())) === sha256(big); } });
      assert.ok(verified);
      await writeBytes(d, 'compliance-small', 'tiny', { retainUntilMs: compliantUntil, lockMode: 'COMPLIANCE' });
      const names = ['compliance.bin', 'compliance-small'];
      for (const name of names) {
        assert.equal((await head(`lk/${name}`, lockBucket)).ObjectLockMode, 'COMPLIANCE', name);
        if (Date.now() < compliantUntil - 500) await rejectsWithCode(() => d.remove(name), 'permission_denied', `remove ${name} under COMPLIANCE retention`);
        else assert.fail(`the writes took longer than the ${name} retention: the refusal could not be checked`);
      }
      for (const name of names) {
        await pollUntil('the COMPLIANCE retention to expire', async () => d.remove(name).then(
          (removed) => removed,
          (err: unknown) => { if (isStorageError(err, 'permission_denied')) return false; throw err; },
        ));
        assert.equal(await d.stat(name), null);
      }

      await rejectsWithCode(() => d.openWrite('x', { lockMode: 'COMPLIANCE' }), 'invalid_argument', 'lockMode without a date');
      await rejectsWithCode(() => d.openWrite('x', { retainUntilMs: Date.now() - 1 }), 'invalid_argument', 'retention in the past');
      await d.close();
      const plain = await createS3Driver(driverConfig(env, bucket, { prefix: 'lk' }));
      await rejectsWithCode(() => plain.openWrite('x', { retainUntilMs: until }), 'unsupported', 'objectLock not configured');
      await plain.close();
    });
  });

  describe('s3 metadata on RGW', () => {
    it('keeps mtime, atime, mode, uid, gid, user metadata and the checksum, and reports them in stat and list', async () => {
      const d = await createS3Driver(driverConfig(env, bucket, { prefix: 'md', partSize: 5 * MiB }));
      const data = randomBytes(100_000);
      const attrs = { mtimeMs: 1_577_934_245_678.5, atimeMs: 1_612_235_045_456, mode: 0o640, uid: 1234, gid: 5678 };
      await writeBytes(d, 'm/f', data, { ...attrs, metadata: { owner: 'alice', note: 'ünïcode 日本' } });
      const st = await d.stat('m/f');
      assert.deepEqual({ mtimeMs: st?.mtimeMs, atimeMs: st?.atimeMs, mode: st?.mode, uid: st?.uid, gid: st?.gid }, attrs);
      assert.deepEqual(st?.metadata, { owner: 'alice', note: 'ünïcode 日本' });
      assert.equal(st?.checksum, `xxhash64:${await xxhash64(data)}`);
      const stored = (await head('md/m/f')).Metadata ?? {};
      assert.equal(stored['barge-mtime'], '1577934245678.5');
      assert.equal(stored['barge-mode'], '640');
      assert.equal(stored['barge-uid'], '1234');
      assert.equal(stored['barge-checksum'], st?.checksum);
      const listed = (await collect(d.list('m'))).find((e) => e.name === 'f');
      assert.deepEqual(listed, st, 'list reports what stat reports');

      await d.setMeta('m/f', { mtimeMs: 1_000_000, uid: 1 });
      const st2 = await d.stat('m/f');
      assert.deepEqual([st2?.mtimeMs, st2?.uid, st2?.gid, st2?.mode, st2?.checksum, st2?.metadata?.owner], [1_000_000, 1, 5678, 0o640, st?.checksum, 'alice']);

      await d.copy!('m/f', 'm/g', { mtimeMs: 2_000_000 });
      const st3 = await d.stat('m/g');
      assert.deepEqual([st3?.mtimeMs, st3?.uid, st3?.mode, st3?.checksum, st3?.metadata?.note], [2_000_000, 1, 0o640, st?.checksum, 'ünïcode 日本']);

      const big = randomBytes(7 * MiB);
      await writeBytes(d, 'm/big', big, { mode: 0o600 });
      assert.equal((await d.stat('m/big'))?.checksum, `xxhash64:${await xxhash64(big)}`, 'checksum of a multipart object');

      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'md/m/foreign', Body: 'from another tool' }));
      const foreign = await d.stat('m/foreign');
      assert.equal(foreign?.mtimeMs, (await head('md/m/foreign')).LastModified?.getTime(), 'LastModified without barge-mtime');
      assert.equal(foreign?.mode, undefined);
      assert.equal(foreign?.checksum, undefined);

      await d.mkdir('m/dir');
      const marker = await head('md/m/dir/');
      assert.equal(marker.ContentLength, 0);
      assert.equal(marker.ContentType, 'application/x-directory');
      await d.setMeta('m/dir', { mtimeMs: 3_000_000, mode: 0o750 });
      const dir = (await collect(d.list('m'))).find((e) => e.name === 'dir');
      assert.deepEqual([dir?.kind, dir?.mtimeMs, dir?.mode], ['dir', 3_000_000, 0o750]);
      await rejectsWithCode(() => d.openWrite('m/x', { metadata: { Upper: 'x' } }), 'invalid_argument', 'metadata name S3 would lower-case');
      await d.close();
    });
  });

  describe('s3 server-side copy on RGW', () => {
    it('copies above the single-copy threshold with UploadPartCopy parts, atomically', async () => {
      const { settings, credentials } = parseS3Config(driverConfig(env, bucket, { prefix: 'cp', partSize: 5 * MiB, multipartCopyThreshold: 5 * MiB, copyPartSize: 5 * MiB }));
      const client = createS3Client(settings, credentials);
      const counts = countCommands(client);
      const d = new S3Driver(client, settings);
      const data = randomBytes(12 * MiB + 1);
      await writeBytes(d, 'src.bin', data, { mode: 0o644 });
      assert.equal(counts.get('UploadPartCopyCommand'), 3, 'the writer published its 12 MiB temp by parts');
      assert.deepEqual(await d.copy!('src.bin', 'dst/copy.bin'), { size: data.length });
      assert.equal(counts.get('UploadPartCopyCommand'), 6);
      assert.equal(counts.get('CopyObjectCommand') ?? 0, 0);
      assert.equal(sha256(await readBytes(d, 'dst/copy.bin')), sha256(data));
      assert.equal((await d.stat('dst/copy.bin'))?.mode, 0o644);
      await d.close();
    });
  });
}
