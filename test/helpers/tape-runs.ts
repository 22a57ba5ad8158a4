/**
 * What the end-to-end tape run tests share: a virtual library with pools of their own cartridges,
 * running a task and following its execution, and reading the cartridges back (their session indexes,
 * torn tails and `tar -tf`) to check that no file is on tape twice and nothing half-written counts.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor, type Booted, type Client } from './barge.js';
import { unique } from './fixtures.js';
import { tarNames } from './gnu-tar.js';
import { Cartridge } from '../../src/storage/tape/cartridge.js';

export const TERMINAL = ['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'];
const INDEX = /^\.barge-index\//;

export interface TapeLab {
  lib: { id: string; name: string; path: string };
  capacity: number;
  /** Pool id → the barcodes put in it. */
  pools: Map<string, string[]>;
  /** The pools' ids, in the order asked. */
  poolIds: string[];
}

/** Creates a virtual library under `root` and splits its cartridges into pools of the given sizes (in barcode order). */
export async function tapeLab(b: Booted, root: string, o: { drives: number; tapes: number[]; capacity: number; loadSeconds: number }): Promise<TapeLab> {
  const total = o.tapes.reduce((a, n) => a + n, 0);
  const r = await b.admin.post('/tape_libraries', {
    name: unique('vtl'), type: 'virtual', path: join(root, 'lib'), slots: total + 2, drives: o.drives, mailslots: 1, tape_type: 'data_lto8', tapes: total,
    capacity_bytes: o.capacity, load_seconds: o.loadSeconds, seek_mb_per_second: 0,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const tapes = ((await b.admin.get(`/tape_libraries/${r.body.id}/tapes?limit=200`)).body.tapes as Array<{ barcode: string }>).map((t) => t.barcode).sort();
  const pools = new Map<string, string[]>();
  const poolIds: string[] = [];
  let at = 0;
  for (const n of o.tapes) {
    const p = await b.admin.post('/pools', { name: unique('tapes'), type: 'offline_archive', content: 'tape' });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const barcodes = tapes.slice(at, at + n);
    at += n;
    for (const barcode of barcodes) assert.equal((await b.admin.post(`/pools/${p.body.id}/tapes`, { barcode })).status, 201);
    pools.set(p.body.id, barcodes);
    poolIds.push(p.body.id);
  }
  return { lib: r.body, capacity: o.capacity, pools, poolIds };
}

/** Creates a task (an offline_archive unless the body says otherwise) as `client`; returns its id. */
export async function createTask(b: Booted, body: Record<string, unknown>, client: Client = b.admin): Promise<string> {
  const t = await client.post('/tasks', { name: unique('t'), workflow_type: 'offline_archive', ...body });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  return t.body.id;
}

/** Creates and runs a task; returns its id and the execution's. */
export async function runTask(b: Booted, body: Record<string, unknown>): Promise<{ id: string; execution: string }> {
  const id = await createTask(b, body);
  const r = await b.admin.put(`/tasks/${id}/action/run`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { id, execution: r.body.execution_id };
}

/** A task that saves but whose run is refused: the status and a message matching `why`. */
export async function refusedAtRun(b: Booted, body: Record<string, unknown>, status: number, why: RegExp, client: Client = b.admin): Promise<void> {
  const id = await createTask(b, body, client);
  const r = await client.put(`/tasks/${id}/action/run`);
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(JSON.stringify(r.body), why);
}

/** Waits for the execution's `finished_at` (the drive may still be being given back: see {@link finished}). */
export async function ended(b: Booted, id: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(async () => {
    const e = await execution(b, id);
    return e.finished_at ? e : undefined;
  }, 'the execution to finish', timeoutMs, 100).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await execution(b, id))}`);
  });
}

export async function execution(b: Booted, id: string): Promise<any> {
  return (await b.admin.get(`/task_executions/${id}`)).body;
}

/** Waits for the execution to end and for its drive to be given back (the run is over in the engine too). */
export async function finished(b: Booted, lab: TapeLab, id: string, timeoutMs = 90_000): Promise<any> {
  const e = await waitFor(async () => {
    const r = await execution(b, id);
    return TERMINAL.includes(r.status) ? r : undefined;
  }, 'the execution to finish', timeoutMs, 50).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await execution(b, id))}`);
  });
  await driveFree(b, lab, id);
  return e;
}

/** Waits until no drive of the library names the execution and none holds a cartridge for it. */
export async function driveFree(b: Booted, lab: TapeLab, id: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    const drives = (await b.admin.get(`/tape_libraries/${lab.lib.id}/tape_drives`)).body.tape_drives as any[];
    return drives.every((d) => d.execution_id !== id) ? true : undefined;
  }, `the drive of ${id} to be free`, timeoutMs, 25);
}

/** Waits until the execution has `n` files done in its ledger (what a tape run records per file or per session). */
export async function filesDone(b: Booted, id: string, n = 1, timeoutMs = 60_000): Promise<any[]> {
  return waitFor(async () => {
    const e = await execution(b, id);
    if (TERMINAL.includes(e.status)) throw new Error(`the execution ended before ${n} files were done: ${JSON.stringify(e)}`);
    const files = (await b.admin.get(`/task_executions/${id}/files?status=done&limit=1000`)).body.files as any[];
    return files.length >= n ? files : undefined;
  }, `${n} files of ${id} to be done`, timeoutMs, 10);
}

export function cartridgeFile(lab: TapeLab, barcode: string): string {
  return join(lab.lib.path, 'cartridges', `${barcode}.tar`);
}

/**
 * Reads every cartridge of a pool: the paths of its complete sessions' indexes (each path once per
 * session it is in), its torn members, and checks `tar -tf` lists exactly the indexed files.
 */
export async function poolOnTape(lab: TapeLab, poolId: string): Promise<{ paths: string[]; torn: number }> {
  const paths: string[] = [];
  let torn = 0;
  for (const barcode of lab.pools.get(poolId) ?? []) {
    const file = cartridgeFile(lab, barcode);
    const cart = await Cartridge.open(file, { barcode, capacityBytes: lab.capacity });
    const indexed = cart.sessions.flatMap((s) => s.index.files.map((f) => f.path));
    torn += cart.tornMembers;
    if (cart.tornMembers === 0) assert.deepEqual((await tarNames(file)).filter((n) => !INDEX.test(n)).sort(), [...indexed].sort(), `tar -tf ${barcode} lists exactly its indexes' files`);
    paths.push(...indexed);
  }
  return { paths, torn };
}

/** Paths that occur more than once. */
export function twice(paths: string[]): string[] {
  const seen = new Map<string, number>();
  for (const p of paths) seen.set(p, (seen.get(p) ?? 0) + 1);
  return [...seen.entries()].filter(([, n]) => n > 1).map(([p]) => p);
}

/** Every file under `dir` (relative paths), hidden ones and temporary `.part` files included. */
export async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as any).path, e.name).slice(dir.length + 1)).sort();
}
