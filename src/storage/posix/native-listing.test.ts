/**
 * The native listing (native-listing.ts, native/listing.c) against the JavaScript one: the same names,
 * order, numbers, link targets and errors on the same trees — directly on this thread, and through file
 * threads under a context user's ids for rights root does not feel. Skipped, with the reason printed,
 * when the addon is not built.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import { makeTempName } from '../paths.js';
import { CredentialedFs } from './credentialed-fs.js';
import { credentialSwitchBlocker } from './fs-credentials.js';
import type { ListedChunk, ListedDir } from './fs-op-protocol.js';
import { listInside, loadNativeListing, lstatMany } from './native-listing.js';
import { nativeCopierStatus } from './native-copier.js';

const addon = loadNativeListing(true);
const skip = addon === null ? `native listing not available: ${nativeCopierStatus().reason ?? 'an older build'}` : false;
if (skip) console.log(`# skipped: ${skip}`);

/** Names that exercise the sort (UTF-16 order: a supplementary character before U+E000–U+FFFF) and UTF-8. */
const ODD_NAMES = ['é', 'e\u0301', 'ｆｕｌｌ', '\uE000x', '😀', '𝒜b', 'z', 'Z', 'a b', 'tab\tname', 'new\nline', '_', '~', '-x', '%41'];
/** Temporary names, and names close to them that are not. */
const TEMP_NAMES = [makeTempName('a.txt', '0123456789abcdef'), makeTempName('é', 'abcdefgh'), '..barge-12345678.part', `.x.barge-${'a'.repeat(32)}.part`];
const NOT_TEMP = ['.barge-12345678.part', '.x.barge-1234567.part', `.x.barge-${'a'.repeat(33)}.part`, '.x.barge-ABCDEFGH.part', '.x.barge-12345678.parts', 'x.barge-12345678.part', '.x.barge-1234-678.part'];

let base: string;
let root: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'barge-listing-'));
  chmodSync(base, 0o755); // the context user of the thread cases must be able to enter it
  root = join(base, 'root');
  mkdirSync(join(root, 'tree', 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret'), 'x');
  const tree = join(root, 'tree');
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, `f${String(i).padStart(3, '0')}`), Buffer.alloc(i * 100));
  for (const n of [...ODD_NAMES, ...TEMP_NAMES, ...NOT_TEMP]) writeFileSync(join(tree, n), n);
  // Times with sub-millisecond parts, before and after 1970, so the rounding of mtimeMs is compared.
  utimesSync(join(tree, 'f001'), 1_234_567_890.123456, 1_700_000_000.987654);
  utimesSync(join(tree, 'f002'), -12_345.678901, 0.000001);
  symlinkSync('f001', join(tree, 'rel'));
  symlinkSync(join(base, 'outside', 'secret'), join(tree, 'abs'));
  symlinkSync('nowhere/at/all', join(tree, 'dangling'));
  symlinkSync('é😀', join(tree, 'odd-target'));
  symlinkSync('sub', join(tree, 'to-dir'));
  mkdirSync(join(tree, 'empty'));
  writeFileSync(join(root, 'a-file'), 'x');
  symlinkSync(join(base, 'outside'), join(root, 'escape'));
  symlinkSync('tree', join(root, 'inside-link'));
  // A name that is not UTF-8: Node reads it with a replacement character (the addon leaves it to Node).
  mkdirSync(join(root, 'latin1'));
  writeFileSync(Buffer.concat([Buffer.from(join(root, 'latin1') + '/caf'), Buffer.from([0xe9])]), 'x');
  writeFileSync(join(root, 'latin1', 'plain'), 'x');
  mkdirSync(join(root, 'latin1-link'));
  symlinkSync(Buffer.from([0x63, 0x61, 0x66, 0xe9]), join(root, 'latin1-link', 'link'));
  // Symlinks' atimes move on their first readlink (relatime): read them all once before comparing.
  for (const norm of ['', 'tree']) listBoth(norm, 1000);
});
after(() => rmSync(base, { recursive: true, force: true }));

