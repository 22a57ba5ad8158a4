import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runConformance } from '../conformance/conformance.js';
import { collect, listNames, readBytes, rejectsWithCode, writeBytes } from '../conformance/helpers.js';
import { isTempName, makeTempName } from '../paths.js';
import { PosixDriver, createPosixDriver } from './posix-driver.js';
import { CopyPool } from './copy-pool.js';
import type { CopyJob } from './copy-job.js';
import { loadNativeCopier, nativeCopierStatus } from './native-copier.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const driverModule = fileURLToPath(new URL('./posix-driver.ts', import.meta.url));

/** Fresh `base/` holding the storage `base/root/` and things outside it (`base/outside*`). */
async function makeBase(): Promise<{ base: string; root: string }> {
  const base = await fs.mkdtemp(join(tmpdir(), 'barge-posix-'));
  const root = join(base, 'root');
  await fs.mkdir(root);
  return { base, root };
}

/** Run a short ESM script in a child Node (with tsx), optionally as another uid; returns its stdout. */
async function child(script: string, options: { uid?: number; gid?: number } = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    ...options, cwd: process.cwd(), timeout: 20_000,
  }).catch((err: { stdout?: string; code?: unknown }) => ({ stdout: err.stdout ?? '' }));
  return stdout;
}

// The conformance suite runs with each copier of the copy workers (posix → posix transfers): the
// JavaScript one, and the native one (native-copier.ts) when it is built — the same behaviour either way.
const jsCopyPool = new CopyPool({ workers: 2, nativeCopy: false });
const nativeCopyPool = new CopyPool({ workers: 2, nativeCopy: true });
after(() => Promise.all([jsCopyPool.close(), nativeCopyPool.close()]));

runConformance('posix (JavaScript copier)', async () => {
  const { base, root } = await makeBase();
  return { driver: await PosixDriver.open({ root }, { copyPool: jsCopyPool }), cleanup: () => fs.rm(base, { recursive: true, force: true }) };
});

const nativeSkip = loadNativeCopier() === null ? `native copier not available: ${nativeCopierStatus().reason}` : null;
if (nativeSkip !== null) {
  console.log(`# skipped: storage conformance: posix (native copier): ${nativeSkip}`);
} else {
  runConformance('posix (native copier)', async () => {
    const { base, root } = await makeBase();
    return { driver: await PosixDriver.open({ root }, { copyPool: nativeCopyPool }), cleanup: () => fs.rm(base, { recursive: true, force: true }) };
  });
  describe('posix (native copier)', () => {
    it('the conformance suite ran batches through the native copier, and the JavaScript pool never did', () => {
      assert.ok(nativeCopyPool.nativeJobs() > 0, 'native jobs');
      assert.equal(jsCopyPool.nativeJobs(), 0);
    });
  });
}

