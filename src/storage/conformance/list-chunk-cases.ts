/**
 * Conformance cases for listings a chunk at a time (`listInChunks`: the driver's optional
 * `listChunks`, or the default over `list`). Each case runs on the driver as it is and on a view of it
 * with `list` only, so the default is held to the same rules as every driver's own.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { listInChunks, type Entry, type StorageDriver } from '../driver.js';
import type { ConformanceContext } from './helpers.js';
import { collect, forEachLimit, rejectsWithCode, writeBytes } from './helpers.js';

/** The driver as a caller sees it, and the same driver without `listChunks` (the default's path). */
function views(d: StorageDriver): Array<[string, StorageDriver]> {
  const listOnly = { kind: d.kind, features: d.features, list: d.list.bind(d) } as unknown as StorageDriver;
  return [[d.listChunks ? 'listChunks' : 'list (no listChunks)', d], ['list (default)', listOnly]];
}

/** Every chunk of a listing, each checked to be a non-empty array. */
async function chunksOf(d: StorageDriver, dir: string, signal?: AbortSignal): Promise<Entry[][]> {
  const out: Entry[][] = [];
  for await (const chunk of listInChunks(d, dir, { signal })) {
    assert.ok(Array.isArray(chunk) && chunk.length > 0, 'a chunk is a non-empty array');
    out.push([...chunk]);
  }
  return out;
}

const shape = (entries: Entry[]) => entries.map((e) => [e.name, e.kind, e.size]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));

/** Register the chunked-listing cases. */
export function listChunkCases(ctx: ConformanceContext): void {
  it('listInChunks: the entries of list, in non-empty chunks, without in-flight writes', () => ctx.use(async (d) => {
    const names = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
    await forEachLimit(names, 32, async (n) => { await writeBytes(d, `lc/${n}`, 'z'.repeat(names.indexOf(n) % 5)); });
    await writeBytes(d, 'lc/sub/inner', 'i');
    const inFlight = await d.openWrite('lc/pending');
    inFlight.stream.write('not yet');
    try {
      const expected = shape(await collect(d.list('lc')));
      assert.equal(expected.length, 301);
      for (const [view, driver] of views(d)) {
        const chunks = await chunksOf(driver, 'lc');
        assert.deepEqual(shape(chunks.flat()), expected, view);
        let seen = 0;
        for await (const chunk of listInChunks(driver, '/lc/')) if ((seen += chunk.length) > 0) break;
        assert.ok(seen > 0, `${view}: breaking out early must work`);
        assert.equal((await chunksOf(driver, 'lc')).flat().length, 301, `${view}: listing again after an early break`);
      }
    } finally {
      await inFlight.abort();
    }
  }));

  it('listInChunks: an empty folder gives no chunk', (t) => ctx.use(async (d) => {
    if (!d.features.directories) {
      t.diagnostic('driver does not declare directories: empty directories are not checked');
      return;
    }
    await d.mkdir('empty');
    for (const [view, driver] of views(d)) assert.deepEqual(await chunksOf(driver, 'empty'), [], view);
  }));

  it('listInChunks: errors surface from the first step, as list\'s', () => ctx.use(async (d) => {
    await writeBytes(d, 'k/a', 'abc');
    for (const [view, driver] of views(d)) {
      const missing = listInChunks(driver, 'missing'); // the call itself never throws
      await rejectsWithCode(() => collect(flatten(missing)), 'not_found', `${view}: a missing folder`);
      await rejectsWithCode(() => chunksOf(driver, 'k/a'), 'not_a_directory', `${view}: a file`);
      await rejectsWithCode(() => chunksOf(driver, '../x'), 'path_escape', `${view}: an escape`);
      const ac = new AbortController();
      ac.abort();
      await rejectsWithCode(() => chunksOf(driver, 'k', ac.signal), 'aborted', `${view}: an aborted signal`);
    }
  }));
}

async function* flatten(chunks: AsyncIterable<readonly Entry[]>): AsyncGenerator<Entry> {
  for await (const chunk of chunks) yield* chunk;
}