/** What a caller sees of a listing or an error. */
function seen(run: () => ListedDir | ListedChunk): unknown {
  try {
    const r = run();
    return {
      ...('real' in r ? { real: r.real, names: r.names } : {}),
      stats: Array.from('first' in r ? r.first.stats : r.stats),
      links: { ...('first' in r ? r.first.links : r.links) },
    };
  } catch (err) {
    if (err instanceof StorageError) return { storage: err.code, message: err.message, path: err.path };
    const e = err as NodeJS.ErrnoException;
    return { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
  }
}

function listBoth(norm: string, chunk: number): { native: unknown; js: unknown } {
  return { native: seen(() => listInside(root, norm, chunk, addon)), js: seen(() => listInside(root, norm, chunk, null)) };
}

describe('native listing', { skip }, () => {
  it('lists a tree of files, folders, symlinks, odd and temporary names as the JavaScript path does', () => {
    for (const chunk of [0, 1, 7, 256, 1000]) {
      const { native, js } = listBoth('tree', chunk);
      assert.deepEqual(native, js, `chunk ${chunk}`);
    }
    const listed = listInside(root, 'tree', 1000, addon);
    for (const n of TEMP_NAMES) assert.ok(!listed.names.includes(n), `${n} is a temporary name`);
    for (const n of [...NOT_TEMP, ...ODD_NAMES, 'rel', 'abs', 'dangling', 'empty']) assert.ok(listed.names.includes(n), `${n} is listed`);
    assert.equal(listed.names.indexOf('😀') < listed.names.indexOf('\uE000x'), true, 'UTF-16 order');
    const i = listed.names.indexOf('dangling');
    assert.equal(listed.first.links?.[i], 'nowhere/at/all');
  });

  it('answers natively (not by falling back) for a plain tree', () => {
    const real = join(root, 'tree');
    const listed = addon!.listDir(real, 5);
    assert.ok(listed !== null);
    assert.equal(listed.count, listInside(root, 'tree', 0, null).names.length);
    assert.ok(addon!.lstatNames(real, 'f001/rel/nope', 3) !== null);
  });

  it('lists the root, an empty folder and a folder through an inside symlink alike', () => {
    for (const norm of ['', 'tree/empty', 'inside-link', 'tree/sub']) {
      const { native, js } = listBoth(norm, 256);
      assert.deepEqual(native, js, norm);
    }
  });

  it('lstatMany: later chunks, vanished names and names under a file give the same NaN entries', () => {
    const dir = join(root, 'tree');
    const names = ['f003', 'gone', 'f001', 'f001/x', 'rel', 'dangling', 'to-dir', 'a/b', '.', '..', ''];
    assert.deepEqual(seen(() => lstatMany(dir, names, addon)), seen(() => lstatMany(dir, names, null)));
    assert.deepEqual(seen(() => lstatMany(dir, [], addon)), seen(() => lstatMany(dir, [], null)));
    const fresh = join(dir, 'vanishing');
    writeFileSync(fresh, 'x');
    const listed = listInside(root, 'tree', 0, addon);
    unlinkSync(fresh); // vanished between the readdir and the lstats
    const after = listed.names.slice(0, 300);
    const mine = lstatMany(listed.real, after, addon);
    assert.deepEqual(seen(() => mine), seen(() => lstatMany(listed.real, after, null)));
    assert.ok(Number.isNaN(mine.stats[after.indexOf('vanishing') * 7]));
  });

  it('a folder path with . or .. components, or a NUL, is left to the JavaScript path', () => {
    const dir = join(root, 'tree');
    for (const d of [`${dir}/../tree`, `${dir}/./`, `${dir}/sub/..`, `${dir}\0x`, 'relative']) {
      assert.equal(addon!.listDir(d, 1), null, d);
      assert.equal(addon!.lstatNames(d, 'f001', 1), null, d);
    }
    assert.deepEqual(seen(() => lstatMany(`${dir}/sub/..`, ['f001', 'sub'], addon)), seen(() => lstatMany(`${dir}/sub/..`, ['f001', 'sub'], null)));
  });

  it('a name or link target that is not UTF-8 gives the JavaScript answer (a replacement character)', () => {
    for (const norm of ['latin1', 'latin1-link']) {
      listBoth(norm, 256); // the link's atime (relatime)
      const { native, js } = listBoth(norm, 256);
      assert.deepEqual(native, js, norm);
      assert.equal(addon!.listDir(join(root, norm), 1), null, norm);
    }
  });

  it('escapes, missing folders and files are refused with the same errors', () => {
    for (const norm of ['escape', 'escape/secret', 'missing', 'missing/deeper', 'a-file', 'tree/dangling', 'tree/abs', 'tree/f001']) {
      const { native, js } = listBoth(norm, 256);
      assert.deepEqual(native, js, norm);
      assert.ok(!('stats' in (native as object)), `${norm} is refused`);
    }
  });

  it('is not used when disabled: BARGE_NATIVE_COPY=off reaches the file thread as nativeCopy: false', async () => {
    assert.equal(loadNativeListing(false), null);
    const off = await CredentialedFs.start(null, false);
    const on = await CredentialedFs.start(null, true);
    try {
      assert.equal(off.nativeListing, false);
      assert.equal(on.nativeListing, true);
    } finally {
      await Promise.all([off.close(), on.close()]);
    }
  });
});

const blocker = credentialSwitchBlocker();
const credSkip = skip || (blocker === null ? false : `cannot switch file-system credentials here: ${blocker}`);
if (credSkip && !skip) console.log(`# skipped: ${credSkip}`);

describe('native listing on a file thread as a context user', { skip: credSkip }, () => {
  const NOBODY = { uid: 65534, gid: 65534 };

  /** A file thread for NOBODY, with the addon's listing or without (BARGE_NATIVE_COPY as it starts). */
  async function thread(native: boolean): Promise<CredentialedFs> {
    const saved = process.env.BARGE_NATIVE_COPY;
    process.env.BARGE_NATIVE_COPY = native ? 'on' : 'off';
    try {
      return await CredentialedFs.start(NOBODY);
    } finally {
      if (saved === undefined) delete process.env.BARGE_NATIVE_COPY;
      else process.env.BARGE_NATIVE_COPY = saved;
    }
  }

  async function outcome(fs: CredentialedFs, norm: string): Promise<unknown> {
    try {
      const r = await fs.call<ListedDir>({ op: 'listInside', root, norm, chunk: 256 });
      return { real: r.real, names: r.names, stats: Array.from(r.first.stats), links: { ...r.first.links } };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { path?: string };
      return { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
    }
  }

  it('unreadable and untraversable folders fail alike; readable ones list alike', async () => {
    const closed = join(root, 'closed');
    const noX = join(root, 'no-x');
    mkdirSync(closed, { mode: 0o700 });
    mkdirSync(noX);
    writeFileSync(join(noX, 'inner'), 'x');
    chmodSync(closed, 0o700);
    chmodSync(noX, 0o744); // readable by others, not traversable: readdir works, the lstats do not
    chmodSync(root, 0o755);
    const [native, js] = [await thread(true), await thread(false)];
    try {
      for (const norm of ['closed', 'no-x', 'tree', '']) {
        const [a, b] = [await outcome(native, norm), await outcome(js, norm)];
        assert.deepEqual(a, b, norm);
        if (norm === 'closed' || norm === 'no-x') assert.equal((a as { code?: string }).code, 'EACCES', norm);
      }
    } finally {
      await native.close();
      await js.close();
    }
  });
});
