/**
 * The engine moving real files between NAS shares (directories on disk): every workflow action it
 * supports, the options that shape where and how files land, and per-file failures.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { taskRuns } from './helpers/task-runs.js';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { exists, hashTree, listDirs, makeTree, partFiles } from './helpers/trees.js';
import { decodeItems } from '../src/store/work-items-codec.js';

const TREE = { 'a.txt': 'alpha', 'docs/b.md': 'bravo', 'docs/deep/c.bin': 70_000, '.hidden': 'dot', 'big.bin': 3_000_000 };

describe('engine: workflow actions on NAS shares', () => {
  let b: Booted;
  before(async () => {
    b = await boot({ engine: true });
  });
  after(async () => b?.stop());

  async function shares(): Promise<Record<string, { id: string; path: string }>> {
    return nasWithShares(b.admin, ['src', 'dst']);
  }

  /** Creates and runs a task, waits for it to finish, returns the final execution. */
  const { runTask } = taskRuns(() => b, 30_000);

  function ep(id: string, ...paths: string[]) {
    return { type: 'nas', storage_id: id, node_paths: paths.length ? paths : ['/'] };
  }

  for (const checksum of ['crc32', 'md5', 'xxhash64'] as const) {
    it(`copy with ${checksum}: the destination tree equals the source, progress is complete`, async () => {
      const s = await shares();
      await makeTree(s.src!.path, TREE);
      const e = await runTask({ workflow_action: 'copy', options: { file_checksum: checksum, full_report: true }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/backup')] });
      assert.equal(e.status, 'done', JSON.stringify(e));
      assert.equal(e.progress & (1 | 2 | 4 | 8 | 16 | 32), 63, `progress flags ${e.progress}`);
      assert.equal(e.nodes_todo, 5);
      assert.equal(e.nodes_done, 5);
      assert.equal(e.size_done, e.size_todo);
      assert.equal(e.files_failed, 0);
      assert.deepEqual(await hashTree(join(s.dst!.path, 'backup')), await hashTree(s.src!.path));
      const files = await b.admin.get(`/task_executions/${e.id}/files?limit=100&sort_by=src_path`);
      assert.equal(files.body.count, 5);
      const big = files.body.files.find((f: any) => f.src_path === '/big.bin');
      assert.equal(big.status, 'done');
      assert.equal(big.checksum.length, checksum === 'crc32' ? 8 : checksum === 'md5' ? 32 : 16);
      assert.deepEqual(await partFiles(s.dst!.path), []);
    });
  }

  it('conflict_resolution: ignore skips, overwrite replaces, rename keeps both as "name (1).ext"', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'r.txt': 'new' });
    await makeTree(s.dst!.path, { 'r.txt': 'old' });
    // Older than the source: another file, not an earlier copy of it.
    await utimes(join(s.dst!.path, 'r.txt'), new Date(1_500_000_000_000), new Date(1_500_000_000_000));
    const base = { workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] };
    const ign = await runTask({ ...base, options: { conflict_resolution: 'ignore', full_report: true } });
    assert.equal(ign.status, 'done');
    assert.equal(await readFile(join(s.dst!.path, 'r.txt'), 'utf8'), 'old');
    assert.equal((await b.admin.get(`/task_executions/${ign.id}/files`)).body.files[0].status, 'skipped');
    await runTask({ ...base, options: { conflict_resolution: 'rename' } });
    assert.equal(await readFile(join(s.dst!.path, 'r (1).txt'), 'utf8'), 'new');
    assert.equal(await readFile(join(s.dst!.path, 'r.txt'), 'utf8'), 'old');
    // The source changed: the next rename run keeps every version.
    await writeFile(join(s.src!.path, 'r.txt'), 'newer');
    await runTask({ ...base, options: { conflict_resolution: 'rename' } });
    assert.equal(await readFile(join(s.dst!.path, 'r (2).txt'), 'utf8'), 'newer');
    assert.equal(await readFile(join(s.dst!.path, 'r (1).txt'), 'utf8'), 'new');
    await runTask({ ...base, options: { conflict_resolution: 'overwrite' } });
    assert.equal(await readFile(join(s.dst!.path, 'r.txt'), 'utf8'), 'newer');
  });

  it('a re-run with rename or ignore leaves unchanged files alone (skipped), and copies what changed', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'same.txt': 'same bytes', 'docs/also.md': 'also same', 'changed.bin': 'version one', 'touched.txt': 'touched' });
    const base = { workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] };
    const first = await runTask({ ...base, options: { conflict_resolution: 'rename' } });
    assert.equal(first.status, 'done');
    const before = await hashTree(s.dst!.path);
    // One file changes (same size, new mtime); one keeps its bytes but its copy is now older than it.
    await writeFile(join(s.src!.path, 'changed.bin'), 'version two');
    const earlier = new Date((await stat(join(s.src!.path, 'touched.txt'))).mtimeMs - 60_000);
    await utimes(join(s.dst!.path, 'touched.txt'), earlier, earlier);
    const ledger = async (id: string) => (await b.admin.get(`/task_executions/${id}/files?limit=100&sort_by=src_path`)).body.files.map((f: any) => [f.src_path, f.status, f.dst_path]);
    for (const conflict of ['rename', 'ignore'] as const) {
      const again = await runTask({ ...base, options: { conflict_resolution: conflict, full_report: true } });
      assert.equal(again.status, 'done', JSON.stringify(again));
      const rows = await ledger(again.id);
      const status = Object.fromEntries(rows.map((r: any[]) => [r[0], r[1]]));
      assert.equal(status['/same.txt'], 'skipped', JSON.stringify(rows));
      assert.equal(status['/docs/also.md'], 'skipped', JSON.stringify(rows));
      if (conflict === 'rename') {
        assert.equal(status['/changed.bin'], 'done', 'a changed file is written beside the old one');
        assert.equal(status['/touched.txt'], 'done', 'a source changed after its copy was written is a change without file_checksum');
      }
    }
    const after = await hashTree(s.dst!.path);
    assert.deepEqual(Object.keys(after).sort(), [...Object.keys(before), 'changed (1).bin', 'touched (1).txt'].sort(), 'nothing duplicated but what changed');
    assert.equal(await readFile(join(s.dst!.path, 'changed (1).bin'), 'utf8'), 'version two');
    // A third rename run: every file, renamed ones included, is now at the destination unchanged.
    const third = await runTask({ ...base, options: { conflict_resolution: 'rename', full_report: true } });
    assert.ok((await ledger(third.id)).filter((r: any[]) => r[0] !== '/docs').every((r: any[]) => r[1] === 'skipped'), JSON.stringify(await ledger(third.id)));
    assert.deepEqual(Object.keys(await hashTree(s.dst!.path)).sort(), Object.keys(after).sort());
  });

  it('with file_checksum, rename compares content: same size and mtime but other bytes is a new version', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'a.txt': 'AAAA', 'b.txt': 'BBBB' });
    await makeTree(s.dst!.path, { 'a.txt': 'AAAA', 'b.txt': 'XXXX' });
    const when = new Date(1_700_000_000_000);
    for (const root of [s.src!.path, s.dst!.path]) for (const f of ['a.txt', 'b.txt']) await utimes(join(root, f), when, when);
    const e = await runTask({ workflow_action: 'copy', options: { conflict_resolution: 'rename', file_checksum: 'md5', full_report: true }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'done', JSON.stringify(e));
    const files = (await b.admin.get(`/task_executions/${e.id}/files?limit=10&sort_by=src_path`)).body.files;
    assert.deepEqual(files.map((f: any) => [f.src_path, f.status]), [['/a.txt', 'skipped'], ['/b.txt', 'done']]);
    assert.equal(await readFile(join(s.dst!.path, 'b (1).txt'), 'utf8'), 'BBBB');
    assert.equal(await readFile(join(s.dst!.path, 'b.txt'), 'utf8'), 'XXXX');
    assert.equal(await exists(join(s.dst!.path, 'a (1).txt')), false);
  });

  it('rename never hands out one name twice, however many folders the walk visits in between (a move loses nothing)', async () => {
    // `r (1).txt` is planned first, then 300 folders, then `r.txt`, which conflicts and must not become `r (1).txt` too.
    const s = await shares();
    const files: Record<string, string> = { 'r (1).txt': 'first', 'r.txt': 'second' };
    for (let i = 0; i < 300; i++) files[`r +/d${String(i).padStart(3, '0')}/f.txt`] = `f${i}`;
    await makeTree(s.src!.path, files);
    await makeTree(s.dst!.path, { 'r.txt': 'old' });
    const e = await runTask({ workflow_action: 'move', options: { conflict_resolution: 'rename' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'done', JSON.stringify(e));
    const top = ['r.txt', 'r (1).txt', 'r (2).txt'];
    assert.deepEqual(await Promise.all(top.map((n) => readFile(join(s.dst!.path, n), 'utf8'))), ['old', 'first', 'second']);
    assert.equal(Object.keys(await hashTree(s.dst!.path)).length, 303);
    assert.deepEqual(await hashTree(s.src!.path), {}, 'every source moved');
  });

  it('rename across two sources merging into one folder keeps every file, even after hundreds of folders', async () => {
    const s = await nasWithShares(b.admin, ['one', 'two', 'dst']);
    const tree = (tag: string) => {
      const t: Record<string, string> = { 'r.txt': tag };
      for (let i = 0; i < 300; i++) t[`sub/d${String(i).padStart(3, '0')}/f.txt`] = `${tag}${i}`;
      return t;
    };
    await makeTree(s.one!.path, tree('A'));
    await makeTree(s.two!.path, tree('B'));
    const e = await runTask({ workflow_action: 'move', options: { conflict_resolution: 'rename' }, sources: [ep(s.one!.id), ep(s.two!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'done', JSON.stringify(e));
    const contents = new Set<string>();
    for (const [path] of Object.entries(await hashTree(s.dst!.path))) contents.add(await readFile(join(s.dst!.path, path), 'utf8'));
    assert.equal(contents.size, 602, 'all 602 files, none replaced by another');
    assert.deepEqual(await hashTree(s.one!.path), {});
    assert.deepEqual(await hashTree(s.two!.path), {});
  });

  it('working_dir applies to relative destination paths as to sources (and as validation checked them)', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'proj/a.txt': 'a', 'proj/sub/b.txt': 'b' });
    const e = await runTask({ workflow_action: 'copy', options: { working_dir: '/proj' }, sources: [ep(s.src!.id, 'a.txt', 'sub')], destinations: [ep(s.dst!.id, 'out')] });
    assert.equal(e.status, 'done', JSON.stringify(e));
    // Under the destination, a source keeps its full path unless ignore_common_path strips the common part.
    assert.deepEqual(Object.keys(await hashTree(s.dst!.path)).sort(), ['proj/out/proj/a.txt', 'proj/out/proj/sub/b.txt']);
    const up = await runTask({ workflow_action: 'copy', options: { working_dir: '/proj' }, sources: [ep(s.src!.id, 'a.txt')], destinations: [ep(s.dst!.id, '../up')] });
    assert.equal(up.status, 'done', JSON.stringify(up));
    assert.equal(await readFile(join(s.dst!.path, 'up/proj/a.txt'), 'utf8'), 'a');
  });

  it('options: ignore_hidden, recursive false, ignore_common_path, reset_file_date', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'p/a/x.txt': 'x', 'p/a/sub/y.txt': 'y', 'p/b/z.txt': 'z', 'p/a/.h': 'h' });
    const old = new Date('2020-01-02T03:04:05Z');
    await utimes(join(s.src!.path, 'p/b/z.txt'), old, old);
    const e = await runTask({
      workflow_action: 'copy', options: { ignore_hidden: true, ignore_common_path: true, reset_file_date: true },
      sources: [ep(s.src!.id, '/p/a', '/p/b/z.txt')], destinations: [ep(s.dst!.id, '/out')],
    });
    assert.equal(e.status, 'done');
    assert.deepEqual(Object.keys(await hashTree(join(s.dst!.path, 'out'))), ['a/sub/y.txt', 'a/x.txt', 'b/z.txt']);
    assert.equal((await stat(join(s.dst!.path, 'out/b/z.txt'))).mtime.getTime(), old.getTime());
    const flat = await runTask({ workflow_action: 'copy', options: { recursive: false }, sources: [ep(s.src!.id, '/p/a')], destinations: [ep(s.dst!.id, '/flat')] });
    assert.equal(flat.status, 'done');
    assert.deepEqual(Object.keys(await hashTree(join(s.dst!.path, 'flat'))), ['p/a/.h', 'p/a/x.txt']);
  });

  it('options: keep_file_ownership, reset_folder_date, processing_order', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'p/a.txt': 'a', 'p/b.txt': 'b', 'p/q/c.txt': 'c', 'z.txt': 'z' });
    const folderDate = new Date('2019-05-06T07:08:09Z');
    await utimes(join(s.src!.path, 'p/q'), folderDate, folderDate);
    await utimes(join(s.src!.path, 'p'), folderDate, folderDate);
    const root = process.getuid?.() === 0;
    if (root) await chown(join(s.src!.path, 'p/a.txt'), 4321, 8765);

    const kept = await runTask({ workflow_action: 'copy', options: { keep_file_ownership: true, reset_folder_date: true, processing_order: 'dsc' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/kept')] });
    assert.equal(kept.status, 'done', JSON.stringify(kept));
    for (const dir of ['kept/p', 'kept/p/q']) assert.equal((await stat(join(s.dst!.path, dir))).mtime.getTime(), folderDate.getTime(), `${dir} has its source's date`);
    if (root) assert.deepEqual([(await stat(join(s.dst!.path, 'kept/p/a.txt'))).uid, (await stat(join(s.dst!.path, 'kept/p/a.txt'))).gid], [4321, 8765]);
    // The walk's order is the order of the planned work: descending names.
    const planned = async (id: string) => (await b.barge.store.db.selectFrom('work_batches').innerJoin('work_batch_items', 'work_batch_items.batch_id', 'work_batches.id')
      .select('work_batch_items.items').where('work_batches.execution_id', '=', id).orderBy('work_batches.seq').execute())
      .flatMap((r) => decodeItems(r.items)).filter((i) => i.op === 'copy').map((i) => i.src.path);
    assert.deepEqual(await planned(kept.id), ['/z.txt', '/p/q/c.txt', '/p/b.txt', '/p/a.txt']);

    const plain = await runTask({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id, '/plain')] });
    assert.equal(plain.status, 'done');
    assert.notEqual((await stat(join(s.dst!.path, 'plain/p/q'))).mtime.getTime(), folderDate.getTime(), 'without reset_folder_date folders are new');
    if (root) assert.equal((await stat(join(s.dst!.path, 'plain/p/a.txt'))).uid, 0, 'without keep_file_ownership files belong to Barge');
    assert.deepEqual(await planned(plain.id), ['/p/a.txt', '/p/b.txt', '/p/q/c.txt', '/z.txt']);
  });

  it('parallel caps the files in flight below the mover\'s slots (8)', async () => {
    const s = await shares();
    await makeTree(s.src!.path, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p/f${i}.bin`, 6 * 1024 * 1024])));
    const t = await b.admin.post('/tasks', { name: unique('t'), workflow_type: 'data_migration', workflow_action: 'copy', options: { parallel: 2, file_checksum: 'xxhash64' }, sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    const r = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    let most = 0;
    const e = await waitFor(async () => {
      most = Math.max(most, (await partFiles(s.dst!.path)).length);
      const x = await b.admin.get(`/task_executions/${r.body.execution_id}`);
      return x.body.finished_at ? x.body : undefined;
    }, 'the execution to finish', 30_000, 2);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.ok(most <= 2, `at most 2 files in flight (saw ${most})`);
  });

  it('copies empty directories', async () => {
    const s = await shares();
    await mkdir(join(s.src!.path, 'empty/inner'), { recursive: true });
    await makeTree(s.src!.path, { 'f.txt': 'f' });
    assert.equal((await runTask({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] })).status, 'done');
    assert.deepEqual(await listDirs(s.dst!.path), ['empty', 'empty/inner']);
  });

  it('move: sources removed after a verified copy; remove_root_folder removes the emptied folders', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'm/one.txt': '1', 'm/two/three.txt': '3', 'keep.txt': 'k' });
    const before = await hashTree(join(s.src!.path, 'm'));
    const e = await runTask({ workflow_action: 'move', options: { file_checksum: 'md5', remove_root_folder: true }, sources: [ep(s.src!.id, '/m')], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'done');
    assert.deepEqual(await hashTree(join(s.dst!.path, 'm')), before);
    assert.equal(await exists(join(s.src!.path, 'm')), false, 'emptied folders removed');
    assert.equal(await readFile(join(s.src!.path, 'keep.txt'), 'utf8'), 'k', 'nothing outside the selected paths is touched');
  });

  it('move without remove_root_folder keeps the (now empty) folders', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'm/one.txt': '1', 'm/two/three.txt': '3' });
    assert.equal((await runTask({ workflow_action: 'move', sources: [ep(s.src!.id, '/m')], destinations: [ep(s.dst!.id)] })).status, 'done');
    assert.deepEqual(await hashTree(join(s.src!.path, 'm')), {});
    assert.deepEqual(await listDirs(s.src!.path), ['m', 'm/two']);
  });

  it('erase removes the selected files only; soft_erase moves them to .trash', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'e/x.txt': 'x', 'e/y/z.txt': 'z', 'other.txt': 'o' });
    const e = await runTask({ workflow_action: 'erase', sources: [ep(s.src!.id, '/e')] });
    assert.equal(e.status, 'done');
    assert.deepEqual(await hashTree(s.src!.path), { 'other.txt': (await hashTree(s.src!.path))['other.txt'] });
    assert.deepEqual(await listDirs(s.src!.path), ['e'], 'the selected folder itself stays without remove_root_folder');
    await makeTree(s.src!.path, { 'soft/a.txt': 'a' });
    const soft = await runTask({ workflow_action: 'erase', options: { soft_erase: true }, sources: [ep(s.src!.id, '/soft')] });
    assert.equal(soft.status, 'done');
    assert.equal(await exists(join(s.src!.path, 'soft/a.txt')), false);
    assert.equal(await readFile(join(s.src!.path, '.trash', soft.id, 'soft/a.txt'), 'utf8'), 'a');
  });

  it('scan records every file in the catalog with its checksum', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 's/1.txt': 'one', 's/2/2.txt': 'two' });
    const e = await runTask({ workflow_action: 'scan', options: { file_checksum: 'md5' }, sources: [ep(s.src!.id, '/s')] });
    assert.equal(e.status, 'done');
    const rows = await b.barge.store.db.selectFrom('catalog_entries').selectAll().where('execution_id', '=', e.id).orderBy('path').execute();
    assert.deepEqual(rows.map((r) => [r.path, Number(r.size), r.checksum]), [
      ['/s/1.txt', 3, 'f97c5d29941bfb1b2fdab0874906ab82'],
      ['/s/2/2.txt', 3, 'b8a9f715dbb64fd5c56e7783c6820a61'],
    ]);
    // Each file's attributes as the file system has them.
    for (const r of rows) {
      const st = await stat(join(s.src!.path, r.path));
      assert.deepEqual([Number(r.mtime_ms), r.mode, r.uid, r.gid], [st.mtimeMs, st.mode & 0o7777, st.uid, st.gid], r.path);
    }
  });

  it('scan records mode, owner and mtime as they are, not as they were copied', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'x.bin': 'x' });
    const f = join(s.src!.path, 'x.bin');
    await chmod(f, 0o640);
    const when = new Date('2021-03-04T05:06:07.250Z');
    await utimes(f, when, when);
    if (process.getuid?.() === 0) await chown(f, 4321, 8765);
    const e = await runTask({ workflow_action: 'scan', sources: [ep(s.src!.id)] });
    assert.equal(e.status, 'done');
    const row = await b.barge.store.db.selectFrom('catalog_entries').selectAll().where('execution_id', '=', e.id).executeTakeFirstOrThrow();
    assert.equal(row.mode, 0o640);
    assert.equal(Number(row.mtime_ms), when.getTime());
    assert.equal(row.checksum, null, 'no checksum without file_checksum');
    if (process.getuid?.() === 0) assert.deepEqual([row.uid, row.gid], [4321, 8765]);
  });

  it('check_consistency reports missing and differing files and ends with warnings', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'same.txt': 'same', 'differs.txt': 'aaaa', 'missing.txt': 'm', 'size.txt': 'short' });
    await makeTree(s.dst!.path, { 'same.txt': 'same', 'differs.txt': 'bbbb', 'size.txt': 'much longer' });
    const e = await runTask({ workflow_action: 'check_consistency', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
    assert.equal(e.files_failed, 3);
    const failed = (await b.admin.get(`/task_executions/${e.id}/files?status=failed&sort_by=src_path`)).body.files;
    assert.deepEqual(failed.map((f: any) => [f.src_path, f.error_class]), [
      ['/differs.txt', 'checksum_mismatch'], ['/missing.txt', 'not_found'], ['/size.txt', 'size_mismatch'],
    ]);
  });

  it('a file that cannot be written fails alone, is recorded, and the run ends with warnings', async () => {
    const s = await shares();
    await makeTree(s.src!.path, { 'ok.txt': 'fine', 'blocked/x.txt': 'x' });
    await writeFile(join(s.dst!.path, 'blocked'), 'a file where a folder is needed');
    const e = await runTask({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'finished_with_warnings', JSON.stringify(e));
    // The folder that cannot be created and the file inside it both fail; nothing else does.
    assert.equal(e.files_failed, 2);
    assert.equal(e.progress & 64, 64, 'HAS_ERROR');
    const f = (await b.admin.get(`/task_executions/${e.id}/files?sort_by=src_path`)).body.files;
    assert.equal(f.length, 2, 'without full_report only failures are kept');
    assert.deepEqual(f.map((x: any) => [x.src_path, x.status]), [['/blocked', 'failed'], ['/blocked/x.txt', 'failed']]);
    assert.ok(f.every((x: any) => x.error_class === 'not_a_directory' || x.error_class === 'exists'), JSON.stringify(f));
    assert.equal(await readFile(join(s.dst!.path, 'ok.txt'), 'utf8'), 'fine');
  });

  it('a missing source path ends the execution in error with a message', async () => {
    const s = await shares();
    const e = await runTask({ workflow_action: 'copy', sources: [ep(s.src!.id, '/does/not/exist')], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'error');
    assert.match(e.error, /does not exist/);
  });

  it('a share whose directory vanished ends in error, never a crash', async () => {
    const s = await shares();
    await rm(s.src!.path, { recursive: true, force: true });
    const e = await runTask({ workflow_action: 'copy', sources: [ep(s.src!.id)], destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'error');
    assert.ok(e.error);
  });

  it('speedtest writes and reads iterations × size on the storage, reports bandwidth, leaves nothing', async () => {
    const s = await shares();
    const e = await runTask({ workflow_action: 'speedtest', options: { speedtest_iterations: 2, speedtest_size: 3 * 1024 * 1024, full_report: true }, destinations: [ep(s.dst!.id)] });
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(e.nodes_done, 2);
    assert.equal(e.size_done, 2 * 3 * 1024 * 1024);
    assert.ok(e.bandwidth > 0, `bandwidth ${e.bandwidth}`);
    const row = await b.barge.store.db.selectFrom('task_executions').select('log').where('id', '=', e.id).executeTakeFirstOrThrow();
    assert.match(row.log, /speedtest: 2 run\(s\), write [0-9.]+ MiB\/s, read [0-9.]+ MiB\/s/);
    const files = (await b.admin.get(`/task_executions/${e.id}/files`)).body.files;
    assert.ok(files.every((f: any) => /write [0-9.]+ MiB\/s, read/.test(f.error ?? '')), JSON.stringify(files));
    assert.deepEqual(await listDirs(s.dst!.path), [], 'the test files and folders are removed');
  });

  it('full and incremental backups land in dated snapshots; a restore rebuilds the state of any backup', async () => {
    const s = await nasWithShares(b.admin, ['src', 'vault', 'back']);
    await makeTree(s.src!.path, { 'p/keep.txt': 'unchanged', 'p/edit.txt': 'v1', 'p/sub/gone.txt': 'deleted later' });
    const backupTask = async (action: string) => {
      const t = await b.admin.post('/tasks', { name: unique(action), workflow_type: 'offline_archive', workflow_action: action, options: { full_report: true }, sources: [ep(s.src!.id, '/p')], destinations: [ep(s.vault!.id, '/snapshots')] });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      return t.body.id as string;
    };
    const run = async (taskId: string) => {
      const r = await b.admin.put(`/tasks/${taskId}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return waitFor(async () => {
        const e = await b.admin.get(`/task_executions/${r.body.execution_id}`);
        return e.body.finished_at ? e.body : undefined;
      }, 'backup', 30_000);
    };
    const incremental = await backupTask('incremental_backup');
    const first = await run(incremental);
    assert.equal(first.status, 'done', JSON.stringify(first));
    const snapshots1 = (await listDirs(join(s.vault!.path, 'snapshots'))).filter((d) => /^backup-\d{8}T\d{6}\.\d{3}Z$/.test(d));
    assert.equal(snapshots1.length, 1, 'one dated snapshot folder');
    assert.deepEqual(Object.keys(await hashTree(join(s.vault!.path, 'snapshots', snapshots1[0]!))).sort(), ['p/edit.txt', 'p/keep.txt', 'p/sub/gone.txt']);
    const state1 = await hashTree(join(s.src!.path, 'p'));

    // Change the source: edit one file (new size, so it is seen as changed), add one, delete one.
    await writeFile(join(s.src!.path, 'p/edit.txt'), 'version two');
    await makeTree(s.src!.path, { 'p/new.txt': 'added' });
    await rm(join(s.src!.path, 'p/sub/gone.txt'));
    const second = await run(incremental);
    assert.equal(second.status, 'done');
    const snapshots2 = (await listDirs(join(s.vault!.path, 'snapshots'))).filter((d) => /^backup-[^/]+$/.test(d));
    assert.equal(snapshots2.length, 2);
    const newest = snapshots2.find((d) => d !== snapshots1[0])!;
    assert.deepEqual(Object.keys(await hashTree(join(s.vault!.path, 'snapshots', newest))).sort(), ['p/edit.txt', 'p/new.txt'], 'only what changed is copied');
    const ledger = (await b.admin.get(`/task_executions/${second.id}/files?status=skipped`)).body.files;
    assert.deepEqual(ledger.map((f: any) => f.src_path), ['/p/keep.txt']);

    // Restore the second backup: the whole state at that time, unchanged files from the first snapshot.
    const restore = async (executionId: string, dir: string) => {
      const t = await b.admin.post('/tasks', { name: unique('restore'), workflow_type: 'offline_archive', workflow_action: 'restore', options: { execution_task_id: executionId }, destinations: [ep(s.back!.id, dir)] });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      return run(t.body.id);
    };
    const r2 = await restore(second.id, '/at-second');
    assert.equal(r2.status, 'done', JSON.stringify(r2));
    assert.deepEqual(await hashTree(join(s.back!.path, 'at-second/p')), await hashTree(join(s.src!.path, 'p')));
    const r1 = await restore(first.id, '/at-first');
    assert.equal(r1.status, 'done');
    assert.deepEqual(await hashTree(join(s.back!.path, 'at-first/p')), state1);

    // A restore must name a finished backup.
    const bad = await b.admin.post('/tasks', { name: unique('restore'), workflow_type: 'offline_archive', workflow_action: 'restore', options: { execution_task_id: r1.id }, destinations: [ep(s.back!.id)] });
    const refused = await b.admin.put(`/tasks/${bad.body.id}/action/run`);
    assert.equal(refused.status, 422);
    assert.match(refused.body.detail, /execution_task_id/);
  });

  it('actions and storages the engine cannot run yet are refused at run with a 422 saying why', async () => {
    const s = await shares();
    const t = await b.admin.post('/tasks', { name: unique('cc'), workflow_type: 'maintenance', workflow_action: 'cache_cleaning', sources: [ep(s.src!.id)] });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const r = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(r.status, 422);
    assert.match(r.body.detail, /has no quota: set its quota_bytes/); // cache_cleaning needs the share's quota (test/tape-cache.test.ts)
    // On tape only archives (copy/move to a tape pool) and restores (copy from one) run: a move from tape is refused.
    const pool = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
    const toTape = await b.admin.post('/tasks', { name: unique('c'), workflow_type: 'offline_archive', workflow_action: 'move', sources: [{ type: 'tape', pool_id: pool.body.id, node_paths: ['/'] }], destinations: [ep(s.src!.id)] });
    assert.equal(toTape.status, 201, JSON.stringify(toTape.body));
    const r2 = await b.admin.put(`/tasks/${toTape.body.id}/action/run`);
    assert.equal(r2.status, 422);
    assert.match(r2.body.detail, /tape storage/);
  });

});
