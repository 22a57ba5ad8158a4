/**
 * Callbacks in real executions (#11), on the real server with real files: a filter selects files by
 * size and name and copies exactly those; a folder it leaves out is not walked; a filter that throws
 * fails that file (or folder) in the ledger with `error_class: "callback"`; `before_task_executed`
 * failing or returning false fails the execution naming the callback; `after_result_received` and
 * `after_task_executed` failures land in the execution's log with what they were given. SQLite, and
 * PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { boot, dialects, pgSkipReason, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { TERMINAL } from './helpers/task-runs.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);

/** Every path under root (folders with a trailing slash), sorted. */
async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      out.push(relative(root, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) await visit(p);
    }
  }
  await visit(root);
  return out.sort();
}

for (const dialect of dialects()) {
  describe(`callbacks in executions (${dialect})`, () => {
    let b: Booted;

    before(async () => {
      b = await boot({ dialect, engine: true });
    });
    after(async () => b?.stop());

    /** A copy task between two fresh shares holding `tree`, with these callbacks; its execution once ended. */
    async function runWith(tree: Record<string, string | number>, callbacks: Array<Record<string, unknown>>, action = 'run'): Promise<{ execution: any; dst: string; taskId: string; ids: string[] }> {
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      await makeTree(s.src!.path, tree);
      const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const ids: string[] = [];
      for (const c of callbacks) {
        const r = await b.admin.post(`/tasks/${t.body.id}/task_callbacks`, { language: 'javascript', ...c });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        ids.push(r.body.id);
      }
      const run = await b.admin.put(`/tasks/${t.body.id}/action/${action}`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const execution = await waitFor(async () => {
        const e = (await b.admin.get(`/task_executions/${run.body.execution_id}`)).body;
        return TERMINAL.includes(e.status) && e;
      }, 'the execution to end', 60_000);
      return { execution, dst: s.dst!.path, taskId: t.body.id, ids };
    }

    const failedFiles = async (id: string) => (await b.admin.get(`/task_executions/${id}/files?status=failed&sort_by=src_path`)).body.files as any[];
    const logOf = async (id: string) => (await b.admin.get(`/task_executions/${id}`)).body.log as string[]; // the execution's `log` in the API

    it('a filter selecting files by size and name copies exactly those; a folder it leaves out is not walked', async () => {
      const { execution, dst } = await runWith({
        'keep/big.txt': 2000, 'keep/small.txt': 10, 'keep/big.bin': 2000, 'keep/deep/notes.log': 1500,
        'top.txt': 1200, 'skipme/big.txt': 5000, 'skipme/inner/huge.log': 9000,
      }, [{
        type: 'before_request_dispatched',
        // Were /skipme walked, its files would reach the filter and fail (the throw): they must not.
        script: `function filter(file) {
          if (file.path.indexOf('/skipme/') === 0) throw new Error('walked into ' + file.path);
          if (file.kind === 'folder') return file.name !== 'skipme';
          return file.kind === 'file' && file.size >= 1000 && /\\.(txt|log)$/.test(file.name);
        }`,
      }]);
      assert.equal(execution.status, 'done', JSON.stringify(execution));
      assert.equal(execution.files_failed, 0);
      assert.deepEqual(await listTree(dst), ['keep/', 'keep/big.txt', 'keep/deep/', 'keep/deep/notes.log', 'top.txt']);
      assert.deepEqual(await failedFiles(execution.id), []);
    });

    it('a filter given the file\'s attributes as plain data (kind, size, times in ms, mode)', async () => {
      const { execution, dst } = await runWith({ 'a.txt': 'aaa', 'sub/b.txt': 'bbbb' }, [{
        type: 'filter',
        script: `function run(f) {
          if (f.kind === 'folder') return f.size === 0 && typeof f.mtime === 'number';
          return f.kind === 'file' && f.name === 'b.txt' && f.path === '/sub/b.txt' && f.size === 4 && f.mtime > 0 && f.ctime > 0 && f.atime > 0
            && typeof f.mode === 'number' && typeof f.uid === 'number' && typeof f.gid === 'number';
        }`,
      }]);
      assert.equal(execution.status, 'done', JSON.stringify(execution));
      assert.deepEqual(await listTree(dst), ['sub/', 'sub/b.txt']);
    });

    it('a filter that throws fails that file with error_class callback, and a folder it fails on is not walked', async () => {
      const { execution, dst, ids } = await runWith({ 'ok.txt': 'ok', 'bad.txt': 'bad', 'badfolder/inner.txt': 'inner', 'loops.txt': 'x' }, [{
        type: 'before_request_dispatched',
        script: `function filter(file) {
  if (file.name === 'bad.txt') throw new Error('no ' + file.name);
  if (file.name === 'badfolder') return file.missing.field;
  if (file.name === 'loops.txt') for (;;) {}
  return true;
}`,
      }]);
      assert.equal(execution.status, 'finished_with_warnings', JSON.stringify(execution));
      assert.equal(execution.files_failed, 3);
      assert.deepEqual(await listTree(dst), ['ok.txt']);
      const failed = await failedFiles(execution.id);
      assert.deepEqual(failed.map((f) => [f.src_path, f.error_class]), [['/bad.txt', 'callback'], ['/badfolder', 'callback'], ['/loops.txt', 'callback']]);
      assert.equal(failed[0].error, `callback ${ids[0]} (before_request_dispatched) failed: Error: no bad.txt (line 2)`);
      assert.equal(failed[1].error, `callback ${ids[0]} (before_request_dispatched) failed on this folder, which was not walked: TypeError: cannot read property 'field' of undefined (line 3)`);
      assert.match(failed[2].error, /ran out of time \(100 ms per call\)$/);
    });

    it('before_task_executed: a throw or false fails the execution, naming the callback; true lets it run with the task and execution views', async () => {
      const thrown = await runWith({ 'a.txt': 'a' }, [{ type: 'before_task_executed', script: 'function run(input) {\n  throw new Error("not today");\n}' }]);
      assert.equal(thrown.execution.status, 'error');
      assert.equal(thrown.execution.error, `callback ${thrown.ids[0]} (before_task_executed) failed: Error: not today (line 2)`);
      assert.deepEqual(await listTree(thrown.dst), []);

      const refused = await runWith({ 'a.txt': 'a' }, [{ type: 'before_task_executed', script: 'function run(input) { return false; }' }]);
      assert.equal(refused.execution.status, 'error');
      assert.equal(refused.execution.error, `callback ${refused.ids[0]} (before_task_executed) returned false: the execution does not start`);

      const allowed = await runWith({ 'a.txt': 'a' }, [{
        type: 'before_task_executed',
        script: `function run(input) {
          return input.task.workflow_action === 'copy' && input.task.sources.length === 1 && input.execution.status === 'calculating'
            && typeof input.execution.id === 'string' && input.execution.task.id === input.task.id;
        }`,
      }]);
      assert.equal(allowed.execution.status, 'done', JSON.stringify(allowed.execution));
      assert.deepEqual(await listTree(allowed.dst), ['a.txt']);
    });

    it('after_result_received runs on every ledger result; its failures go to the execution\'s log, not to the files', async () => {
      const { execution, dst, ids } = await runWith({ 'a.txt': 'a', 'b.txt': 'bb', 'c/d.txt': 'ddd' }, [{
        type: 'after_result_received',
        script: 'function run(r) {\n  if (r.status !== "done" || typeof r.size !== "number") throw new Error("odd row " + JSON.stringify(r));\n  if (r.src_path !== "/c") throw new Error("saw " + r.src_path + " " + r.status + " " + r.size);\n  return true;\n}',
      }]);
      assert.equal(execution.status, 'done', JSON.stringify(execution));
      assert.deepEqual(await listTree(dst), ['a.txt', 'b.txt', 'c/', 'c/d.txt']);
      const lines = (await logOf(execution.id)).filter((l) => l.includes('after_result_received')).sort();
      assert.deepEqual(lines, [
        `callback ${ids[0]} (after_result_received) failed on /a.txt: Error: saw /a.txt done 1 (line 3)`,
        `callback ${ids[0]} (after_result_received) failed on /b.txt: Error: saw /b.txt done 2 (line 3)`,
        `callback ${ids[0]} (after_result_received) failed on /c/d.txt: Error: saw /c/d.txt done 3 (line 3)`,
      ]);
    });

    it('a dry run filters as a run does, and writes nothing', async () => {
      const { execution, dst } = await runWith({ 'a.txt': 2000, 'b.bin': 2000, 'c.txt': 10, 'sub/d.txt': 3000 }, [{
        type: 'filter', script: 'function filter(f) { return f.kind === "folder" || (f.size >= 1000 && f.name.slice(-4) === ".txt"); }',
      }], 'dry_run');
      assert.equal(execution.status, 'done', JSON.stringify(execution));
      const planned = (await b.admin.get(`/task_executions/${execution.id}/files?sort_by=src_path`)).body.files as any[];
      assert.deepEqual(planned.filter((f) => f.operation === 'copy').map((f) => f.src_path), ['/a.txt', '/sub/d.txt']);
      assert.deepEqual(await listTree(dst), []);
    });

    it('after_task_executed gets the final execution; its failure is appended to the log', async () => {
      const { execution, ids, taskId } = await runWith({ 'a.txt': 'a' }, [{
        type: 'after_task_executed',
        script: 'function run(input) {\n  throw new Error(input.execution.status + " " + input.execution.nodes_done + " " + input.task.id);\n}',
      }]);
      assert.equal(execution.status, 'done');
      const line = `callback ${ids[0]} (after_task_executed) failed: Error: done 1 ${taskId} (line 2)`;
      await waitFor(async () => (await logOf(execution.id)).includes(line), `the log to hold: ${line}`, 10_000);
    });
  });
}
