/**
 * Two drives held together (a duplication): the named drives are the ones taken, a second pair waits
 * holding nothing while the first is taken, and two pairs plus a single-drive user never deadlock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualTapeLibrary } from '../../storage/tape/virtual-library.js';
import type { TapeRepository } from '../../store/tape-repository.js';
import type { TapeLibraryRow } from '../../store/schema.js';
import { DrivePair } from './drive-pair.js';

const rows: Array<[number, string | null]> = [];
const deps = {
  tapes: { setDriveUser: async (_lib: string, drive: number, u: { execution_id: string | null }) => void rows.push([drive, u.execution_id]) } as unknown as TapeRepository,
  clock: { now: () => new Date() },
  note: async () => undefined,
};
const row = { id: 'L', name: 'lib' } as TapeLibraryRow;
const owner = (id: string) => ({ executionId: id, taskId: `task-${id}` });
/** Whether `p` has settled after the pending callbacks ran. */
const settled = async (p: Promise<unknown>) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

describe('drive pairs', () => {
  let root: string;
  let lib: VirtualTapeLibrary;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'barge-pair-'));
    const dir = await VirtualTapeLibrary.create(join(root, 'lib'), [root], { slots: 4, drives: 2, mailslots: 1, tapeType: 'data_lto8', barcodes: ['BRG001L8'], capacityBytes: 1 << 20, loadSeconds: 0, seekMbPerSecond: 0 });
    lib = await VirtualTapeLibrary.open(dir);
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('takes the drives the task names, the named copy drive first when only it is named', async () => {
    const a = await DrivePair.acquire(lib, row, owner('a'), deps, AbortSignal.timeout(10_000), { source: 1, copy: 0 });
    assert.deepEqual([a.source.drive, a.copy.drive], [1, 0]);
    await a.release();
    const b = await DrivePair.acquire(lib, row, owner('b'), deps, AbortSignal.timeout(10_000), { copy: 0 });
    assert.deepEqual([b.source.drive, b.copy.drive], [1, 0], 'any drive but the copy\'s');
    await b.release();
    assert.deepEqual(lib.driveUsers().holders, [undefined, undefined]);
  });

  it('a second pair and a single-drive user take turns without deadlock', async () => {
    const single = await lib.acquireDrive({ owner: 'x', drive: 0 });
    const a = DrivePair.acquire(lib, row, owner('a'), deps, AbortSignal.timeout(10_000), {});
    const b = DrivePair.acquire(lib, row, owner('b'), deps, AbortSignal.timeout(10_000), {});
    assert.equal(await settled(a), false, 'a waits for drive 0');
    assert.deepEqual(lib.driveUsers().holders, ['x', 'a'], 'b holds nothing while a takes its pair');
    single.release();
    const pa = await a;
    assert.deepEqual(lib.driveUsers().holders.sort(), ['a', 'a']);
    assert.equal(await settled(b), false);
    await pa.release();
    const pb = await b;
    assert.deepEqual(lib.driveUsers().holders, ['b', 'b']);
    await pb.release();
  });

  it('two pairs asked for at once on free drives: one gets both, the other waits for them (never one each)', async () => {
    const a = DrivePair.acquire(lib, row, owner('a'), deps, AbortSignal.timeout(10_000), {});
    const b = DrivePair.acquire(lib, row, owner('b'), deps, AbortSignal.timeout(10_000), {});
    const pa = await a;
    assert.deepEqual(lib.driveUsers().holders, ['a', 'a']);
    assert.equal(await settled(b), false);
    await pa.release();
    await (await b).release();
    assert.deepEqual(lib.driveUsers().holders, [undefined, undefined]);
  });

  it('gives up waiting on its signal, holding nothing', async () => {
    const a = await DrivePair.acquire(lib, row, owner('a'), deps, AbortSignal.timeout(10_000), {});
    const stop = new AbortController();
    const b = DrivePair.acquire(lib, row, owner('b'), deps, stop.signal, {});
    stop.abort();
    await assert.rejects(b, /abort/i);
    assert.deepEqual(lib.driveUsers().holders, ['a', 'a']);
    await a.release();
    assert.deepEqual(lib.driveUsers().holders, [undefined, undefined]);
  });
});
