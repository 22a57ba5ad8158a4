/**
 * The walk with a selector (the task's filter callback): one call per folder, a folder left out is
 * not walked, a failed entry is yielded with a `callback` failure (a folder then not walked), a file
 * node path is asked too, and a resumed walk asks only about what it will still yield or enter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDriver } from '../../storage/memory/memory-driver.js';
import type { StorageDriver } from '../../storage/driver.js';
import { walk, type EntrySelector, type EntryVerdict, type WalkOptions } from './walker.js';

async function tree(): Promise<StorageDriver> {
  const d = await createMemoryDriver({});
  for (const p of ['/src/a.txt', '/src/b/1.txt', '/src/b/2.txt', '/src/c/d/deep.txt', '/src/e/x.txt']) {
    const w = await d.openWrite(p);
    w.stream.end(p);
    await w.commit();
  }
  return d;
}

/** A selector deciding by path, recording each call's paths. */
function selector(rule: (path: string) => EntryVerdict, calls: string[][] = []): EntrySelector {
  return async (entries) => {
    calls.push(entries.map((e) => e.path));
    return entries.map((e) => rule(e.path));
  };
}

async function walked(d: StorageDriver, opts: Partial<WalkOptions>, root = '/src'): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walk(d, 0, 0, root, { recursive: true, ignoreHidden: false, order: 'asc', ...opts })) {
    out.push(e.path + (e.entry.kind === 'dir' ? '/' : '') + (e.failure ? ` !${e.failure.code}: ${e.failure.message}` : ''));
  }
  return out;
}

describe('walker with a selector', () => {
  it('asks once per folder, leaves out what is dropped and does not walk a dropped folder', async () => {
    const calls: string[][] = [];
    const out = await walked(await tree(), { select: selector((p) => (p === '/src/b' || p.endsWith('2.txt') ? 'drop' : 'keep'), calls) });
    assert.deepEqual(out, ['/src/', '/src/a.txt', '/src/c/', '/src/c/d/', '/src/c/d/deep.txt', '/src/e/', '/src/e/x.txt']);
    assert.deepEqual(calls, [['/src/a.txt', '/src/b', '/src/c', '/src/e'], ['/src/c/d'], ['/src/c/d/deep.txt'], ['/src/e/x.txt']]);
  });

  it('yields a failed file or folder with a callback failure, and does not walk a failed folder', async () => {
    const out = await walked(await tree(), { select: selector((p) => (p === '/src/c' || p === '/src/a.txt' ? { failed: `no ${p}` } : 'keep')) });
    assert.deepEqual(out, [
      '/src/', '/src/a.txt !callback: no /src/a.txt', '/src/b/', '/src/b/1.txt', '/src/b/2.txt', '/src/c/ !callback: no /src/c', '/src/e/', '/src/e/x.txt',
    ]);
  });

  it('asks about a file node path, not about a folder node path', async () => {
    const d = await tree();
    assert.deepEqual(await walked(d, { select: selector(() => 'drop') }, '/src/a.txt'), []);
    assert.deepEqual(await walked(d, { select: selector(() => ({ failed: 'no' })) }, '/src/a.txt'), ['/src/a.txt !callback: no']);
    assert.deepEqual(await walked(d, { select: selector(() => 'drop') }), ['/src/']);
  });

  it('resumed after a checkpoint, asks only about entries it will yield or enter', async () => {
    const calls: string[][] = [];
    const out = await walked(await tree(), { after: { ep: 0, np: 0, path: ['b', '1.txt'] }, select: selector(() => 'keep', calls) });
    assert.deepEqual(out, ['/src/b/2.txt', '/src/c/', '/src/c/d/', '/src/c/d/deep.txt', '/src/e/', '/src/e/x.txt']);
    assert.deepEqual(calls[0], ['/src/b', '/src/c', '/src/e'], 'a.txt, before the checkpoint, is not asked about');
    assert.deepEqual(calls[1], ['/src/b/2.txt']);
  });
});
