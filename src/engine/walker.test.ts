import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDriver } from '../storage/memory/memory-driver.js';
import type { StorageDriver } from '../storage/driver.js';
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
});
