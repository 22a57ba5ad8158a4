/**
 * Conformance cases for the namespace: stat, list, mkdir, remove, names, path confinement and symlinks.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StorageDriver } from '../driver.js';
import type { ConformanceContext } from './helpers.js';
import { collect, forEachLimit, listNames, readBytes, rejectsWithCode, writeBytes } from './helpers.js';

const ESCAPES = ['..', '../x', 'a/../../x', '/../x', '//..//x', 'a/b/../../../x', './..'];
const NUL_PATHS = ['a\0b', '\0', 'dir/\0/x'];

/** Every path-taking required method, called so that the path is the thing under test. */
function pathOperations(d: StorageDriver): Record<string, (p: string) => Promise<unknown>> {
  return {
    stat: (p) => d.stat(p),
    list: (p) => collect(d.list(p)),
    openRead: (p) => d.openRead(p),
    openWrite: async (p) => (await d.openWrite(p)).abort(),
    mkdir: (p) => d.mkdir(p),
    remove: (p) => d.remove(p),
    setMeta: (p) => d.setMeta(p, { mtimeMs: 0 }),
    cleanupTemp: (p) => d.cleanupTemp(p, { dryRun: true }),
  };
}

/** Register the namespace cases. */
export function namespaceCases(ctx: ConformanceContext): void {
  it('stat: missing paths are null, the root is a directory', () => ctx.use(async (d) => {
    assert.equal(await d.stat('nope'), null);
    assert.equal(await d.stat('nope/deeper/still'), null);
    await writeBytes(d, 'file', 'x');
    assert.equal(await d.stat('file/child'), null);
    for (const root of ['', '/', '.', '//']) {
      const st = await d.stat(root);
      assert.equal(st?.kind, 'dir', `stat(${JSON.stringify(root)})`);
      assert.equal(st?.name, '');
    }
  }));

  it('list: 10,000 entries are streamed through an async iterator', () => ctx.use(async (d) => {
    const names = Array.from({ length: 10_000 }, (_, i) => `f${String(i).padStart(5, '0')}`);
    await d.mkdir('big');
    await forEachLimit(names, 64, async (n) => { await writeBytes(d, `big/${n}`, 'z'); });
    const iterable = d.list('big');
    assert.equal(typeof iterable[Symbol.asyncIterator], 'function', 'list() must return an AsyncIterable');
    const seen = new Set<string>();
    for await (const entry of iterable) {
      assert.equal(entry.kind, 'file');
      assert.equal(entry.size, 1);
      seen.add(entry.name);
    }
    assert.equal(seen.size, names.length);
    assert.ok(names.every((n) => seen.has(n)));
    let taken = 0;
    for await (const _ of d.list('big')) if (++taken === 10) break;
    assert.equal(taken, 10, 'breaking out early must work');
    assert.equal((await collect(d.list('big'))).length, 10_000, 'listing again after an early break');
  }));

  it('list: kinds, sizes and errors for missing directories and files', () => ctx.use(async (d) => {
    await d.mkdir('k/sub');
    await writeBytes(d, 'k/a', 'abc');
    const entries = (await collect(d.list('k'))).sort((x, y) => x.name.localeCompare(y.name));
    assert.deepEqual(entries.map((e) => [e.name, e.kind]), [['a', 'file'], ['sub', 'dir']]);
    assert.equal(entries[0]?.size, 3);
    assert.ok(Number.isFinite(entries[0]?.mtimeMs));
    assert.deepEqual(await listNames(d, '/k/'), ['a', 'sub']);
    await rejectsWithCode(() => collect(d.list('missing')), 'not_found', 'list missing');
    await rejectsWithCode(() => collect(d.list('k/a')), 'not_a_directory', 'list a file');
  }));

  it('list: an aborted signal stops the listing', () => ctx.use(async (d) => {
    await forEachLimit(['1', '2', '3', '4', '5'], 5, async (n) => { await writeBytes(d, `s/${n}`, n); });
    const ac = new AbortController();
    await rejectsWithCode(async () => {
      for await (const _ of d.list('s', { signal: ac.signal })) ac.abort();
    }, 'aborted', 'list with abort');
  }));

  it('mkdir: recursive and idempotent; a file in the way is refused', (t) => ctx.use(async (d) => {
    await d.mkdir('m/n/o');
    await d.mkdir('m/n/o');
    await d.mkdir('/m/n/');
    await d.mkdir('');
    await writeBytes(d, 'm/file', 'x');
    await rejectsWithCode(() => d.mkdir('m/file'), ['not_a_directory', 'exists'], 'mkdir over a file');
    await rejectsWithCode(() => d.mkdir('m/file/sub'), 'not_a_directory', 'mkdir under a file');
    if (!d.features.directories) {
      t.diagnostic('driver does not declare directories: empty directories are not checked');
      return;
    }
    assert.equal((await d.stat('m/n/o'))?.kind, 'dir');
    assert.deepEqual(await listNames(d, 'm/n'), ['o']);
  }));

  it('remove: files, empty directories; reports absence; refuses non-empty directories and the root', (t) => ctx.use(async (d) => {
    await writeBytes(d, 'r/f', 'x');
    assert.equal(await d.remove('r/f'), true);
    assert.equal(await d.stat('r/f'), null);
    assert.equal(await d.remove('r/f'), false);
    assert.equal(await d.remove('missing/deeper'), false);
    await rejectsWithCode(() => d.remove(''), 'invalid_argument', 'remove root');
    if (!d.features.directories) {
      t.diagnostic('driver does not declare directories: directory removal is not checked');
      return;
    }
    await d.mkdir('e');
    assert.equal(await d.remove('e'), true);
    assert.equal(await d.stat('e'), null);
    await writeBytes(d, 'ne/f', 'x');
    await rejectsWithCode(() => d.remove('ne'), 'not_empty', 'remove non-empty dir');
    assert.equal((await d.stat('ne/f'))?.kind, 'file');
  }));

  it('paths: escapes and NUL bytes are refused by every operation', () => ctx.use(async (d) => {
    for (const [op, call] of Object.entries(pathOperations(d))) {
      for (const p of ESCAPES) await rejectsWithCode(() => call(p), 'path_escape', `${op}(${JSON.stringify(p)})`);
      for (const p of NUL_PATHS) await rejectsWithCode(() => call(p), 'invalid_path', `${op}(${JSON.stringify(p)})`);
    }
    await writeBytes(d, 'a/../b', 'lexical');
    assert.equal((await readBytes(d, 'b')).toString(), 'lexical');
    await writeBytes(d, '/c//d/./e', 'slashes');
    assert.equal((await readBytes(d, 'c/d/e')).toString(), 'slashes');
    assert.deepEqual(await listNames(d, '/'), ['b', 'c']);
  }));

  it('names: hidden, unicode (not normalized), punctuation, long names and empty files round-trip', () => ctx.use(async (d) => {
    const names = [
      '.hidden', 'café.txt', 'naïve-日本語.bin', '🚀 rocket', 'A\u030Angstro\u0308m', '\u00C5ngstr\u00F6m',
      "quote'\"", 'back\\slash', '50% #1 ?&=+', 'x'.repeat(250),
    ];
    for (const name of names) await writeBytes(d, `n/${name}`, name);
    await writeBytes(d, 'n/.hdir/.inner', 'hidden in hidden');
    assert.deepEqual(await listNames(d, 'n'), [...names, '.hdir'].sort());
    for (const name of names) assert.equal((await readBytes(d, `n/${name}`)).toString(), name, name);
    assert.equal((await readBytes(d, 'n/.hdir/.inner')).toString(), 'hidden in hidden');
    await writeBytes(d, 'empty', '');
    const st = await d.stat('empty');
    assert.equal(st?.kind, 'file');
    assert.equal(st?.size, 0);
    assert.equal((await readBytes(d, 'empty')).length, 0);
  }));

  it('symlinks: links leading outside the root are never followed', (t) => ctx.use(async (d) => {
    if (!d.features.symlinks) {
      t.skip('driver does not declare symlinks');
      return;
    }
    await d.symlink!('up', '..');
    await d.symlink!('abs', '/');
    await d.symlink!('dir/deep-up', '../..');
    for (const link of ['up', 'abs', 'dir/deep-up']) {
      assert.equal((await d.stat(link))?.kind, 'symlink', `stat(${link}) reports the link`);
      await rejectsWithCode(() => collect(d.list(link)), 'path_escape', `list(${link})`);
      await rejectsWithCode(() => d.openRead(`${link}/x`), 'path_escape', `openRead(${link}/x)`);
      await rejectsWithCode(() => d.openWrite(`${link}/x`), 'path_escape', `openWrite(${link}/x)`);
      await rejectsWithCode(() => d.mkdir(`${link}/x`), 'path_escape', `mkdir(${link}/x)`);
      await rejectsWithCode(() => d.setMeta(`${link}/x`, { mtimeMs: 0 }), 'path_escape', `setMeta(${link}/x)`);
      await rejectsWithCode(() => d.stat(`${link}/x`), 'path_escape', `stat(${link}/x)`);
      await rejectsWithCode(() => d.remove(`${link}/x`), 'path_escape', `remove(${link}/x)`);
    }
    assert.equal(await d.readlink!('up'), '..');
    const listed = (await collect(d.list(''))).find((e) => e.name === 'abs');
    assert.equal(listed?.kind, 'symlink');
    assert.equal(listed?.linkTarget, '/');
    await rejectsWithCode(() => d.symlink!('up', 'elsewhere'), 'exists', 'symlink over an existing link');
  }));

  it('symlinks: links inside the root are followed for reads and listings, reported as links', (t) => ctx.use(async (d) => {
    if (!d.features.symlinks) {
      t.skip('driver does not declare symlinks');
      return;
    }
    await writeBytes(d, 'real/file', 'through the link');
    await d.symlink!('dirlink', 'real');
    await d.symlink!('filelink', 'real/file');
    assert.equal((await readBytes(d, 'filelink')).toString(), 'through the link');
    assert.equal((await readBytes(d, 'dirlink/file')).toString(), 'through the link');
    assert.deepEqual(await listNames(d, 'dirlink'), ['file']);
    const st = await d.stat('filelink');
    assert.equal(st?.kind, 'symlink');
    assert.equal(st?.linkTarget, 'real/file');
    await writeBytes(d, 'filelink', 'replaces the link');
    assert.equal((await d.stat('filelink'))?.kind, 'file', 'writing over a link replaces the link itself');
    assert.equal((await readBytes(d, 'real/file')).toString(), 'through the link', 'the link target is untouched');
    assert.equal(await d.remove('dirlink'), true);
    assert.equal((await d.stat('real'))?.kind, 'dir', 'removing a link keeps its target');
  }));
}
