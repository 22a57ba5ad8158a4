import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDriver } from '../../storage/memory/memory-driver.js';
import type { Entry, SignalOptions, StorageDriver } from '../../storage/driver.js';
import { StorageError } from '../../storage/errors.js';
import { walk, type WalkOptions } from './walker.js';

async function tree(): Promise<StorageDriver> {
  const d = await createMemoryDriver({});
  for (const p of ['/src/b/2.txt', '/src/b/1.txt', '/src/a.txt', '/src/.hidden', '/src/c/d/deep.txt']) {
    const w = await d.openWrite(p);
    w.stream.end(p);
    await w.commit();
  }
  await d.mkdir('/src/empty');
  return d;
}

async function paths(d: StorageDriver, opts: Partial<WalkOptions> = {}, root = '/src'): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walk(d, 0, 0, root, { recursive: true, ignoreHidden: false, order: 'asc', ...opts })) out.push(e.path + (e.entry.kind === 'dir' ? '/' : ''));
  return out;
}

describe('walker', () => {
  it('walks depth-first in sorted order, directories before their content', async () => {
    assert.deepEqual(await paths(await tree()), [
      '/src/', '/src/.hidden', '/src/a.txt', '/src/b/', '/src/b/1.txt', '/src/b/2.txt', '/src/c/', '/src/c/d/', '/src/c/d/deep.txt', '/src/empty/',
    ]);
  });

  it('honours ignore_hidden, recursive and processing order dsc', async () => {
    const d = await tree();
    assert.ok(!(await paths(d, { ignoreHidden: true })).includes('/src/.hidden'));
    assert.deepEqual(await paths(d, { recursive: false }), ['/src/', '/src/.hidden', '/src/a.txt', '/src/b/', '/src/c/', '/src/empty/']);
    assert.deepEqual((await paths(d, { order: 'dsc' })).slice(0, 4), ['/src/', '/src/empty/', '/src/c/', '/src/c/d/']);
  });

  it('resumes strictly after a checkpoint, for every checkpoint of the walk', async () => {
    const d = await tree();
    const all: Array<{ path: string; position: { ep: number; np: number; path: string[] } }> = [];
    for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc' })) all.push(e);
    for (let i = 0; i < all.length; i++) {
      const rest: string[] = [];
      for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc', after: all[i]!.position })) rest.push(e.path);
      assert.deepEqual(rest, all.slice(i + 1).map((e) => e.path), `after ${all[i]!.path}`);
    }
  });

  it('a file as the node path yields just that file; a missing one throws not_found', async () => {
    const d = await tree();
    assert.deepEqual(await paths(d, {}, '/src/a.txt'), ['/src/a.txt']);
    await assert.rejects(paths(d, {}, '/nope'), (e: any) => e.code === 'not_found');
  });

  /** `d` whose `list` of the folders in `fails` throws (each `times` times, then works; Infinity: always). */
  function failing(d: StorageDriver, fails: Record<string, { code: 'permission_denied' | 'io' | 'not_found'; times: number }>): StorageDriver & { calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const list = async function* (dir: string, options?: SignalOptions): AsyncGenerator<Entry> {
      calls.set(dir, (calls.get(dir) ?? 0) + 1);
      const f = fails[dir];
      if (f && (calls.get(dir) as number) <= f.times) throw new StorageError(f.code, `${f.code} on ${dir}`, { path: dir });
      yield* d.list(dir, options);
    };
    return Object.assign(Object.create(d) as StorageDriver, { list, calls });
  }

  it('a folder that cannot be listed is yielded as a failure and the walk goes on; the node path itself still throws', async () => {
    const d = failing(await tree(), { '/src/b': { code: 'permission_denied', times: Infinity } });
    const seen: string[] = [];
    for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc' })) seen.push(e.failure ? `${e.path}!${e.failure.code}` : e.path);
    assert.deepEqual(seen, ['/src', '/src/.hidden', '/src/a.txt', '/src/b', '/src/b!permission_denied', '/src/c', '/src/c/d', '/src/c/d/deep.txt', '/src/empty']);
    assert.equal(d.calls.get('/src/b'), 1, 'not retried: permission_denied is not retryable');
    const root = failing(await tree(), { '/src': { code: 'permission_denied', times: Infinity } });
    await assert.rejects(paths(root), (e: any) => e.code === 'permission_denied');
  });

  it('a retryable listing error is retried, and a cured one yields the folder as usual', async () => {
    const d = failing(await tree(), { '/src/c': { code: 'io', times: 1 } });
    const seen: string[] = [];
    for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc' })) seen.push(e.failure ? `${e.path}!` : e.path);
    assert.ok(seen.includes('/src/c/d/deep.txt') && !seen.some((p) => p.endsWith('!')), seen.join(' '));
    assert.equal(d.calls.get('/src/c'), 2);
  });

  it('a resume at the folder yields its failure again; a resume at the failure does not', async () => {
    const d = failing(await tree(), { '/src/b': { code: 'not_found', times: Infinity } });
    const all: Array<{ path: string; failure?: unknown; position: { ep: number; np: number; path: string[] } }> = [];
    for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc' })) all.push(e);
    const folder = all.findIndex((e) => e.path === '/src/b' && !e.failure);
    const failure = all.findIndex((e) => e.failure);
    assert.equal(failure, folder + 1);
    for (const [at, expectFailure] of [[folder, true], [failure, false]] as const) {
      const rest: Array<{ path: string; failure?: unknown }> = [];
      for await (const e of walk(d, 0, 0, '/src', { recursive: true, ignoreHidden: false, order: 'asc', after: all[at]!.position })) rest.push(e);
      assert.equal(rest.some((e) => e.failure), expectFailure, `resumed after ${at === folder ? 'the folder' : 'its failure'}`);
      assert.deepEqual(rest.map((e) => e.path), all.slice(at + 1).map((e) => e.path));
    }
  });
});
