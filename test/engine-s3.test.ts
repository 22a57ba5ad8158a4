/**
 * The engine moving data to, from and between S3 buckets on a real S3 service (Ceph RGW from
 * `scripts/s3-rgw-up.sh`), driven through the API only: a connector with the service's credentials,
 * buckets created with the SDK and imported with `-/sync`, tasks with `{type: 'cloud', storage_id}`
 * endpoints. Assertions are on the bytes (sha256 of downloaded objects or copied-back files), on what
 * the service recorded (HeadObject metadata, storage class, retention) and on what must not be left
 * (multipart uploads, `.barge-*.part` keys). Skipped with a printed reason when BARGE_TEST_S3_URL is unset.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectLegalHoldCommand, GetObjectRetentionCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { nasWithShares } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { nasEndpoint, taskRuns } from './helpers/task-runs.js';
import { reportSkipped } from '../src/storage/object/test-support.js';
import { KiB, MiB, S3Fixture, allKeys, cloud, head, leftovers, objectHashes, pendingUploads, putObject, s3TestEnv } from './helpers/s3.js';

const env = s3TestEnv();
const DAY = 86_400_000;

if ('skip' in env) reportSkipped('engine on S3 (real service)', env.skip);
else {
  describe('engine on S3 (real service)', () => {
    let b: Booted;
    let s3: S3Fixture;
    before(async () => {
      b = await boot({ engine: true, overrides: { engine: { statsIntervalMs: 100 } } });
      s3 = new S3Fixture(env, b.admin);
    });
    after(async () => {
      await s3?.cleanup();
      s3?.destroy();
      await b?.stop();
    });

    const nas = nasEndpoint;
    const { start, runTask, ledger, execLog } = taskRuns(() => b, 30_000);

    async function assertClean(bucket: string): Promise<void> {
      assert.deepEqual(await leftovers(s3.raw, bucket), { uploads: [], temps: [] }, 'no multipart upload and no temporary key left');
    }

    it('-/test checks credentials against the endpoint: good keys, bad keys, stored connector, unreachable', async () => {
      const good = await b.admin.put('/cloud_connectors/-/test', s3.connectorBody());
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.ok, true, JSON.stringify(good.body));
      assert.equal(good.body.error, null);
      assert.equal(typeof good.body.buckets, 'number');
      const badSecret = 'not-the-secret-Zq9';
      for (const bad of [{ secret_key: badSecret }, { access_key: 'AKNOSUCHKEY' }]) {
        const r = await b.admin.put('/cloud_connectors/-/test', s3.connectorBody(bad));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.ok, false, `${JSON.stringify(bad)} accepted`);
        assert.match(r.body.error, /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|Forbidden/);
        assert.ok(!JSON.stringify(r.body).includes(badSecret) && !JSON.stringify(r.body).includes(env.secretAccessKey), 'no secret in the answer');
      }
      // A stored connector (by id or by name): its sealed secret fills the gaps; a secret in the body overrides it.
      const id = await s3.connector();
      assert.equal((await b.admin.put('/cloud_connectors/-/test', { id })).body.ok, true);
      const { name } = (await b.admin.get(`/cloud_connectors/${id}`)).body;
      const byName = await b.admin.put('/cloud_connectors/-/test', { cloud_connector: { name } });
      assert.equal(byName.body.ok, true, JSON.stringify(byName.body));
      assert.equal((await b.admin.put('/cloud_connectors/-/test', { id, secret_key: badSecret })).body.ok, false);
      const down = await b.admin.put('/cloud_connectors/-/test', s3.connectorBody({ url: 'http://127.0.0.1:1' }));
      assert.equal(down.status, 200);
      assert.equal(down.body.ok, false);
      assert.ok(down.body.error);
    });

    it('-/sync imports the endpoint\'s buckets once; a connector with bad keys gets a 422', async () => {
      const [one, two] = [await s3.rawBucket('sync'), await s3.rawBucket('sync')];
      const id = await s3.connector();
      const first = await s3.sync(id);
      for (const name of [one, two]) {
        const row = first.get(name);
        assert.ok(row, `${name} imported`);
        assert.equal(row.cloud_connector_id, id);
        assert.deepEqual(row.options, {});
      }
      const again = await s3.sync(id);
      assert.equal(again.size, first.size + [...again.keys()].filter((n) => !first.has(n)).length, 'nothing imported twice');
      assert.equal(again.get(one!).id, first.get(one!).id);
      const listed = await b.admin.get(`/cloud_connectors/${id}/cloud_buckets?limit=1000&name=${one}`);
      assert.equal(listed.body.count, 1);
      const bad = await b.admin.post('/cloud_connectors', s3.connectorBody({ secret_key: 'wrong' }));
      const refused = await b.admin.put(`/cloud_connectors/${bad.body.id}/cloud_buckets/-/sync`);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.details.cloud_connector_id[0].error, 'unreachable');
      assert.equal((await b.admin.get(`/cloud_connectors/${bad.body.id}/cloud_buckets`)).body.count, 0);
    });

    for (const checksum of ['crc32', 'md5', 'xxhash64'] as const) {
      it(`copy POSIX → S3 → POSIX with ${checksum}: same bytes, attributes in metadata, reset_file_date restores mtimes`, async () => {
        const bucket = await s3.bucket(checksum, { options: { part_size: 5 * MiB } });
        const s = await nasWithShares(b.admin, ['src', 'back']);
        const files = { 'a.txt': 'alpha', 'docs/b.md': 'bravo', 'docs/deep/c.bin': 70 * KiB, '.hidden': 'dot', 'big.bin': 6 * MiB };
        await makeTree(s.src!.path, files);
        const source = await hashTree(s.src!.path); // before the dates are set: reading a file may update its atime
        const mtimes: Record<string, number> = {};
        for (const [i, f] of Object.keys(files).entries()) {
          mtimes[f] = Date.UTC(2020, 0, 2, 3, 4, 5 + i);
          await utimes(join(s.src!.path, f), new Date(Date.UTC(2021, 0, 1)), new Date(mtimes[f]!));
        }
        await chmod(join(s.src!.path, 'docs/b.md'), 0o640);

        const up = await runTask({ workflow_action: 'copy', options: { file_checksum: checksum, full_report: true }, sources: [nas(s.src!.id)], destinations: [cloud(bucket, '/in')] });
        assert.equal(up.status, 'done', JSON.stringify(up));
        assert.equal(up.nodes_done, 5);
        assert.equal(up.files_failed, 0);
        assert.equal(up.size_done, up.size_todo);
        const rows = await ledger(up.id);
        assert.equal(rows.filter((r) => r.status === 'done').length, 5);
        for (const r of rows) assert.equal(r.checksum.length, checksum === 'crc32' ? 8 : checksum === 'md5' ? 32 : 16, JSON.stringify(r));
        assert.deepEqual(await objectHashes(s3.raw, bucket.name, 'in/'), source, 'the objects hold the source bytes');
        const meta = (await head(s3.raw, bucket.name, 'in/docs/b.md')).Metadata ?? {};
        assert.equal(meta['barge-mtime'], String(mtimes['docs/b.md']));
        assert.equal(meta['barge-atime'], String(Date.UTC(2021, 0, 1)));
        assert.equal(meta['barge-mode'], '640');
        assert.equal(meta['barge-uid'], String(process.getuid!()));
        assert.match(meta['barge-checksum'] ?? '', /^xxhash64:[0-9a-f]{16}$/);
        assert.equal((await head(s3.raw, bucket.name, 'in/big.bin')).Metadata?.['barge-mtime'], String(mtimes['big.bin']));

        const down = await runTask({ workflow_action: 'copy', options: { file_checksum: checksum, reset_file_date: true }, sources: [cloud(bucket, '/in')], destinations: [nas(s.back!.id)] });
        assert.equal(down.status, 'done', JSON.stringify(down));
        assert.equal(down.nodes_done, 5);
        assert.deepEqual(await hashTree(join(s.back!.path, 'in')), source);
        for (const f of Object.keys(files)) assert.equal((await stat(join(s.back!.path, 'in', f))).mtimeMs, mtimes[f], `${f}: the original mtime is back`);
        assert.equal((await stat(join(s.back!.path, 'in/docs/b.md'))).mode & 0o777, 0o640, 'the mode kept in metadata is restored');
        await assertClean(bucket.name);
      });
    }

    it('a re-run of POSIX → S3 with rename skips the unchanged objects (their mtime is in metadata) and writes what changed', async () => {
      const bucket = await s3.bucket('rerun');
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, { 'keep.txt': 'kept bytes', 'docs/keep.md': 'also kept', 'edit.txt': 'version 1' });
      const when = new Date(Date.UTC(2021, 5, 1));
      for (const f of ['keep.txt', 'docs/keep.md', 'edit.txt']) await utimes(join(s.src!.path, f), when, when);
      const body = { workflow_action: 'copy', options: { conflict_resolution: 'rename', full_report: true }, sources: [nas(s.src!.id)], destinations: [cloud(bucket, '/r')] };
      assert.equal((await runTask(body)).status, 'done');
      await writeFile(join(s.src!.path, 'edit.txt'), 'version 2');
      const again = await runTask(body);
      assert.equal(again.status, 'done', JSON.stringify(again));
      const status = Object.fromEntries((await ledger(again.id)).map((r) => [r.src_path, [r.status, r.dst_path]]));
      assert.deepEqual(status['/keep.txt'], ['skipped', '/r/keep.txt']);
      assert.deepEqual(status['/docs/keep.md'], ['skipped', '/r/docs/keep.md']);
      assert.deepEqual(status['/edit.txt'], ['done', '/r/edit (1).txt']);
      assert.deepEqual(Object.keys(await objectHashes(s3.raw, bucket.name, 'r/')).sort(), ['docs/keep.md', 'edit (1).txt', 'edit.txt', 'keep.txt']);
      await assertClean(bucket.name);
    });

    it('move from S3: objects are removed after a verified copy, remove_root_folder prunes, nothing else is touched', async () => {
      const bucket = await s3.bucket('move');
      const s = await nasWithShares(b.admin, ['dst']);
      const data = { 'm/one.txt': 'one', 'm/sub/two.txt': 'two', 'm/sub/three.bin': 'x'.repeat(300 * KiB), 'keep.txt': 'keep' };
      for (const [k, v] of Object.entries(data)) await putObject(s3.raw, bucket.name, k, v);
      const before = await objectHashes(s3.raw, bucket.name, 'm/');
      const e = await runTask({ workflow_action: 'move', options: { file_checksum: 'md5', remove_root_folder: true }, sources: [cloud(bucket, '/m')], destinations: [nas(s.dst!.id)] });
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, 3);
      assert.deepEqual(await hashTree(join(s.dst!.path, 'm')), before);
      assert.deepEqual(await allKeys(s3.raw, bucket.name), ['keep.txt'], 'only the unselected object stays');
      await assertClean(bucket.name);
    });

    it('copy S3 → S3 between two buckets of one endpoint (one with a key prefix as root): same bytes, attributes carried over', async () => {
      const a = await s3.bucket('s3a');
      const z = await s3.bucket('s3z', { options: { part_size: 5 * MiB, prefix: 'tenant-z' } });
      await putObject(s3.raw, a.name, 's/one.txt', 'first', { 'barge-mtime': '1577836800000', 'barge-mode': '600' });
      await putObject(s3.raw, a.name, 's/deep/two.bin', Buffer.alloc(200 * KiB, 7));
      await putObject(s3.raw, a.name, 's/deep/big.bin', Buffer.alloc(11 * MiB, 3));
      const e = await runTask({ workflow_action: 'copy', options: { file_checksum: 'xxhash64' }, sources: [cloud(a, '/s')], destinations: [cloud(z, '/copy')] });
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.nodes_done, 3);
      assert.deepEqual(await objectHashes(s3.raw, z.name, 'tenant-z/copy/s/'), await objectHashes(s3.raw, a.name, 's/'));
      assert.deepEqual((await allKeys(s3.raw, z.name)).filter((k) => !k.startsWith('tenant-z/copy/')), [], 'everything lands under the bucket\'s prefix');
      const one = (await head(s3.raw, z.name, 'tenant-z/copy/s/one.txt')).Metadata ?? {};
      assert.equal(one['barge-mtime'], '1577836800000', 'the recorded mtime travels');
      assert.equal(one['barge-mode'], '600');
      // An object another tool wrote has no recorded mtime: its upload time stands in for it.
      const written = (await head(s3.raw, a.name, 's/deep/two.bin')).LastModified!.getTime();
      assert.equal((await head(s3.raw, z.name, 'tenant-z/copy/s/deep/two.bin')).Metadata?.['barge-mtime'], String(written));
      assert.deepEqual(await allKeys(s3.raw, a.name), ['s/deep/big.bin', 's/deep/two.bin', 's/one.txt'], 'the source is untouched');
      await assertClean(a.name);
      await assertClean(z.name);
    });

    it('multipart: a 12 MiB file with part_size 5 MiB goes up in 3 parts and lands whole', async () => {
      const bucket = await s3.bucket('mpu', { options: { part_size: 5 * MiB } });
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, { 'big.bin': 12 * MiB, 'small.txt': 'small' });
      const e = await runTask({ workflow_action: 'copy', options: { file_checksum: 'md5' }, sources: [nas(s.src!.id)], destinations: [cloud(bucket)] });
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.size_done, 12 * MiB + 5);
      assert.deepEqual(await objectHashes(s3.raw, bucket.name), await hashTree(s.src!.path));
      // A multipart ETag ends in "-<parts>"; RGW keeps the parts through the publishing server-side copy.
      const big = await head(s3.raw, bucket.name, 'big.bin');
      assert.equal(big.ContentLength, 12 * MiB);
      assert.match(big.ETag ?? '', /-3"$/, `ETag ${big.ETag}: 12 MiB in 5 MiB parts`);
      assert.doesNotMatch((await head(s3.raw, bucket.name, 'small.txt')).ETag ?? '', /-\d+"$/, 'a small file is one PutObject');
      await assertClean(bucket.name);
    });

    it('storage_class: objects (single and multipart) get the asked class; a class the bucket does not offer is reported as ignored', async () => {
      const bucket = await s3.bucket('class', { options: { part_size: 5 * MiB, storage_classes: ['STANDARD', 'STANDARD_IA'] } });
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, { 'small.txt': 'infrequent', 'mid.bin': 6 * MiB });
      const ia = await runTask({ workflow_action: 'copy', options: { storage_class: 'STANDARD_IA', file_checksum: 'xxhash64' }, sources: [nas(s.src!.id)], destinations: [cloud(bucket, '/ia')] });
      assert.equal(ia.status, 'done', JSON.stringify(ia));
      for (const k of ['ia/small.txt', 'ia/mid.bin']) assert.equal((await head(s3.raw, bucket.name, k)).StorageClass, 'STANDARD_IA', k);
      const glacier = await runTask({ workflow_action: 'copy', options: { storage_class: 'GLACIER' }, sources: [nas(s.src!.id)], destinations: [cloud(bucket, '/gl')] });
      assert.equal(glacier.status, 'done', JSON.stringify(glacier));
      assert.match(await execLog(glacier.id), /storage_class GLACIER ignored/);
      for (const k of ['gl/small.txt', 'gl/mid.bin']) assert.equal((await head(s3.raw, bucket.name, k)).StorageClass ?? 'STANDARD', 'STANDARD', k);
      assert.deepEqual(await objectHashes(s3.raw, bucket.name, 'ia/'), await hashTree(s.src!.path));
      await assertClean(bucket.name);
    });

    it('object lock: retention and legal hold are applied on write; an erase task reports the locked files, removes the others, never crashes', async () => {
      const bucket = await s3.bucket('lock', { objectLock: true, options: { object_lock: true, lock_mode: 'GOVERNANCE', part_size: 5 * MiB } });
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, { 'lk/a.txt': 'locked a', 'lk/sub/b.bin': 6 * MiB, 'hold/h.txt': 'held' });
      const t0 = Date.now();
      const w = await runTask({ workflow_action: 'copy', options: { object_lock_retention_period: 1, object_lock_mode: 'GOVERNANCE' }, sources: [nas(s.src!.id, '/lk')], destinations: [cloud(bucket)] });
      assert.equal(w.status, 'done', JSON.stringify(w));
      for (const k of ['lk/a.txt', 'lk/sub/b.bin']) {
        const r = (await s3.raw.send(new GetObjectRetentionCommand({ Bucket: bucket.name, Key: k }))).Retention;
        assert.equal(r?.Mode, 'GOVERNANCE', k);
        const until = r?.RetainUntilDate?.getTime() ?? 0;
        assert.ok(until >= t0 + DAY - 1000 && until <= Date.now() + DAY + 1000, `${k} retained for a day (${r?.RetainUntilDate?.toISOString()})`);
      }
      const h = await runTask({ workflow_action: 'copy', options: { object_lock_legal_hold_status: true }, sources: [nas(s.src!.id, '/hold')], destinations: [cloud(bucket, '/lk')] });
      assert.equal(h.status, 'done', JSON.stringify(h));
      assert.equal((await s3.raw.send(new GetObjectLegalHoldCommand({ Bucket: bucket.name, Key: 'lk/hold/h.txt' }))).LegalHold?.Status, 'ON');
      await putObject(s3.raw, bucket.name, 'lk/free.txt', 'not locked');
      const locked = await objectHashes(s3.raw, bucket.name, 'lk/');
      delete locked['free.txt'];

      const e = await runTask({ workflow_action: 'erase', sources: [cloud(bucket, '/lk')] });
      assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
      assert.equal(e.files_failed, 3);
      assert.equal(e.nodes_done, 1);
      const failed = await ledger(e.id);
      assert.deepEqual(failed.map((f) => [f.src_path, f.status, f.error_class]), [
        ['/lk/a.txt', 'failed', 'permission_denied'], ['/lk/hold/h.txt', 'failed', 'permission_denied'], ['/lk/sub/b.bin', 'failed', 'permission_denied'],
      ]);
      assert.deepEqual(failed.map((f) => /under legal hold|retained \(GOVERNANCE\)/.exec(f.error)?.[0]), ['retained (GOVERNANCE)', 'under legal hold', 'retained (GOVERNANCE)'], JSON.stringify(failed));
      assert.deepEqual(await objectHashes(s3.raw, bucket.name, 'lk/'), locked, 'the locked objects are still there, readable, unchanged');
      const versions = await s3.raw.send(new ListObjectVersionsCommand({ Bucket: bucket.name, Prefix: 'lk/' }));
      assert.deepEqual((versions.DeleteMarkers ?? []).map((d) => d.Key), ['lk/free.txt'], 'no delete marker hides a locked object');
      assert.equal((await b.admin.get(`/task_executions/${e.id}`)).status, 200, 'the server still answers');
      await assertClean(bucket.name);
    });

    it('inherit_object_lock_from_source: each copy gets its source object\'s retention and legal hold; an unlocked source stays unlocked', async () => {
      const from = await s3.bucket('lsrc', { objectLock: true, options: { object_lock: true, lock_mode: 'GOVERNANCE' } });
      const to = await s3.bucket('ldst', { objectLock: true, options: { object_lock: true, lock_mode: 'GOVERNANCE' } });
      const until = new Date(Math.floor((Date.now() + 2 * DAY) / 1000) * 1000);
      await s3.raw.send(new PutObjectCommand({ Bucket: from.name, Key: 'in/locked.txt', Body: 'keep', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: until }));
      await s3.raw.send(new PutObjectCommand({ Bucket: from.name, Key: 'in/held.txt', Body: 'hold', ObjectLockLegalHoldStatus: 'ON' }));
      await putObject(s3.raw, from.name, 'in/free.txt', 'free');
      const r = await runTask({ workflow_action: 'copy', options: { inherit_object_lock_from_source: true }, sources: [cloud(from, '/in')], destinations: [cloud(to)] });
      assert.equal(r.status, 'done', JSON.stringify(r));
      const retention = await s3.raw.send(new GetObjectRetentionCommand({ Bucket: to.name, Key: 'in/locked.txt' }));
      assert.equal(retention.Retention?.Mode, 'GOVERNANCE');
      assert.equal(retention.Retention?.RetainUntilDate?.getTime(), until.getTime(), 'the same date as the source');
      assert.equal((await s3.raw.send(new GetObjectLegalHoldCommand({ Bucket: to.name, Key: 'in/held.txt' }))).LegalHold?.Status, 'ON');
      const free = await head(s3.raw, to.name, 'in/free.txt');
      assert.equal(free.ObjectLockRetainUntilDate, undefined, 'no retention where the source had none');
      assert.notEqual(free.ObjectLockLegalHoldStatus, 'ON');
      assert.deepEqual(await objectHashes(s3.raw, to.name, 'in/'), await objectHashes(s3.raw, from.name, 'in/'));
    });

    it('force_stop during a multipart upload: stopped at once, no multipart upload and no temporary key left', async () => {
      const bucket = await s3.bucket('stop', { options: { part_size: 5 * MiB } });
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`big/f${i}.bin`, 16 * MiB])));
      const source = await hashTree(s.src!.path);
      const { taskId, executionId } = await start({ workflow_action: 'copy', options: { parallel: 1, file_checksum: 'xxhash64' }, sources: [nas(s.src!.id)], destinations: [cloud(bucket)] });
      await waitFor(async () => (await pendingUploads(s3.raw, bucket.name)).length > 0, 'a multipart upload in flight', 20_000, 10);
      const r = await b.admin.put(`/tasks/${taskId}/action/force_stop`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const e = (await b.admin.get(`/task_executions/${executionId}`)).body;
      assert.equal(e.status, 'stopped_by_user');
      await waitFor(async () => {
        const l = await leftovers(s3.raw, bucket.name);
        return l.uploads.length === 0 && l.temps.length === 0;
      }, 'the interrupted upload aborted and its temporary key removed', 15_000, 50);
      const landed = await objectHashes(s3.raw, bucket.name);
      assert.ok(Object.keys(landed).length < 4, `force_stop landed mid-run (${Object.keys(landed).length} of 4 copied)`);
      for (const [k, h] of Object.entries(landed)) assert.equal(h, source[k], `${k} is complete`);
      assert.equal((await b.admin.get(`/task_executions/${executionId}`)).body.status, 'stopped_by_user');
      await assertClean(bucket.name);
    });
  });
}
