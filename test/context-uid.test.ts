/**
 * `options.context_uid` / `context_gid` end to end (issue #13): the file work of an execution runs with
 * the context user's rights on POSIX storages (storage/posix/credentialed-fs.ts). Needs a process that
 * can switch file-system ids (root or CAP_SETUID+CAP_SETGID): skipped with the reason otherwise. The
 * refusal of `run` on a host that cannot switch is simulated through the composition root's capability.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, dialects, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { taskRuns } from './helpers/task-runs.js';
import { credentialSwitchBlocker } from '../src/storage/posix/fs-credentials.js';

const NOBODY = 65534;
const blocker = credentialSwitchBlocker();
const skip = blocker === null ? false : `this process cannot switch file-system ids: ${blocker}`;
if (skip) console.log(`# skipped: ${skip}`);

function ep(id: string, ...paths: string[]) {
  return { type: 'nas', storage_id: id, node_paths: paths.length ? paths : ['/'] };
}

/** Two shares: `src` readable by everyone (0755), `dst` owned by the context user. */
async function shares(b: Booted): Promise<Record<string, { id: string; path: string }>> {
  const s = await nasWithShares(b.admin, ['src', 'dst']);
  await chmod(s.src!.path, 0o755);
  await chmod(s.dst!.path, 0o755);
  await chown(s.dst!.path, NOBODY, NOBODY);
  return s;
}

/** Runs a task as the booted server's admin and waits for its end (helpers/task-runs.ts). */
const runTask = (b: Booted, body: Record<string, unknown>): Promise<any> => taskRuns(() => b, 60_000).runTask(body);

async function ledger(b: Booted, id: string): Promise<Array<{ src_path: string; status: string; error_class: string | null }>> {
  return (await b.admin.get(`/task_executions/${id}/files?limit=100&sort_by=src_path`)).body.files;
}

for (const dialect of dialects()) {
  describe(`context_uid: file work as the context user (${dialect})`, { skip }, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect, engine: true });
    });
    after(async () => b?.stop());

    it('copies what the user may read, as the user; what they cannot read fails; names in a folder they cannot list are never seen', async () => {
      const s = await shares(b);
      await makeTree(s.src!.path, { 'ok.txt': 'fine', 'docs/b.md': 'bravo', 'secret.txt': 'root only', 'private/inner.txt': 'hidden' });
      await chmod(join(s.src!.path, 'secret.txt'), 0o600);
      await chmod(join(s.src!.path, 'private'), 0o700);
      const e = await runTask(b, { workflow_action: 'copy', options: { context_uid: String(NOBODY), full_report: true }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
      assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
      const rows = await ledger(b, e.id);
      const failed = rows.filter((r) => r.status === 'failed').map((r) => [r.src_path, r.error_class]);
      assert.deepEqual(failed, [['/private', 'permission_denied'], ['/secret.txt', 'permission_denied']], JSON.stringify(rows));
      assert.ok(!rows.some((r) => r.src_path.startsWith('/private/')), 'a name inside the unlistable folder was seen');
      for (const f of ['ok.txt', 'docs/b.md']) {
        const st = await lstat(join(s.dst!.path, f));
        assert.deepEqual([st.uid, st.gid], [NOBODY, NOBODY], `${f} is owned by the context user (primary group from /etc/passwd)`);
      }
      assert.equal(await readFile(join(s.dst!.path, 'docs/b.md'), 'utf8'), 'bravo');
      await assert.rejects(lstat(join(s.dst!.path, 'secret.txt')));
      await assert.rejects(lstat(join(s.dst!.path, 'private', 'inner.txt')));
    });

    it('a move cannot delete a source the user may not delete: the copy stays, the source stays, the file fails', async () => {
      const s = await shares(b);
      await makeTree(s.src!.path, { 'locked/keep.txt': 'keep me' });
      await chmod(join(s.src!.path, 'locked'), 0o755); // readable, not writable, by the user
      const e = await runTask(b, { workflow_action: 'move', options: { context_uid: 'nobody', context_gid: 'nogroup' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
      assert.notEqual(e.status, 'done', JSON.stringify(e));
      assert.equal(await readFile(join(s.src!.path, 'locked', 'keep.txt'), 'utf8'), 'keep me');
      assert.equal(await readFile(join(s.dst!.path, 'locked', 'keep.txt'), 'utf8'), 'keep me');
      const failed = (await ledger(b, e.id)).filter((r) => r.status === 'failed');
      assert.ok(failed.some((r) => r.src_path === '/locked/keep.txt' && r.error_class === 'permission_denied'), JSON.stringify(failed));
    });

    it('a user name this host does not know fails the run with a clear error', async () => {
      const s = await shares(b);
      await makeTree(s.src!.path, { 'a.txt': 'a' });
      const e = await runTask(b, { workflow_action: 'copy', options: { context_uid: 'no-such-user-barge' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
      assert.equal(e.status, 'error', JSON.stringify(e));
      assert.match(String(e.error), /no user named "no-such-user-barge"/);
      assert.deepEqual(await readdir(s.dst!.path), []);
    });
  });
}

describe('context_uid on a host that cannot switch users', () => {
  let b: Booted;
  before(async () => {
    b = await boot({ overrides: { contextBlocker: () => 'simulated: Barge runs without CAP_SETUID and CAP_SETGID' } });
  });
  after(async () => b?.stop());

  it('run answers 422 naming why; a task without a context still runs', async () => {
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    const make = async (options: Record<string, unknown>) => (await b.admin.post('/tasks', {
      name: unique('ctx'), workflow_type: 'data_migration', workflow_action: 'copy', options, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)],
    })).body.id as string;
    const refused = await b.admin.put(`/tasks/${await make({ context_uid: '1000' })}/action/run`);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(JSON.stringify(refused.body), /context_uid.*simulated: Barge runs without CAP_SETUID/);
    const plain = await b.admin.put(`/tasks/${await make({})}/action/run`);
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
  });
});
