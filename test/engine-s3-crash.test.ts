/**
 * Crash safety of uploads to S3 with a real process and a real S3 service (Ceph RGW): Barge runs as a
 * child (`node --import tsx src/main.ts`), copies a tree of multipart-sized files into a bucket, and is
 * killed with SIGKILL while a multipart upload is in flight — twice — then started again on the same
 * data dir. After every kill no partial object is visible in the bucket. At the end the execution has
 * finished from its ledger, every object matches its source by content hash, and neither an unfinished
 * multipart upload nor a `.barge-*.part` temporary key of a dead attempt is left.
 * Skipped with a printed reason when BARGE_TEST_S3_URL is unset.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './helpers/barge.js';
import { startChild, type ChildBarge } from './helpers/child-barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { KiB, MiB, S3Fixture, TERMINAL, cloud, leftovers, objectHashes, pendingUploads, s3TestEnv } from './helpers/s3.js';
import { reportSkipped } from '../src/storage/object/test-support.js';

const env = s3TestEnv();

if ('skip' in env) reportSkipped('crash safety on S3 (real service)', env.skip);
else {
  describe('crash safety on S3 (real service)', () => {
    const cleanup: Array<() => Promise<void>> = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
    });

    it('kill -9 during multipart uploads, restart, resume: complete objects only, nothing left over', async (t) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'barge-s3-crash-'));
      cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
      let child: ChildBarge = await startChild(dataDir);
      cleanup.push(() => child.kill());
      const s3 = new S3Fixture(env, child.admin);
      cleanup.push(async () => {
        await s3.cleanup();
        s3.destroy();
      });
      const bucket = await s3.bucket('crash', { options: { part_size: 5 * MiB } });
      const shares = await nasWithShares(child.admin, ['src']);
      cleanup.push(() => rm(shares.src!.path, { recursive: true, force: true }));
      const files: Record<string, number> = {};
      for (let i = 0; i < 4; i++) files[`big/f${i}.bin`] = 12 * MiB;
      for (let i = 0; i < 6; i++) files[`small/s${i}.txt`] = 10 * KiB;
      await makeTree(shares.src!.path, files);
      const source = await hashTree(shares.src!.path);
      const total = Object.keys(source).length;

      const task = await child.admin.post('/tasks', {
        name: unique('crash'), workflow_type: 'data_migration', workflow_action: 'copy',
        options: { parallel: 1, file_checksum: 'xxhash64' },
        sources: [{ type: 'nas', storage_id: shares.src!.id, node_paths: ['/'] }], destinations: [cloud(bucket)],
      });
      assert.equal(task.status, 201, JSON.stringify(task.body));
      const run = await child.admin.put(`/tasks/${task.body.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const id = run.body.execution_id as string;
      const status = async (c: ChildBarge) => (await c.admin.get(`/task_executions/${id}`)).body?.status as string | undefined;

      let orphans = 0;
      const seen = new Set<string>(); // upload ids of earlier lives: the next kill waits for one of this life
      for (let round = 1; round <= 2; round++) {
        const c = child;
        await waitFor(async () => (await pendingUploads(s3.raw, bucket.name)).some((u) => !seen.has(u.uploadId)) || TERMINAL.includes((await status(c)) ?? ''),
          `a multipart upload in flight (round ${round})`, 30_000, 5);
        await child.kill();

        const left = await leftovers(s3.raw, bucket.name);
        for (const u of await pendingUploads(s3.raw, bucket.name)) seen.add(u.uploadId);
        orphans += left.uploads.length + left.temps.length;
        const visible = await objectHashes(s3.raw, bucket.name);
        t.diagnostic(`kill ${round}: ${Object.keys(visible).length}/${total} objects visible, ${left.uploads.length} unfinished upload(s), ${left.temps.length} temporary key(s)`);
        assert.ok(Object.keys(visible).length < total, `kill ${round} landed mid-run`);
        for (const [k, h] of Object.entries(visible)) assert.equal(h, source[k], `kill ${round}: ${k} is visible but not a complete copy`);
        child = await startChild(dataDir);
      }
      assert.ok(orphans > 0, 'at least one kill left an upload or a temporary key behind for the restart to clean');

      const c = child;
      const e = await waitFor(async () => {
        const x = (await c.admin.get(`/task_executions/${id}`)).body;
        return TERMINAL.includes(x?.status) && x;
      }, 'the execution to finish after the last restart', 60_000, 50).catch((err: Error) => {
        throw new Error(`${err.message}\n${c.stderr()}`);
      });
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.files_failed, 0);
      assert.equal(e.nodes_done, total, 'every file counted once');
      assert.deepEqual(await objectHashes(s3.raw, bucket.name), source, 'the bucket holds exactly the source files');
      assert.deepEqual(await leftovers(s3.raw, bucket.name), { uploads: [], temps: [] }, 'the uploads and temporary keys of dead attempts are gone');
      await child.stop();
    });
  });
}
