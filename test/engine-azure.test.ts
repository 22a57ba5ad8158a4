/**
 * The engine moving data to, from and through Azure Blob storage (Azurite from `scripts/azurite-up.sh`),
 * driven through the API only: a connector with provider `azure` (url = blob endpoint, access_key =
 * account, secret_key = account key), containers created with the SDK and imported with `-/sync`, tasks
 * with `{type: 'cloud', storage_id}` endpoints. Assertions are on the bytes (sha256 of blobs, objects and
 * copied-back files), on what the service recorded (metadata, access tier) and on what must not be left
 * (temporary blobs, staged blocks). The S3 hop runs on the test RGW when BARGE_TEST_S3_URL is set.
 * Skipped with a printed reason when BARGE_TEST_AZURE_URL is unset.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, chmod, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { AzureFixture, allBlobs, azureLeftovers, azureTestEnv, blobHashes } from './helpers/azure.js';
import { nasWithShares } from './helpers/fixtures.js';
import { KiB, MiB, S3Fixture, cloud, head, leftovers, objectHashes, s3TestEnv } from './helpers/s3.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { nasEndpoint, taskRuns } from './helpers/task-runs.js';
import { reportSkipped } from '../src/storage/object/test-support.js';

const env = azureTestEnv();
const s3env = s3TestEnv();

if ('skip' in env) reportSkipped('engine on Azure Blob (Azurite)', env.skip);
else {
  describe('engine on Azure Blob (Azurite)', () => {
    let b: Booted;
    let az: AzureFixture;
    let s3: S3Fixture | undefined;
    before(async () => {
      b = await boot({ engine: true, overrides: { engine: { statsIntervalMs: 100 } } });
      az = new AzureFixture(env, b.admin);
      if (!('skip' in s3env)) s3 = new S3Fixture(s3env, b.admin);
    });
    after(async () => {
      await az?.cleanup();
      await s3?.cleanup();
      s3?.destroy();
      await b?.stop();
    });

    const nas = nasEndpoint;
    const { start, runTask, ledger, execLog } = taskRuns(() => b, 60_000);
    const props = (container: string, name: string) => az.raw.getContainerClient(container).getBlockBlobClient(name).getProperties();

    /** A source tree with names Azure would alter, a staged (multi-block) file, dates and a mode. */
    async function sourceTree(path: string): Promise<{ hashes: Record<string, string>; mtimes: Record<string, number> }> {
      const files = { 'a.txt': 'alpha', 'docs/b.md': 'bravo', 'docs/deep/c.bin': 70 * KiB, '.hidden': 'dot', 'big.bin': 3 * MiB + 17, 'odd\\name.': 'backslash and trailing dot' };
      await makeTree(path, files);
      const hashes = await hashTree(path);
      const mtimes: Record<string, number> = {};
      for (const [i, f] of Object.keys(files).entries()) {
        mtimes[f] = Date.UTC(2020, 0, 2, 3, 4, 5 + i);
        await utimes(join(path, f), new Date(Date.UTC(2021, 0, 1)), new Date(mtimes[f]!));
      }
      await chmod(join(path, 'docs/b.md'), 0o640);
      return { hashes, mtimes };
    }

    it('-/test checks an Azure connector against the account: good key, bad key, stored connector, unreachable', async () => {
      const good = await b.admin.put('/cloud_connectors/-/test', az.connectorBody());
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.ok, true, JSON.stringify(good.body));
      assert.equal(typeof good.body.buckets, 'number');
      const badKey = Buffer.from('not-the-account-key-Zq9').toString('base64');
      const bad = await b.admin.put('/cloud_connectors/-/test', az.connectorBody({ secret_key: badKey }));
      assert.equal(bad.body.ok, false, JSON.stringify(bad.body));
      assert.match(bad.body.error, /Authori[sz]ation|Authentication|403/);
      assert.ok(!JSON.stringify(bad.body).includes(badKey) && !JSON.stringify(bad.body).includes(env.key), 'no key in the answer');
      const id = await az.connector();
      assert.equal((await b.admin.put('/cloud_connectors/-/test', { id })).body.ok, true, 'the stored (sealed) key is used');
      assert.equal((await b.admin.put('/cloud_connectors/-/test', { id, secret_key: badKey })).body.ok, false);
      const down = await b.admin.put('/cloud_connectors/-/test', az.connectorBody({ url: 'http://127.0.0.1:1/devstoreaccount1' }));
      assert.equal(down.body.ok, false);
      assert.ok(down.body.error);
    });

    it('-/sync imports the account\'s containers as buckets, once; a connector with a bad key gets a 422', async () => {
      const [one, two] = [await az.rawContainer('sync'), await az.rawContainer('sync')];
      const id = await az.connector();
      const first = await az.sync(id);
      for (const name of [one, two]) assert.equal(first.get(name)?.cloud_connector_id, id, `${name} imported`);
      const again = await az.sync(id);
      assert.equal(again.get(one!).id, first.get(one!).id, 'not imported twice');
      const bad = await b.admin.post('/cloud_connectors', az.connectorBody({ secret_key: Buffer.from('wrong').toString('base64') }));
      const refused = await b.admin.put(`/cloud_connectors/${bad.body.id}/cloud_buckets/-/sync`);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.details.cloud_connector_id[0].error, 'unreachable');
    });

    it('copy NAS → Azure → NAS: same bytes, blocks for the large file, attributes in metadata, the tier asked, dates restored', async () => {
      const container = await az.container('hop', { part_size: MiB });
      const s = await nasWithShares(b.admin, ['src', 'back']);
      const { hashes, mtimes } = await sourceTree(s.src!.path);
      const up = await runTask({ workflow_action: 'copy', options: { file_checksum: 'xxhash64', storage_class: 'Cool' }, sources: [nas(s.src!.id)], destinations: [cloud(container, '/in')] });
      assert.equal(up.status, 'done', JSON.stringify(up));
      assert.equal(up.nodes_done, 6);
      assert.deepEqual(await blobHashes(az.raw, container.name, 'in/'), hashes, 'the blobs hold the source bytes (names decoded)');
      const p = await props(container.name, 'in/docs/b.md');
      assert.equal(p.metadata?.barge_mtime, String(mtimes['docs/b.md']));
      assert.equal(p.metadata?.barge_mode, '640');
      assert.match(p.metadata?.barge_checksum ?? '', /^xxhash64:[0-9a-f]{16}$/);
      assert.equal(p.accessTier, 'Cool');
      assert.equal((await props(container.name, 'in/big.bin')).accessTier, 'Cool', 'a staged blob gets the tier too');
      const down = await runTask({ workflow_action: 'copy', options: { file_checksum: 'md5', reset_file_date: true }, sources: [cloud(container, '/in')], destinations: [nas(s.back!.id)] });
      assert.equal(down.status, 'done', JSON.stringify(down));
      assert.deepEqual(await hashTree(join(s.back!.path, 'in')), hashes);
      for (const f of Object.keys(mtimes)) assert.equal((await stat(join(s.back!.path, 'in', f))).mtimeMs, mtimes[f], `${f}: the original mtime is back`);
      assert.equal((await stat(join(s.back!.path, 'in/docs/b.md'))).mode & 0o777, 0o640);
      assert.deepEqual(await azureLeftovers(az.raw, container.name), [], 'no temporary blob, no staged block');
    });

    it('copy NAS → Azure → S3 → NAS: same bytes at every hop, the recorded attributes travel', async (t) => {
      if (s3 === undefined) {
        t.skip(`the S3 hop needs a test S3 service: ${'skip' in s3env ? s3env.skip : ''}`);
        return;
      }
      const container = await az.container('via', { part_size: MiB });
      const bucket = await s3.bucket('via', { options: { part_size: 5 * MiB } });
      const s = await nasWithShares(b.admin, ['src', 'back']);
      const { hashes, mtimes } = await sourceTree(s.src!.path);
      const up = await runTask({ workflow_action: 'copy', options: { file_checksum: 'xxhash64' }, sources: [nas(s.src!.id)], destinations: [cloud(container)] });
      assert.equal(up.status, 'done', JSON.stringify(up));
      const across = await runTask({ workflow_action: 'copy', options: { file_checksum: 'crc32' }, sources: [cloud(container)], destinations: [cloud(bucket, '/from-azure')] });
      assert.equal(across.status, 'done', JSON.stringify(across));
      assert.equal(across.nodes_done, 6);
      assert.deepEqual(await objectHashes(s3.raw, bucket.name, 'from-azure/'), hashes);
      assert.equal((await head(s3.raw, bucket.name, 'from-azure/docs/b.md')).Metadata?.['barge-mtime'], String(mtimes['docs/b.md']), 'the mtime recorded on Azure is recorded on S3');
      const down = await runTask({ workflow_action: 'copy', options: { file_checksum: 'md5', reset_file_date: true }, sources: [cloud(bucket, '/from-azure')], destinations: [nas(s.back!.id)] });
      assert.equal(down.status, 'done', JSON.stringify(down));
      assert.deepEqual(await hashTree(join(s.back!.path, 'from-azure')), hashes);
      for (const f of Object.keys(mtimes)) assert.equal((await stat(join(s.back!.path, 'from-azure', f))).mtimeMs, mtimes[f], f);
      assert.deepEqual(await azureLeftovers(az.raw, container.name), []);
      assert.deepEqual(await leftovers(s3.raw, bucket.name), { uploads: [], temps: [] });
    });

    it('move NAS → Azure leaves no source file; move Azure → NAS leaves no blob of the selection', async () => {
      const container = await az.container('move', { part_size: MiB });
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'm/one.txt': 'one', 'm/sub/two.txt': 'two', 'm/sub/three.bin': 2 * MiB + 3 });
      const source = await hashTree(join(s.src!.path, 'm'));
      const there = await runTask({ workflow_action: 'move', options: { file_checksum: 'xxhash64', remove_root_folder: true }, sources: [nas(s.src!.id, '/m')], destinations: [cloud(container)] });
      assert.equal(there.status, 'done', JSON.stringify(there));
      assert.equal(there.nodes_done, 3);
      assert.deepEqual(await hashTree(s.src!.path), {}, 'no source file left');
      await assert.rejects(access(join(s.src!.path, 'm')), 'the emptied root folder is removed');
      assert.deepEqual(await blobHashes(az.raw, container.name, 'm/'), source);
      await az.raw.getContainerClient(container.name).getBlockBlobClient('keep.txt').upload('keep', 4);
      const back = await runTask({ workflow_action: 'move', options: { file_checksum: 'md5' }, sources: [cloud(container, '/m')], destinations: [nas(s.dst!.id)] });
      assert.equal(back.status, 'done', JSON.stringify(back));
      assert.deepEqual(await hashTree(join(s.dst!.path, 'm')), source);
      assert.deepEqual((await allBlobs(az.raw, container.name)).filter((n) => !n.endsWith('/')), ['keep.txt'], 'only the unselected blob stays');
    });

    it('a re-run with rename skips the unchanged blobs and writes what changed beside them', async () => {
      const container = await az.container('rerun');
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, { 'keep.txt': 'kept bytes', 'edit.txt': 'version 1' });
      const when = new Date(Date.UTC(2021, 5, 1));
      for (const f of ['keep.txt', 'edit.txt']) await utimes(join(s.src!.path, f), when, when);
      const body = { workflow_action: 'copy', options: { conflict_resolution: 'rename', full_report: true }, sources: [nas(s.src!.id)], destinations: [cloud(container, '/r')] };
      assert.equal((await runTask(body)).status, 'done');
      await writeFile(join(s.src!.path, 'edit.txt'), 'version 2');
      const again = await runTask(body);
      assert.equal(again.status, 'done', JSON.stringify(again));
      const status = Object.fromEntries((await ledger(again.id)).map((r) => [r.src_path, [r.status, r.dst_path]]));
      assert.deepEqual(status['/keep.txt'], ['skipped', '/r/keep.txt']);
      assert.deepEqual(status['/edit.txt'], ['done', '/r/edit (1).txt']);
      assert.deepEqual(Object.keys(await blobHashes(az.raw, container.name, 'r/')), ['edit (1).txt', 'edit.txt', 'keep.txt']);
    });

    it('Archive tier: archived blobs are rehydrated before they are read; restoration_expiry_days is reported as without meaning', async () => {
      const container = await az.container('arch');
      const s = await nasWithShares(b.admin, ['src', 'back']);
      await makeTree(s.src!.path, { 'cold/a.txt': 'frozen a', 'cold/b.bin': 100 * KiB });
      const source = await hashTree(s.src!.path);
      const up = await runTask({ workflow_action: 'copy', options: { storage_class: 'Archive' }, sources: [nas(s.src!.id)], destinations: [cloud(container)] });
      assert.equal(up.status, 'done', JSON.stringify(up));
      assert.equal((await props(container.name, 'cold/a.txt')).accessTier, 'Archive');
      const down = await runTask({ workflow_action: 'copy', options: { restoration_expiry_days: 5, retrieval_options_glacier: 'Expedited', file_checksum: 'xxhash64' }, sources: [cloud(container)], destinations: [nas(s.back!.id)] });
      assert.equal(down.status, 'done', JSON.stringify(down));
      assert.deepEqual(await hashTree(s.back!.path), source, 'read after the rehydration (Azurite rehydrates at once; Azure answers `restoring` until it is done)');
      assert.equal((await props(container.name, 'cold/a.txt')).accessTier, 'Hot', 'rehydrated to the Hot tier');
      assert.match(await execLog(down.id), /restoration_expiry_days ignored on sources whose restores do not expire/);
    });

    it('force_stop while blocks are staged: stopped at once, no temporary blob and no staged block left', async () => {
      const container = await az.container('stop', { part_size: MiB });
      const s = await nasWithShares(b.admin, ['src']);
      await makeTree(s.src!.path, Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`big/f${i}.bin`, 24 * MiB])));
      const source = await hashTree(s.src!.path);
      const { taskId, executionId } = await start({ workflow_action: 'copy', options: { parallel: 1, file_checksum: 'xxhash64' }, sources: [nas(s.src!.id)], destinations: [cloud(container)] });
      await waitFor(async () => (await azureLeftovers(az.raw, container.name)).length > 0, 'blocks staged on a temporary blob', 20_000, 10);
      const r = await b.admin.put(`/tasks/${taskId}/action/force_stop`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await b.admin.get(`/task_executions/${executionId}`)).body.status, 'stopped_by_user');
      await waitFor(async () => (await azureLeftovers(az.raw, container.name)).length === 0, 'the staged blocks and temporary blob removed', 15_000, 50);
      const landed = await blobHashes(az.raw, container.name);
      assert.ok(Object.keys(landed).length < 4, `force_stop landed mid-run (${Object.keys(landed).length} of 4 copied)`);
      for (const [k, h] of Object.entries(landed)) assert.equal(h, source[k], `${k} is complete`);
    });
  });
}
