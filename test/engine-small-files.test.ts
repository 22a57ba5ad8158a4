/**
 * Small files ride together: a mover slot holds one large transfer, `smallPerSlot` small ones, or
 * one batch call of up to 512 small copies (mover/batch-transfer.ts), so the posix copy workers
 * receive several small files per message and commit them together (one syncfs where the kernel
 * reports its errors). Real engine, SQLite, real directories; the assertions
 * are on the copied bytes and on the shared copy pool's own counters.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { hashTree, makeTree, partFiles } from './helpers/trees.js';
import { sharedCopyPool } from '../src/storage/posix/shared-copy-pool.js';
import { fileSystemSync } from '../src/storage/posix/fs-sync.js';

const KiB = 1024;
const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];

async function copyAll(b: Booted, files: Record<string, number>): Promise<{ messages: number; jobs: number; grouped: number }> {
  const shares = await nasWithShares(b.admin, ['src', 'dst']);
  await makeTree(shares.src!.path, files);
  const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { file_checksum: 'xxhash64' } }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const before = sharedCopyPool().stats();
  const run = await b.admin.put(`/tasks/${r.body.id}/action/run`);
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const e = await waitFor(async () => {
    const x = (await b.admin.get(`/task_executions/${run.body.execution_id}`)).body;
    return TERMINAL.includes(x.status) && x;
  }, 'the copy to finish', 60_000);
  assert.equal(e.status, 'done', JSON.stringify(e));
  assert.deepEqual(await hashTree(shares.dst!.path), await hashTree(shares.src!.path));
  assert.deepEqual(await partFiles(shares.dst!.path), []);
  const now = sharedCopyPool().stats();
  return { messages: now.messages - before.messages, jobs: now.jobs - before.jobs, grouped: now.grouped - before.grouped };
}

function tree(small: number, large: number): Record<string, number> {
  const files: Record<string, number> = {};
  for (let i = 0; i < small; i++) files[`d${i % 4}/s${String(i).padStart(3, '0')}`] = 1 * KiB + i;
  for (let i = 0; i < large; i++) files[`big/l${i}`] = 2 * 1024 * KiB + i;
  return files;
}

describe('engine: small files share mover slots and copy-worker messages', () => {
  let b: Booted | undefined;
  after(async () => b?.stop());

  it('two slots of 8 small files: several small files per message, each large file alone, every byte copied, no listener-leak warning', async () => {
    b = await boot({ engine: true, overrides: { engine: { slots: 2, smallPerSlot: 8, batchFiles: 200 } } });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const s = await copyAll(b, tree(96, 2));
      assert.equal(s.jobs, 98);
      assert.ok(s.messages <= 40, `small files were grouped: ${s.messages} messages for ${s.jobs} files`);
      if (fileSystemSync() !== null) assert.ok(s.grouped > 0, 'grouped messages were committed with syncfs');
      // 16 copies in flight each listen to the drivers' close signal: that is not a leak.
      assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
    } finally {
      process.off('warning', onWarning);
      await b.stop();
      b = undefined;
    }
  });

  it('one slot of 1: small files still travel as one batch call (mover/batch-transfer.ts), the large file alone', async () => {
    b = await boot({ engine: true, overrides: { engine: { slots: 1, smallPerSlot: 1, batchFiles: 200 } } });
    try {
      const s = await copyAll(b, tree(24, 1));
      assert.equal(s.jobs, 25);
      // One slot of 1 used to mean one message per file (25): the batch path sends the batch's small
      // copies as one message, whatever the slot's weight — the folders' mkdirs run first, so the four
      // folders' 24 files travel together (they once went as one message per folder) — and the large
      // file alone.
      assert.equal(s.messages, 2, `${s.messages} messages for 25 files`);
      if (fileSystemSync() !== null) assert.equal(s.grouped, 1, 'the small files were one group commit');
    } finally {
      await b.stop();
      b = undefined;
    }
  });
});
