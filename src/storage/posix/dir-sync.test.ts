import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirSyncer, fsyncDirectory } from './dir-sync.js';

/** A controllable fake fsync: each call waits until released, and records when it started. */
function fakeSync() {
  const calls: Array<{ dir: string; release: (err?: Error) => void }> = [];
  const syncOnce = (dir: string) => new Promise<void>((resolve, reject) => calls.push({ dir, release: (err) => (err ? reject(err) : resolve()) }));
  return { calls, syncOnce };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DirSyncer', () => {
  it('callers arriving during an fsync share the next one, which starts only after it', async () => {
    const { calls, syncOnce } = fakeSync();
    const s = new DirSyncer(syncOnce);
    const settled: string[] = [];
    const first = s.sync('/d').then(() => settled.push('first'));
    await tick();
    assert.equal(calls.length, 1);
    const late = [s.sync('/d'), s.sync('/d'), s.sync('/d')].map((p, i) => p.then(() => settled.push(`late${i}`)));
    await tick();
    assert.equal(calls.length, 1, 'no second fsync while the first runs');
    calls[0]!.release();
    await first;
    await tick();
    assert.deepEqual(settled, ['first'], 'late callers are not covered by the fsync that was already running');
    assert.equal(calls.length, 2, 'one shared fsync for the three late callers');
    calls[1]!.release();
    await Promise.all(late);
    assert.deepEqual(settled.sort(), ['first', 'late0', 'late1', 'late2']);
  });

  it('directories are independent, errors reach exactly the callers of that fsync, and the next call starts afresh', async () => {
    const { calls, syncOnce } = fakeSync();
    const s = new DirSyncer(syncOnce);
    const a = s.sync('/a');
    const b = s.sync('/b');
    await tick();
    assert.deepEqual(calls.map((c) => c.dir), ['/a', '/b']);
    calls[0]!.release(new Error('EIO'));
    calls[1]!.release();
    await assert.rejects(a, /EIO/);
    await b;
    const again = s.sync('/a');
    await tick();
    assert.equal(calls.length, 3);
    calls[2]!.release();
    await again;
  });

  it('fsyncs a real directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barge-dirsync-'));
    try {
      await new DirSyncer().sync(dir);
      await fsyncDirectory(dir);
      await assert.rejects(new DirSyncer().sync(join(dir, 'missing')), { code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
