/**
 * The walk a chunk at a time (walkChunks): the entries of `walk`, in the same order, at most 256 a
 * chunk, each chunk handed over as the walk starts listing another folder (a consumer that stops
 * then leaves no listing's failure unhandled); and a consumer of `walk` still stops at the next entry
 * once the signal fires.
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

  it('starts listing a folder before it hands over what it walked, and hands it over without waiting for the listing', async () => {
    const d = await tree();
    const events: string[] = [];
    // A folder's listing stays open until the consumer holds the folder's own entry: a walk that
    // waited for the listing before handing the entry over would never end.
    const latches = new Map<string, { handed: Promise<void>; hand: () => void }>();
    const latch = (path: string) => {
      let l = latches.get(path);
      if (l === undefined) {
        let hand!: () => void;
        l = { handed: new Promise<void>((resolve) => (hand = resolve)), hand };
        latches.set(path, l);
      }
      return l;
    };
    const logged = new Proxy(d, {
      get(target, prop, receiver) {
        if (prop !== 'list') return Reflect.get(target, prop, receiver);
        return async function* (dir: string, options?: SignalOptions): AsyncGenerator<Entry> {
          events.push(`list ${dir}`);
          if (dir !== '/src') await latch(dir).handed;
          yield* target.list(dir, options);
        };
      },
    }) as StorageDriver;
    for await (const chunk of walkChunks(logged, 0, 0, '/src', OPTS)) {
      events.push(`got ${chunk.at(-1)!.path}`);
      for (const w of chunk) latch(w.path).hand();
    }
    for (const dir of ['/src/big', '/src/c', '/src/c/d']) {
      const listed = events.indexOf(`list ${dir}`);
      const got = events.indexOf(`got ${dir}`);
      assert.ok(listed >= 0 && got > listed, `${dir}: listed before it is handed over: ${events.join(' | ')}`);
    }
  });

  it('a consumer that stops while a listing is under way leaves its failure handled', async () => {
    const d = await tree();
    let fail!: () => void;
    const failing = new Promise<void>((resolve) => (fail = resolve));
    let thrown!: () => void;
    const listingThrew = new Promise<void>((resolve) => (thrown = resolve));
    const broken = new Proxy(d, {
      get(target, prop, receiver) {
        if (prop !== 'list') return Reflect.get(target, prop, receiver);
        return async function* (dir: string, options?: SignalOptions): AsyncGenerator<Entry> {
          if (dir === '/src/big') {
            await failing;
            thrown();
            throw Object.assign(new Error('no longer allowed'), { code: 'EACCES' });
          }
          yield* target.list(dir, options);
        };
      },
    }) as StorageDriver;
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      for await (const chunk of walkChunks(broken, 0, 0, '/src', OPTS)) {
        if (chunk.some((w) => w.path === '/src/big')) break; // its listing is under way
      }
      fail();
      await listingThrew;
      // The rejection travels through microtasks; Node reports unhandled ones once they are drained,
      // before the next turn of the event loop (permission denied: not retried, no backoff timer).
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', note);
    }
    assert.deepEqual(unhandled, []);
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
