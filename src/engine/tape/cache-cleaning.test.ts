import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import type { EvictedFileRow } from '../../store/schema.js';
import type { TapeCacheRepository, TapeCopyRow } from '../../store/tape-cache-repository.js';
import { CacheCleaning } from './cache-cleaning.js';
import type { TapeRunState } from './tape-parts.js';

const SHARE = 'share-1';
const T0 = 1_700_000_000_000;

/** A share of three 100-byte files, /a accessed first, then /b, then /c; every one archived as it is. */
async function setUp(opts: { failRemove?: string } = {}) {
  const d = new MemoryDriver();
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    const w = await d.openWrite(name, { mtimeMs: T0 + i });
    w.stream.end(Buffer.alloc(100, i));
    await w.commit();
    await d.setMeta(name, { mtimeMs: T0 + i, atimeMs: T0 + 1000 + i });
  }
  const removeReal = d.remove.bind(d);
  d.remove = async (path, o) => {
    if (path === opts.failRemove) throw Object.assign(new Error('permission denied'), { code: 'permission_denied' });
    return removeReal(path, o);
  };
  const copy = (name: string, i: number): TapeCopyRow => ({
    tape_id: 'tape-1', session_no: 1, path: name, data_offset: 512 * (i + 1), header_offset: 0, size: 100, checksum: `sum-${name}`, algorithm: 'xxhash64',
    mtime_ms: T0 + i, mode: 420, execution_id: 'arc-1', recorded_at: '2026-01-01T00:00:00.000Z', barcode: 'BRG001L8', tape_library_id: 'lib-1',
  });
  const evictions: EvictedFileRow[] = [];
  const forgotten: string[] = [];
  const cache = {
    share: async () => ({ id: SHARE, name: 'primary', quota_bytes: 300 }),
    archiveExecutions: async () => [{
      id: 'arc-1', created_at: '2026-01-01T00:00:00.000Z',
      task_snapshot: JSON.stringify({ workflow_action: 'copy', options: {}, sources: [{ type: 'nas', storage_id: SHARE, node_paths: ['/'] }], destinations: [{ type: 'tape', pool_id: 'p', node_paths: ['/'] }] }),
    }],
    copiesOf: async () => ['a', 'b', 'c'].map(copy),
    recordEviction: async (e: EvictedFileRow) => void evictions.push(e),
    forgetEviction: async (_s: string, path: string) => void forgotten.push(path),
  } as unknown as TapeCacheRepository;
  const done: string[] = [];
  const failed: Array<{ src: string | null; code: string }> = [];
  const notes: string[] = [];
  const run = {
    ctx: { id: 'exec-1', taskId: 'task-1' }, signal: new AbortController().signal, store: { clock: { now: () => new Date(T0) } },
    note: async (l: string) => void notes.push(l), flush: async () => undefined, gate: async () => 'go',
    done: async (files: Array<{ src: string }>) => void done.push(...files.map((f) => f.src)),
    failed: async (_k: string, src: string | null, _d: string | null, _s: number, code: string) => void failed.push({ src, code }),
  } as unknown as TapeRunState;
  return { d, cache, run, evictions, forgotten, done, failed, notes };
}

describe('cache cleaning on a share', () => {
  it('a file changed between the choice and its deletion is kept, and the next oldest is evicted instead', async () => {
    const t = await setUp();
    const cc = new CacheCleaning(t.run, t.cache, t.d, { shareId: SHARE, roots: ['/'], threshold: 50 });
    assert.deepEqual(await cc.prepare(), { files: 2, bytes: 200 }, 'planned: /a and /b (300 used, below 150 after two)');
    await t.d.setMeta('a', { mtimeMs: T0 + 5000 }); // written again after the choice
    assert.equal(await cc.perform(), true);
    assert.deepEqual(t.done, ['/b', '/c']);
    assert.deepEqual(t.evictions.map((e) => [e.path, e.member, e.checksum]), [['/b', 'b', 'sum-b'], ['/c', 'c', 'sum-c']]);
    assert.ok(await t.d.stat('a'), '/a stays');
    assert.equal(await t.d.stat('b'), null);
    assert.equal(await t.d.stat('c'), null);
    assert.match(t.notes.at(-1)!, /kept 1: \/a changed since it was archived/);
  });

  it('a file whose removal fails has its eviction record dropped and is a failed file', async () => {
    const t = await setUp({ failRemove: '/a' });
    const cc = new CacheCleaning(t.run, t.cache, t.d, { shareId: SHARE, roots: ['/'], threshold: 50 });
    await cc.prepare();
    await cc.perform();
    assert.deepEqual(t.forgotten, ['/a']);
    assert.deepEqual(t.failed, [{ src: '/a', code: 'permission_denied' }]);
    assert.deepEqual(t.done, ['/b', '/c']);
  });

  it('only files under the task\'s paths are candidates, and a copy of another size is no verified copy', async () => {
    const t = await setUp();
    const w = await t.d.openWrite('b', { mtimeMs: T0 + 1 });
    w.stream.end(Buffer.alloc(150, 1)); // same mtime, another size: not the archived file
    await w.commit();
    await t.d.setMeta('b', { mtimeMs: T0 + 1, atimeMs: T0 + 1001 });
    const cc = new CacheCleaning(t.run, t.cache, t.d, { shareId: SHARE, roots: ['/a', '/b'], threshold: 10 });
    await cc.prepare();
    await cc.perform();
    assert.deepEqual(t.done, ['/a'], '/b changed, /c outside the paths');
    assert.match(t.notes[0]!, /1 file\(s\) with a verified copy on tape, 0 without one, 1 changed since archived \(\/b\)/);
  });
});
