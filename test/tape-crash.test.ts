/**
 * An archive to tape survives kill -9 (#12): Barge runs as a child process (the compiled server) and
 * is killed while it writes a session, right after its first session committed; started again on the
 * same data dir it resumes and completes. Every source file is then in exactly one session index of
 * the pool's cartridges (the torn session was overwritten, never counted), `tar -tf` of each cartridge
 * lists exactly its indexes' files, and the catalog agrees. SQLite (the child's own store).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './helpers/barge.js';
import { startChild, type ChildBarge } from './helpers/child-barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { gnuTarVersion, tarNames } from './helpers/gnu-tar.js';
import { makeTree } from './helpers/trees.js';
import { Cartridge } from '../src/storage/tape/cartridge.js';

const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: tape crash test skipped`);
const KiB = 1024;
const MiB = 1024 * KiB;
const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];
const INDEX = /^\.barge-index\//;

describe('tape archive: kill -9 while a session is written, restart, complete', { skip: noTar }, () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('resumes to the end with no file twice in the indexes', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'barge-tape-crash-'));
    const dataDir = await mkdtemp(join(tmpdir(), 'barge-tape-crash-data-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }), () => rm(dataDir, { recursive: true, force: true }));
    const env = { BARGE_TAPE_ROOTS: root };
    let child: ChildBarge = await startChild(dataDir, env);
    cleanup.push(() => child.kill());
    const shares = await nasWithShares(child.admin, ['src']);
    cleanup.push(() => rm(shares.src!.path, { recursive: true, force: true }));
    // 300 files of 64 KiB (≈ 20 MB) onto cartridges of 8 MiB: three cartridges, several sessions.
    const tree = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`data/d${i % 6}/f${i}.bin`, 64 * KiB]));
    await makeTree(shares.src!.path, tree);
    const lib = await child.admin.post('/tape_libraries', {
      name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: 6, drives: 1, mailslots: 1, tape_type: 'data_lto8', tapes: 4,
      capacity_bytes: 8 * MiB, load_seconds: 0, seek_mb_per_second: 0,
    });
    assert.equal(lib.status, 201, JSON.stringify(lib.body));
    const pool = await child.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
    const tapes = (await child.admin.get(`/tape_libraries/${lib.body.id}/tapes`)).body.tapes as any[];
    for (const t of tapes) assert.equal((await child.admin.post(`/pools/${pool.body.id}/tapes`, { barcode: t.barcode })).status, 201);
    const task = await child.admin.post('/tasks', {
      name: unique('archive'), workflow_type: 'offline_archive', workflow_action: 'copy',
      sources: [{ type: 'nas', storage_id: shares.src!.id, node_paths: ['/data'] }], destinations: [{ type: 'tape', pool_id: pool.body.id, node_paths: ['/'] }],
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    const run = await child.admin.put(`/tasks/${task.body.id}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const id = run.body.execution_id as string;

    // The first session is committed (files counted); the next one is being written: kill now.
    const mid = await waitFor(async () => {
      const e = (await child.admin.get(`/task_executions/${id}`)).body;
      return e.nodes_done > 0 || TERMINAL.includes(e.status) ? e : undefined;
    }, 'the first session to commit', 60_000, 5);
    await child.kill();
    assert.ok(!TERMINAL.includes(mid.status), `killed mid-run (${mid.nodes_done} files done)`);
    let torn = 0;
    for (const t of tapes) torn += (await Cartridge.open(join(lib.body.path, 'cartridges', `${t.barcode}.tar`), { barcode: t.barcode, capacityBytes: 8 * MiB })).tornMembers;
    t.diagnostic(`killed with ${mid.nodes_done} files committed and ${torn} member(s) of a torn session on the cartridges`);

    child = await startChild(dataDir, env);
    const e = await waitFor(async () => {
      const r = (await child.admin.get(`/task_executions/${id}`)).body;
      return TERMINAL.includes(r.status) ? r : undefined;
    }, 'the execution to finish after the restart', 120_000, 100);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(e.nodes_done, 300);

    const seen = new Map<string, number>();
    for (const tp of tapes) {
      const t = tp;
      const file = join(lib.body.path, 'cartridges', `${t.barcode}.tar`);
      const cart = await Cartridge.open(file, { barcode: t.barcode, capacityBytes: 8 * MiB });
      const indexed = cart.sessions.flatMap((s) => s.index.files.map((f) => f.path));
      for (const p of indexed) seen.set(p, (seen.get(p) ?? 0) + 1);
      assert.equal(cart.tornMembers, 0, `${t.barcode}: the torn session was overwritten`);
      assert.deepEqual((await tarNames(file)).filter((n) => !INDEX.test(n)).sort(), [...indexed].sort(), `tar -tf ${t.barcode} lists exactly its indexes' files`);
      const row = (await child.admin.get(`/tapes/${t.id}`)).body;
      assert.equal(row.sessions, cart.sessions.length, `${t.barcode}: the tape row counts its sessions`);
    }
    assert.deepEqual([...seen.keys()].sort(), Object.keys(tree).sort(), 'every file archived');
    assert.deepEqual([...seen.entries()].filter(([, n]) => n > 1), [], 'no file in two indexes');
  });
});
