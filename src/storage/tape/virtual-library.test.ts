/**
 * The virtual library as a whole: created only inside the allowed roots, the changer's moves
 * (load, unload, mailslot, eject, import) and what they refuse, exclusive drives with two users
 * taking turns, mechanics' time, a file that does not fit going whole to the next cartridge, write
 * protection and ejection refusing writes, removal refused while a cartridge holds data, and
 * waitForChange waking at the next move or drive release.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualTapeLibrary, type VirtualLibrarySpec } from './virtual-library.js';
import { gnuTarVersion, tarNames } from '../../../test/helpers/gnu-tar.js';

const noTar = !(await gnuTarVersion()) && 'GNU tar is not installed';
if (noTar) console.log(`# ${noTar}: virtual library tests skipped`);
const MTIME = 1_700_000_000_000;

function spec(extra: Partial<VirtualLibrarySpec> = {}): VirtualLibrarySpec {
  return {
    slots: 6, drives: 1, mailslots: 1, tapeType: 'data_lto8', barcodes: ['BRG001L8', 'BRG002L8', 'BRG003L8'],
    capacityBytes: 1024 * 1024, loadSeconds: 0, seekMbPerSecond: 0, ...extra,
  };
}

async function* bytes(n: number, fill = 1): AsyncGenerator<Buffer> {
  yield Buffer.alloc(n, fill);
}

describe('virtual tape library', { skip: noTar }, () => {
  let root: string;
  let k = 0;
  const newLib = async (extra: Partial<VirtualLibrarySpec> = {}) => {
    const dir = await VirtualTapeLibrary.create(join(root, `lib${++k}`), [root], spec(extra));
    return { dir, lib: await VirtualTapeLibrary.open(dir) };
  };
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'barge-vtl-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('is created only inside the allowed roots, in a new or empty directory; each cartridge is a blank tar archive', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'barge-vtl-out-'));
    try {
      await assert.rejects(VirtualTapeLibrary.create(join(outside, 'lib'), [root], spec()), { code: 'path_not_allowed' });
      await assert.rejects(VirtualTapeLibrary.create('relative/lib', [root], spec()), { code: 'path_not_allowed' });
      await assert.rejects(VirtualTapeLibrary.create(`${root}/x/../../etc`, [root], spec()), { code: 'path_not_allowed' });
      await assert.rejects(VirtualTapeLibrary.create(root, [root], spec()), { code: 'path_not_allowed' }, 'not the root itself');
      await symlink(outside, join(root, 'escape'));
      await assert.rejects(VirtualTapeLibrary.create(join(root, 'escape', 'lib'), [root], spec()), { code: 'path_not_allowed' }, 'a symlink does not lead out');
      await mkdir(join(root, 'busy'));
      await writeFile(join(root, 'busy', 'file'), 'x');
      await assert.rejects(VirtualTapeLibrary.create(join(root, 'busy'), [root], spec()), { code: 'path_not_empty' });
      assert.deepEqual(await readdir(outside), []);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    const { dir, lib } = await newLib();
    assert.deepEqual((await readdir(join(dir, 'cartridges'))).sort(), ['BRG001L8.tar', 'BRG002L8.tar', 'BRG003L8.tar']);
    assert.deepEqual(await tarNames(join(dir, 'cartridges', 'BRG001L8.tar')), []);
    assert.deepEqual(await lib.inventory(), { slots: ['BRG001L8', 'BRG002L8', 'BRG003L8', null, null, null], drives: [null], mailslots: [null], offline: [] });
    assert.deepEqual(await lib.cartridge('BRG002L8'), { barcode: 'BRG002L8', location: { kind: 'slot', index: 1 }, writeProtected: false, capacityBytes: 1024 * 1024, mounts: 0 });
  });

  it('loads, writes, unloads; the state survives a reopen', async () => {
    const { dir, lib } = await newLib();
    const d = await lib.acquireDrive({ owner: 'exec-1' });
    await d.load('BRG002L8');
    assert.equal(d.loaded(), 'BRG002L8');
    const s = await d.openWrite();
    await s.writeFile({ path: 'a/file', size: 1000, mtimeMs: MTIME, mode: 0o644 }, bytes(1000));
    await s.close();
    await assert.rejects(d.load('BRG001L8'), { code: 'drive_busy' });
    await d.unload();
    d.release();
    await assert.rejects(d.load('BRG001L8'), { code: 'invalid_argument' }, 'a released lease does nothing');
    const again = await VirtualTapeLibrary.open(dir);
    assert.deepEqual((await again.cartridge('BRG002L8')).location, { kind: 'slot', index: 1 });
    assert.equal((await again.cartridge('BRG002L8')).mounts, 1);
    const d2 = await again.acquireDrive({ owner: 'exec-2' });
    await d2.load('BRG002L8');
    const medium = await d2.medium();
    assert.deepEqual(medium.sessions.map((x) => x.index.files.map((f) => f.path)), [['a/file']]);
    const chunks: Buffer[] = [];
    for await (const c of await d2.openRead(medium.sessions[0]!.index.files[0]!.offset, 1000)) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(Buffer.alloc(1000, 1)));
    d2.release();
  });

  it('two users wanting the one drive take turns: the second waits until the first releases it', async () => {
    const { lib } = await newLib();
    const events: string[] = [];
    const use = async (owner: string, barcode: string) => {
      const d = await lib.acquireDrive({ owner, onWait: () => events.push(`${owner} waits`) });
      events.push(`${owner} got drive ${d.drive}`);
      assert.deepEqual(lib.driveUsers().holders, [owner], 'the drive names its user');
      await d.load(barcode);
      const s = await d.openWrite();
      await s.writeFile({ path: `${owner}.bin`, size: 2048, mtimeMs: MTIME, mode: 0o644 }, bytes(2048));
      await s.close();
      await d.unload();
      events.push(`${owner} done`);
      d.release();
    };
    await Promise.all([use('first', 'BRG001L8'), use('second', 'BRG002L8')]);
    assert.deepEqual(events.filter((e) => e !== 'second waits'), ['first got drive 0', 'first done', 'second got drive 0', 'second done']);
    assert.ok(events.indexOf('second waits') < events.indexOf('first done'), 'the second said it was waiting while the first worked');
    assert.deepEqual(lib.driveUsers(), { holders: [undefined], waiting: [] });
  });

  it('a file that does not fit goes whole to the next cartridge; one larger than a cartridge fails', async () => {
    const { dir, lib } = await newLib({ capacityBytes: 64 * 1024 });
    const d = await lib.acquireDrive({ owner: 'archive' });
    await d.load('BRG001L8');
    let s = await d.openWrite();
    await s.writeFile({ path: 'one', size: 40_000, mtimeMs: MTIME, mode: 0o644 }, bytes(40_000));
    const next = { path: 'two', size: 30_000, mtimeMs: MTIME, mode: 0o644 };
    assert.equal(s.fits(next), 'no_space');
    assert.equal(s.fits({ ...next, path: 'huge', size: 70_000 }), 'too_large');
    await s.close();
    await d.unload();
    await d.load('BRG002L8');
    s = await d.openWrite();
    await s.writeFile(next, bytes(30_000));
    await s.close();
    d.release();
    assert.deepEqual((await tarNames(join(dir, 'cartridges', 'BRG001L8.tar'))).filter((n) => !n.startsWith('.barge')), ['one']);
    assert.deepEqual((await tarNames(join(dir, 'cartridges', 'BRG002L8.tar'))).filter((n) => !n.startsWith('.barge')), ['two']);
  });

  it('write-protected and ejected cartridges are never written', async () => {
    const { lib } = await newLib();
    await lib.setWriteProtected('BRG001L8', true);
    const d = await lib.acquireDrive({ owner: 'x' });
    await d.load('BRG001L8');
    await assert.rejects(d.openWrite(), { code: 'write_protected' });
    await assert.rejects(d.format({ overwrite: true }), { code: 'write_protected' });
    assert.equal((await lib.cartridge('BRG001L8')).writeProtected, true);
    await d.unload();

    await assert.rejects(lib.eject('BRG002L8'), { code: 'wrong_location' }, 'only from a mailslot');
    assert.equal(await lib.moveToMailslot('BRG002L8'), 0);
    await assert.rejects(lib.moveToMailslot('BRG003L8'), { code: 'no_free_slot' }, 'one mailslot');
    await assert.rejects(d.load('BRG002L8'), { code: 'wrong_location' });
    await lib.eject('BRG002L8');
    assert.deepEqual((await lib.inventory()).offline, ['BRG002L8']);
    assert.deepEqual((await lib.cartridge('BRG002L8')).location, { kind: 'offline' });
    await assert.rejects(d.load('BRG002L8'), { code: 'offline' });
    assert.equal(await lib.importCartridge('BRG002L8'), 1, 'back to its home slot');
    await d.load('BRG002L8');
    const s = await d.openWrite();
    await s.writeFile({ path: 'back', size: 1, mtimeMs: MTIME, mode: 0o644 }, bytes(1));
    await s.close();
    await assert.rejects(lib.moveToMailslot('BRG002L8'), { code: 'drive_busy' });
    d.release();
    await assert.rejects(lib.cartridge('NOPE01L8'), { code: 'not_found' });
  });

  it('takes the mechanics\' time: a load costs load_seconds, a seek the distance over seek_mb_per_second; abortable', async () => {
    const { lib } = await newLib({ loadSeconds: 0.08, seekMbPerSecond: 1 });
    const d = await lib.acquireDrive({ owner: 'timed' });
    let t = performance.now();
    await d.load('BRG001L8');
    assert.ok(performance.now() - t >= 75, 'the load took its time');
    const s = await d.openWrite();
    await s.writeFile({ path: 'f', size: 100_000, mtimeMs: MTIME, mode: 0o644 }, bytes(100_000));
    const closed = await s.close();
    t = performance.now();
    const r = await d.openRead(closed!.index.files[0]!.offset, 10);
    r.resume();
    assert.ok(performance.now() - t >= 90, 'seeking back ~100 kB at 1 MB/s takes ~100 ms');
    const abort = new AbortController();
    const unloading = d.unload(abort.signal);
    abort.abort();
    await assert.rejects(unloading, { code: 'aborted' });
    assert.equal(d.loaded(), 'BRG001L8', 'an aborted move moved nothing');
    d.release();
  });

  it('is removed only while no cartridge holds data', async () => {
    const { dir, lib } = await newLib();
    const d = await lib.acquireDrive({ owner: 'w' });
    await d.load('BRG003L8');
    const s = await d.openWrite();
    await s.writeFile({ path: 'keep', size: 1, mtimeMs: MTIME, mode: 0o644 }, bytes(1));
    await s.close();
    await assert.rejects(VirtualTapeLibrary.destroy(dir, [root]), { code: 'holds_data' });
    await d.format({ overwrite: true });
    d.release();
    await VirtualTapeLibrary.destroy(dir, [root]);
    await assert.rejects(readdir(dir), { code: 'ENOENT' });
  });

  it('waitForChange resolves at the next robot move or drive release, else after its time; the signal ends it', async () => {
    const { lib } = await newLib({ drives: 2 });
    const d = await lib.acquireDrive({ owner: 'a' });
    // Nothing moves: it waits its time out (a long one would hang the test: the move below must wake it).
    const idle = Date.now();
    await lib.waitForChange(50);
    assert.ok(Date.now() - idle >= 45);
    // Woken well before their 20 s: by the load, by the release, by the signal.
    const woken = async (p: Promise<void>, what: string) => {
      const t0 = Date.now();
      await p;
      assert.ok(Date.now() - t0 < 5000, `${what} woke the waiter`);
    };
    const moved = lib.waitForChange(20_000);
    await d.load('BRG001L8');
    await woken(moved, 'a load');
    const released = lib.waitForChange(20_000);
    d.release();
    await woken(released, 'a drive release');
    const ac = new AbortController();
    const aborted = lib.waitForChange(20_000, ac.signal);
    ac.abort();
    await woken(aborted, 'the signal');
    await woken(lib.waitForChange(20_000, ac.signal), 'an aborted signal');
    const d2 = await lib.acquireDrive({ owner: 'b' });
    await d2.unload();
    d2.release();
  });
});
