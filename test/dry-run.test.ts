/**
 * Dry runs on the real server (issue #11): `PUT /tasks/{id}/action/dry_run` plans a copy, a move or an
 * erase against real directories and writes nothing — the destination tree (names, kinds, sizes,
 * modification times) and the source tree are exactly as before — while its ledger names each
 * planned operation (copy, rename, overwrite, skip, move, erase) and its `plan` gives the totals and
 * an ETA measured on earlier runs of the same storages. On SQLite, and on PostgreSQL when
 * BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { boot, dialects, pgSkipReason, waitFor, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { hashTree, makeTree, partFiles } from './helpers/trees.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);

/** Every entry under root: kind, size and modification time (what "writes nothing" must leave as it was). */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const st = await lstat(p);
      out[relative(root, p)] = `${e.isDirectory() ? 'dir' : 'file'} ${e.isDirectory() ? 0 : st.size} ${st.mtimeMs}`;
      if (e.isDirectory()) await visit(p);
    }
  }
  await visit(root);
  return out;
}

const ep = (id: string, ...paths: string[]) => ({ type: 'nas', storage_id: id, node_paths: paths.length ? paths : ['/'] });

for (const dialect of dialects()) {
  describe(`dry run (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect, engine: true });
    });
    after(async () => b?.stop());

    async function task(body: Record<string, unknown>): Promise<string> {
      const t = await b.admin.post('/tasks', { name: unique('dry'), workflow_type: 'data_migration', ...body });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      return t.body.id;
    }

    async function finished(executionId: string): Promise<any> {
      return waitFor(async () => {
        const e = await b.admin.get(`/task_executions/${executionId}`);
        return e.body.finished_at ? e.body : undefined;
      }, 'the execution to finish', 30_000);
    }

    /** Dry-runs a task to its end: the execution and its ledger rows by source path. */
    async function dryRun(taskId: string): Promise<{ e: any; ops: Record<string, { operation: string; dst_path: string | null; size: number; status: string; error: string | null }> }> {
      const r = await b.admin.put(`/tasks/${taskId}/action/dry_run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const e = await finished(r.body.execution_id);
      const files = await b.admin.get(`/task_executions/${e.id}/files?limit=1000&sort_by=src_path`);
      assert.equal(files.status, 200, JSON.stringify(files.body));
      return { e, ops: Object.fromEntries(files.body.files.map((f: any) => [f.src_path, f])) };
    }

    it('copy into a destination with existing files: copy, skip, rename and overwrite are reported, and the destination is untouched', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      const src = { 'new.txt': 'brand new', 'same.txt': 'same bytes', 'changed.txt': 'version two', 'docs/deep/x.md': 'x'.repeat(1000), 'docs/y.bin': 70_000 };
      await makeTree(s.src!.path, src);
      await makeTree(s.dst!.path, { 'same.txt': 'same bytes', 'changed.txt': 'version one!', 'docs/other.txt': 'kept' });
      const t = new Date(1_700_000_000_000);
      await utimes(join(s.src!.path, 'same.txt'), t, t);
      await utimes(join(s.dst!.path, 'same.txt'), t, t);
      const older = new Date(1_500_000_000_000);
      await utimes(join(s.dst!.path, 'changed.txt'), older, older);
      const before = await snapshot(s.dst!.path);
      const sourceBefore = await hashTree(s.src!.path);

      const rename = await dryRun(await task({ workflow_action: 'copy', options: { conflict_resolution: 'rename' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] }));
      assert.equal(rename.e.status, 'done', JSON.stringify(rename.e));
      assert.equal(rename.e.dry_run, true);
      const op = (ops: Record<string, any>) => Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v.operation]));
      assert.deepEqual(op(rename.ops), { '/changed.txt': 'rename', '/docs/deep/x.md': 'copy', '/docs/y.bin': 'copy', '/new.txt': 'copy', '/same.txt': 'skip' });
      assert.equal(rename.ops['/changed.txt']!.dst_path, '/changed (1).txt');
      assert.equal(rename.ops['/docs/y.bin']!.size, 70_000);
      assert.ok(Object.values(rename.ops).every((f) => f.status === 'planned'), JSON.stringify(rename.ops));
      assert.match(rename.ops['/same.txt']!.error ?? '', /unchanged/);
      const bytes = 'version two'.length + 1000 + 70_000 + 'brand new'.length;
      assert.deepEqual({ files: rename.e.plan.files, bytes: rename.e.plan.bytes, skipped: rename.e.plan.skipped, failed: rename.e.plan.failed }, { files: 4, bytes, skipped: 1, failed: 0 });
      assert.deepEqual(rename.e.plan.operations, { copy: { files: 3, bytes: bytes - 'version two'.length }, rename: { files: 1, bytes: 'version two'.length }, skip: { files: 1, bytes: 'same bytes'.length } });
      assert.equal(rename.e.nodes_todo, 4);
      assert.equal(rename.e.size_todo, bytes);
      assert.equal(rename.e.nodes_done, 0, 'nothing was transferred');
      // No run on these storages yet: no rate to measure, so no ETA, and the plan says why.
      assert.equal(rename.e.plan.eta_seconds, null);
      assert.equal(rename.e.eta_seconds, null);
      assert.equal(rename.e.plan.eta_runs, 0);
      assert.match(rename.e.plan.eta_note, /no ETA/);

      const overwrite = await dryRun(await task({ workflow_action: 'copy', options: { conflict_resolution: 'overwrite' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] }));
      assert.deepEqual(op(overwrite.ops), { '/changed.txt': 'overwrite', '/docs/deep/x.md': 'copy', '/docs/y.bin': 'copy', '/new.txt': 'copy', '/same.txt': 'overwrite' });
      assert.equal(overwrite.ops['/changed.txt']!.dst_path, '/changed.txt');

      const ignore = await dryRun(await task({ workflow_action: 'copy', options: { conflict_resolution: 'ignore' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] }));
      assert.deepEqual(op(ignore.ops), { '/changed.txt': 'skip', '/docs/deep/x.md': 'copy', '/docs/y.bin': 'copy', '/new.txt': 'copy', '/same.txt': 'skip' });
      assert.match(ignore.ops['/changed.txt']!.error ?? '', /exists/);

      // Written nothing: same names, kinds, sizes and dates at the destination (no folder, no temporary file), source as it was.
      assert.deepEqual(await snapshot(s.dst!.path), before);
      assert.deepEqual(await partFiles(s.dst!.path), []);
      assert.deepEqual(await hashTree(s.src!.path), sourceBefore);

      // The ledger's planned operations filter like any column.
      const renames = await b.admin.get(`/task_executions/${rename.e.id}/files?operation=rename`);
      assert.equal(renames.body.count, 1);
    });

    it('an ETA comes from the bandwidth of earlier runs on the same storages', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'a.bin': 2_000_000, 'b.bin': 1_000_000 });
      const id = await task({ workflow_action: 'copy', options: { conflict_resolution: 'ignore' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/first')] });
      const r = await b.admin.put(`/tasks/${id}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const run = await finished(r.body.execution_id);
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.equal(run.dry_run, false);
      // Another task on the same two storages, to a new folder: every byte to copy.
      const preview = await dryRun(await task({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/second')] }));
      assert.equal(preview.e.plan.bytes, 3_000_000);
      assert.equal(preview.e.plan.eta_runs, 1, JSON.stringify(preview.e.plan));
      assert.ok(preview.e.plan.bandwidth > 0, JSON.stringify(preview.e.plan));
      assert.equal(preview.e.plan.eta_seconds, Math.ceil(3_000_000 / preview.e.plan.bandwidth));
      assert.equal(preview.e.eta_seconds, preview.e.plan.eta_seconds);
      assert.match(preview.e.plan.eta_note, /1 recent run/);
      // A dry run is not a run to measure nor a backup to restore: the next preview still counts one run.
      const again = await dryRun(await task({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/third')] }));
      assert.equal(again.e.plan.eta_runs, 1);
      assert.equal(await lstat(join(s.dst!.path, 'second')).then(() => true, () => false), false, 'the previewed folder was not created');
    });

    it('a dry run of a move leaves the source in place; of an erase, deletes nothing', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'm/one.txt': 'one', 'm/two/three.txt': 'three', 'keep.txt': 'k' });
      const sourceBefore = await snapshot(s.src!.path);
      const hashes = await hashTree(s.src!.path);
      const dstBefore = await snapshot(s.dst!.path);

      const move = await dryRun(await task({ workflow_action: 'move', options: { remove_root_folder: true }, sources: [ep(s.src!.id, '/m')], destinations: [ep(s.dst!.id)] }));
      assert.equal(move.e.status, 'done', JSON.stringify(move.e));
      assert.deepEqual(Object.fromEntries(Object.entries(move.ops).map(([k, v]) => [k, [v.operation, v.dst_path]])), {
        '/m/one.txt': ['move', '/m/one.txt'], '/m/two/three.txt': ['move', '/m/two/three.txt'],
      });
      assert.deepEqual(await snapshot(s.src!.path), sourceBefore, 'no source file or folder removed');
      assert.deepEqual(await snapshot(s.dst!.path), dstBefore);

      await writeFile(join(s.dst!.path, 'placeholder'), 'x');
      const erase = await dryRun(await task({ workflow_action: 'erase', options: { remove_root_folder: true }, sources: [ep(s.src!.id)] }));
      assert.equal(erase.e.status, 'done', JSON.stringify(erase.e));
      assert.deepEqual(Object.fromEntries(Object.entries(erase.ops).map(([k, v]) => [k, v.operation])), { '/keep.txt': 'erase', '/m/one.txt': 'erase', '/m/two/three.txt': 'erase' });
      assert.equal(erase.e.plan.files, 3);
      assert.deepEqual(await snapshot(s.src!.path), sourceBefore, 'nothing erased');
      assert.deepEqual(await hashTree(s.src!.path), hashes);
    });

    it('a filter callback applies to a dry run as to a run: only the files it keeps are planned', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      await makeTree(s.src!.path, { 'a.mov': 'movie', 'b.txt': 'text', 'clips/c.mov': 'clip', 'clips/d.jpg': 'pic' });
      const id = await task({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
      const cb = await b.admin.post(`/tasks/${id}/task_callbacks`, { type: 'before_request_dispatched', language: 'javascript', script: "function filter(file) { return file.kind === 'folder' || file.name.endsWith('.mov'); }" });
      assert.equal(cb.status, 201, JSON.stringify(cb.body));
      const { e, ops } = await dryRun(id);
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.deepEqual(Object.keys(ops), ['/a.mov', '/clips/c.mov']);
      assert.deepEqual(await snapshot(s.dst!.path), {});
    });

    it('refusals: an action a dry run does not preview, an unknown task', async () => {
      const s = await nasWithShares(b.admin, ['src']);
      const scan = await task({ workflow_action: 'scan', sources: [ep(s.src!.id)] });
      const r = await b.admin.put(`/tasks/${scan}/action/dry_run`);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'id', 'status']);
      assert.match(r.body.detail, /dry run/);
      const missing = await b.admin.put('/tasks/no-such-task/action/dry_run');
      assert.equal(missing.status, 404, JSON.stringify(missing.body));
      assert.equal(missing.body.code, 404);
    });
  });

  describe(`dry run without an engine (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect });
    });
    after(async () => b?.stop());

    it('is an execution like a run: dry_run true in its view, one active execution per task (409)', async () => {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      const t = await b.admin.post('/tasks', { name: unique('dry'), workflow_type: 'data_migration', workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
      const r = await b.admin.put(`/tasks/${t.body.id}/action/dry_run`, { reason: 'preview' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(r.body.msg, /Dry run/);
      const e = await b.admin.get(`/task_executions/${r.body.execution_id}`);
      assert.equal(e.body.dry_run, true);
      assert.equal(e.body.status, 'in_queue');
      assert.deepEqual(e.body.trigger, { reason: 'preview' });
      const second = await b.admin.put(`/tasks/${t.body.id}/action/dry_run`);
      assert.equal(second.status, 409, JSON.stringify(second.body));
      const run = await b.admin.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(run.status, 409, JSON.stringify(run.body));
      const stop = await b.admin.put(`/tasks/${t.body.id}/action/stop`);
      assert.equal(stop.status, 200, JSON.stringify(stop.body));
      const task = await b.admin.get(`/tasks/${t.body.id}`);
      assert.equal(task.body.last_execution.dry_run, true);
    });
  });
}