describe('posix driver specifics', () => {
  let base: string;
  let root: string;
  let d: PosixDriver;
  before(async () => {
    ({ base, root } = await makeBase());
    d = await PosixDriver.open({ root });
  });
  after(async () => {
    await d.close();
    await fs.rm(base, { recursive: true, force: true });
  });

  it('writes through a hidden .part file in the target directory, gone after commit', async () => {
    const w = await d.openWrite('tmpname/file.txt');
    w.stream.write('abc');
    const during = await fs.readdir(join(root, 'tmpname'));
    assert.equal(during.length, 1);
    assert.ok(during[0]?.startsWith('.file.txt.barge-') && isTempName(during[0]), during[0]);
    assert.deepEqual(await listNames(d, 'tmpname'), [], 'temp files are never listed');
    w.stream.end();
    await w.commit();
    assert.deepEqual(await fs.readdir(join(root, 'tmpname')), ['file.txt']);
  });

  it('a .part file left by a crashed process is found and removed by cleanupTemp', async () => {
    const script = `
      import { PosixDriver } from ${JSON.stringify(driverModule)};
      const d = await PosixDriver.open({ root: ${JSON.stringify(root)} });
      const w = await d.openWrite('crash/victim.bin');
      w.stream.write(Buffer.alloc(1 << 20, 7), () => { console.log('written'); process.exit(137); });`;
    assert.match(await child(script), /written/);
    const left = await fs.readdir(join(root, 'crash'));
    assert.equal(left.length, 1, 'the crash leaves exactly one temp file');
    assert.ok(isTempName(left[0] ?? ''));
    assert.equal(await d.stat('crash/victim.bin'), null, 'nothing visible at the target');
    assert.deepEqual(await listNames(d, 'crash'), []);
    // The kernel stamped it with the real clock; age is judged by the process clock (which a test
    // run may move): set its time from the process clock, as for the stale file below.
    const fresh = Date.now() / 1000;
    await fs.utimes(join(root, 'crash', left[0]!), fresh, fresh);

    await fs.mkdir(join(root, 'crash/nested'));
    const old = join(root, 'crash/nested/.old.barge-0123456789abcdef.part');
    await fs.writeFile(old, 'stale');
    const hours2 = (Date.now() - 2 * 3600_000) / 1000;
    await fs.utimes(old, hours2, hours2);
    await fs.writeFile(join(root, 'crash/.user.barge-x.part'), 'not ours: id too short');

    const aged = await d.cleanupTemp('crash', { minAgeMs: 3600_000, dryRun: true });
    assert.deepEqual(aged.paths, ['crash/nested/.old.barge-0123456789abcdef.part']);
    assert.equal(aged.bytes, 5);
    const flat = await d.cleanupTemp('crash', { recursive: false, dryRun: true });
    assert.deepEqual(flat.paths, [`crash/${left[0]}`]);
    const removed = await d.cleanupTemp('/', {});
    assert.deepEqual([...removed.paths].sort(), [`crash/${left[0]}`, 'crash/nested/.old.barge-0123456789abcdef.part'].sort());
    assert.equal(removed.bytes, (1 << 20) + 5);
    assert.deepEqual((await fs.readdir(join(root, 'crash'))).sort(), ['.user.barge-x.part', 'nested']);
    assert.deepEqual(await fs.readdir(join(root, 'crash/nested')), []);
  });

  it('cleanupTemp with names removes the leftovers of those targets only (a redo of a dead mover\'s batch)', async () => {
    await fs.mkdir(join(root, 'redo'));
    const mine = join(root, 'redo', makeTempName('a.txt'));
    const other = join(root, 'redo', makeTempName('b.txt'));
    await fs.writeFile(mine, 'dead attempt');
    await fs.writeFile(other, 'someone else');
    await fs.writeFile(join(root, 'redo', 'a.txt'), 'a visible file is never a leftover');
    const r = await d.cleanupTemp('redo', { recursive: false, names: ['a.txt'] });
    assert.deepEqual(r.paths, [`redo/${basename(mine)}`]);
    assert.deepEqual((await fs.readdir(join(root, 'redo'))).sort(), [basename(other), 'a.txt'].sort());
  });

  it('cleanupTemp never removes the temporary files of a transferBatch in flight, and removes them once it is over', async () => {
    // A pool that holds the batch until told: its temp files stand in for the worker's.
    let release!: () => void;
    let seen: CopyJob[] = [];
    const held = new Promise<void>((r) => (release = r));
    const pool = {
      runMany: async (jobs: CopyJob[]) => {
        seen = jobs;
        await held;
        return jobs.map(() => ({ size: 1, checksum: null }));
      },
    } as unknown as CopyPool;
    const { root: r2 } = await makeBase();
    await fs.mkdir(join(r2, 'live'));
    await fs.writeFile(join(r2, 'live', 'a'), 'a');
    await fs.writeFile(join(r2, 'live', 'b'), 'b');
    const d2 = await PosixDriver.open({ root: r2 }, { copyPool: pool });
    try {
      const batch = d2.transferBatch([{ path: 'live/a', dstPath: 'live/a2' }, { path: 'live/b', dstPath: 'live/b2' }], d2);
      await new Promise((r) => setImmediate(r));
      assert.equal(seen.length, 2);
      assert.ok(seen.every((j) => isTempName(j.tempName)), 'temp names of the reserved shape');
      assert.notEqual(seen[0]!.tempName.slice(3), seen[1]!.tempName.slice(3), 'one temp name per file');
      const stray = makeTempName('a2');
      for (const name of [...seen.map((j) => j.tempName), stray]) await fs.writeFile(join(r2, 'live', name), 'partial');
      const during = await d2.cleanupTemp('live', {});
      assert.deepEqual(during.paths, [`live/${stray}`], 'only the temp file of no live copy');
      release();
      assert.deepEqual(await batch, [{ size: 1, checksum: null }, { size: 1, checksum: null }]);
      const afterwards = await d2.cleanupTemp('live', {});
      assert.deepEqual([...afterwards.paths].sort(), seen.map((j) => `live/${j.tempName}`).sort(), 'no longer live once the batch is over');
    } finally {
      await d2.close();
      await fs.rm(dirname(r2), { recursive: true, force: true });
    }
  });

  it('symlinks to files outside the root are refused; writes and setMeta never go through them', async () => {
    const outsideFile = join(base, 'outside.txt');
    await fs.writeFile(outsideFile, 'secret');
    const outsideTime = (await fs.stat(outsideFile)).mtimeMs;
    await fs.symlink('../outside.txt', join(root, 'leak'));
    await fs.symlink('leak', join(root, 'chain'));
    await rejectsWithCode(() => d.openRead('leak'), 'path_escape', 'read through link');
    await rejectsWithCode(() => d.openRead('chain'), 'path_escape', 'read through a chain');
    await rejectsWithCode(() => d.copy('chain', 'copied'), 'path_escape', 'copy through a chain');
    await d.setMeta('chain', { mtimeMs: Date.UTC(2001, 0, 1) });
    await writeBytes(d, 'leak', 'replaced');
    assert.equal(await fs.readFile(outsideFile, 'utf8'), 'secret');
    assert.equal((await fs.stat(outsideFile)).mtimeMs, outsideTime);
    assert.equal((await fs.lstat(join(root, 'leak'))).isFile(), true);
    assert.equal(await fs.readlink(join(root, 'chain')), 'leak', 'setMeta changed the link, not its target');
  });

  it('a symlinked directory inside the root is followed; one leading outside is refused for mkdir -p', async () => {
    await fs.mkdir(join(base, 'outside-dir'));
    await fs.symlink(join(base, 'outside-dir'), join(root, 'out'));
    await rejectsWithCode(() => d.mkdir('out/a/b/c'), 'path_escape', 'mkdir -p through an escaping link');
    await rejectsWithCode(() => d.openWrite('out/new/file'), 'path_escape', 'write under an escaping link');
    assert.deepEqual(await fs.readdir(join(base, 'outside-dir')), [], 'nothing created outside');
    await d.mkdir('inside/real');
    await fs.symlink('inside', join(root, 'alias'));
    await writeBytes(d, 'alias/real/f', 'via alias');
    assert.equal(await fs.readFile(join(root, 'inside/real/f'), 'utf8'), 'via alias');
  });

  it('FIFOs are listed as "other" and refused for reading without blocking', async (t) => {
    const ok = await run('mkfifo', [join(root, 'pipe')]).then(() => true, () => false);
    if (!ok) {
      t.skip('mkfifo is not available');
      return;
    }
    const entry = (await collect(d.list(''))).find((e) => e.name === 'pipe');
    assert.equal(entry?.kind, 'other');
    await rejectsWithCode(() => d.openRead('pipe'), 'unsupported', 'read a FIFO');
  });

  it('permission denied is classified as permission_denied', async (t) => {
    await writeBytes(d, 'locked/f', 'x');
    await fs.chmod(join(root, 'locked'), 0o700);
    if (!isRoot) {
      await fs.chmod(join(root, 'locked'), 0o000);
      try {
        await rejectsWithCode(() => d.openRead('locked/f'), 'permission_denied', 'read in a 000 directory');
      } finally {
        await fs.chmod(join(root, 'locked'), 0o700);
      }
      return;
    }
    // As root permission bits do not apply; use an unprivileged child (uid 65534 "nobody") instead.
    await fs.chmod(base, 0o755);
    await fs.chmod(root, 0o755);
    const script = `
      import { PosixDriver } from ${JSON.stringify(driverModule)};
      const d = await PosixDriver.open({ root: ${JSON.stringify(root)} });
      const codes = [];
      for (const op of [() => d.openRead('locked/f'), () => d.openWrite('locked/g'), () => d.openWrite('new-at-root')]) {
        try { await op(); codes.push('ok'); } catch (e) { codes.push(e.code); }
      }
      console.log(JSON.stringify(codes));`;
    const out = await child(script, { uid: 65534, gid: 65534 });
    if (!out.includes('[')) {
      t.skip(`running as root and an unprivileged child could not run (${out.trim() || 'no output'})`);
      return;
    }
    assert.deepEqual(JSON.parse(out.trim()), ['permission_denied', 'permission_denied', 'permission_denied']);
  });

  it('reports ownership capability from the process uid', () => {
    assert.equal(d.features.setOwnership, isRoot);
  });

  it('validates its config', async () => {
    await rejectsWithCode(() => createPosixDriver({ root: 'relative/path' }), 'invalid_argument', 'relative root');
    await rejectsWithCode(() => createPosixDriver({ root: join(base, 'missing') }), 'not_found', 'missing root');
    await fs.writeFile(join(base, 'a-file'), 'x');
    await rejectsWithCode(() => createPosixDriver({ root: join(base, 'a-file') }), 'not_a_directory', 'root is a file');
    await rejectsWithCode(() => createPosixDriver({ root, fsync: 'yes' }), 'invalid_argument', 'fsync type');
    const fast = await createPosixDriver({ root, fsync: false });
    await writeBytes(fast, 'nosync', 'ok');
    assert.equal((await readBytes(fast, 'nosync')).toString(), 'ok');
    await fast.close();
  });

  it('closing either driver aborts a transferTo in flight: nothing visible, no temporary file', async () => {
    const other = await makeBase();
    try {
      // Progress after the first MiB, so the close lands while most of the file is still to copy.
      const copyPool = new CopyPool({ workers: 1, progressBytes: 1 << 20 });
      const src = await PosixDriver.open({ root }, { copyPool });
      const dst = await PosixDriver.open({ root: other.root }, { copyPool });
      await fs.writeFile(join(root, 'big.bin'), Buffer.alloc(64 << 20, 2));
      let closed!: Promise<void>;
      const outcome = src.transferTo('big.bin', dst, 'out/big.bin', {
        onBytes: () => void (closed ??= dst.close()),
      }).then(() => 'resolved', (err: unknown) => (err as { code?: string }).code);
      assert.ok(['closed', 'aborted'].includes(String(await outcome)), `rejected: ${String(await outcome)}`);
      await closed;
      assert.deepEqual(await fs.readdir(join(other.root, 'out')), [], 'no file and no temporary file');
      await src.close();
      await copyPool.close();
    } finally {
      await fs.rm(other.base, { recursive: true, force: true });
    }
  });

  it('a server-side copy forgets its temporary file once published (no growing set of live temps)', async () => {
    const d = await PosixDriver.open({ root });
    await writeBytes(d, 'a', 'x');
    for (let i = 0; i < 20; i++) await d.copy('a', `c/${i}`);
    await rejectsWithCode(() => d.copy('missing', 'c/x'), 'not_found', 'missing source');
    assert.equal((d as unknown as { liveTemps: Set<string> }).liveTemps.size, 0);
    await d.close();
  });
});

