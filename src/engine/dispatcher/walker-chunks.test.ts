/**
 * The walk a chunk at a time (walkChunks): the entries of `walk`, in the same order, at most 256 a
 * chunk, each chunk handed over before the walk lists another folder; and a consumer of `walk` still
 * stops at the next entry once the signal fires.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import type { Entry, SignalOptions, StorageDriver } from '../../storage/driver.js';
import { walk, walkChunks, type WalkEntry, type WalkOptions } from './walker.js';

async function put(d: StorageDriver, path: string): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(path);
  await w.commit();
}

/** `/src`: 600 files in `big`, a few folders around it. */
async function tree(): Promise<MemoryDriver> {
  const d = new MemoryDriver();
  for (let i = 0; i < 600; i++) await put(d, `/src/big/f${String(i).padStart(3, '0')}`);
  for (const p of ['/src/a.txt', '/src/c/d/deep.txt', '/src/c/e.txt', '/src/z.txt']) await put(d, p);
  return d;
}

const OPTS: WalkOptions = { recursive: true, ignoreHidden: false, order: 'asc' };
const brief = (w: WalkEntry) => `${w.path}@${w.position.path.join('/')}`;

describe('walkChunks', () => {
  it('yields the entries of walk, in order, at most 256 a chunk', async () => {
    const d = await tree();
    const one: string[] = [];
    for await (const w of walk(d, 0, 0, '/src', OPTS)) one.push(brief(w));
    const chunks: WalkEntry[][] = [];
    for await (const chunk of walkChunks(d, 0, 0, '/src', OPTS)) chunks.push(chunk);
    assert.deepEqual(chunks.flat().map(brief), one);
    assert.equal(one.length, 1 + 1 + 1 + 600 + 1 + 1 + 1 + 1 + 1);
    assert.ok(chunks.every((c) => c.length > 0 && c.length <= 256), `chunk sizes ${chunks.map((c) => c.length).join(',')}`);
    // Resumed behind a checkpoint: the same entries as walk's.
    const after = { ep: 0, np: 0, path: ['big', 'f299'] };
    const rest: string[] = [];
    for await (const chunk of walkChunks(d, 0, 0, '/src', { ...OPTS, after })) rest.push(...chunk.map(brief));
    assert.deepEqual(rest, one.slice(one.indexOf('/src/big/f299@big/f299') + 1));
  });

  it('hands over what it walked before it lists the next folder', async () => {
    const d = await tree();
    const events: string[] = [];
    const logged = new Proxy(d, {
      get(target, prop, receiver) {
        if (prop !== 'list') return Reflect.get(target, prop, receiver);
        return async function* (dir: string, options?: SignalOptions): AsyncGenerator<Entry> {
          events.push(`list ${dir}`);
          yield* target.list(dir, options);
        };
      },
    }) as StorageDriver;
    for await (const chunk of walkChunks(logged, 0, 0, '/src', OPTS)) events.push(`got ${chunk.at(-1)!.path}`);
    // Each folder is listed only once the consumer has its own entry (and everything before it).
    for (const dir of ['/src/big', '/src/c', '/src/c/d']) {
      const listed = events.indexOf(`list ${dir}`);
      assert.ok(listed > 0 && events.slice(0, listed).includes(`got ${dir}`), `${dir}: ${events.join(' | ')}`);
    }
  });

  it('walk: an abort while the consumer holds an entry stops the walk at the next one', async () => {
    const d = await tree();
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const w of walk(d, 0, 0, '/src', { ...OPTS, signal: ac.signal })) {
        seen.push(w.path);
        if (w.path === '/src/big/f010') ac.abort(new Error('force_stop'));
      }
    }, /force_stop/);
    assert.equal(seen.at(-1), '/src/big/f010');
  });
});
