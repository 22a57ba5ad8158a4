/**
 * The listing steps of a file thread (fs-op-worker.ts `listInside` / `lstatMany`): in JavaScript, and
 * through the native addon (native/listing.c) when this thread loaded it.
 *
 * Why native: per file listed, the JavaScript path costs a Node lstatSync of the joined path (a path
 * walk from /, a Stats object, four Dates) — ~9–15 µs of CPU on that thread for small files (issue
 * #14); the addon does one fstatat on the folder's descriptor and packs the same numbers. Why both: the
 * addon is optional (not built, not Linux, `BARGE_NATIVE_COPY=off`), and it answers null for whatever
 * the JavaScript path would answer differently (any error but a vanished entry, names that are not
 * UTF-8…) — the JavaScript path then runs the whole step, so the answers are one, whichever ran.
 * Confinement stays JavaScript's (sync-confine.ts resolveInsideSync); the addon reads the folder it
 * resolved. Both run on the calling thread, so under its file-system ids (fs-credentials.ts).
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { isTempName } from '../paths.js';
import { LISTED_FIELDS, type ListedChunk, type ListedDir } from './fs-op-protocol.js';
import { loadNativeCopier } from './native-copier.js';
import { resolveInsideSync } from './sync-confine.js';

/** The addon's listing exports (native/listing.c); null answers mean "run the JavaScript path". */
export interface NativeListing {
  /** Names (filtered, sorted as sort() does) joined by '/', their count, and the first `chunk` lstats. */
  listDir(dir: string, chunk: number): (ListedChunk & { readonly names: string; readonly count: number }) | null;
  /** lstats of `count` names joined by '/'. */
  lstatNames(dir: string, joined: string, count: number): ListedChunk | null;
}

/**
 * This thread's addon listing, or null (not built, not loadable, an older build, or disabled:
 * `enabled` is the pool's `nativeCopy`, config.ts `BARGE_NATIVE_COPY`, given to the file thread).
 */
export function loadNativeListing(enabled: boolean): NativeListing | null {
  const addon = loadNativeCopier(enabled) as Partial<NativeListing> | null;
  return addon !== null && typeof addon.listDir === 'function' && typeof addon.lstatNames === 'function' ? addon as NativeListing : null;
}

/** lstatMany in JavaScript: see fs-op-protocol.ts ListedChunk. */
export function lstatManyJs(dir: string, names: readonly string[]): ListedChunk {
  const stats = new Float64Array(names.length * LISTED_FIELDS);
  let links: Record<number, string> | null = null;
  for (let i = 0; i < names.length; i++) {
    const full = join(dir, names[i] as string);
    const o = i * LISTED_FIELDS;
    let st: Stats | undefined;
    try {
      st = lstatSync(full, { throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    if (st === undefined) {
      stats[o] = Number.NaN;
      continue;
    }
    stats[o] = st.mode;
    stats[o + 1] = st.size;
    stats[o + 2] = st.mtimeMs;
    stats[o + 3] = st.atimeMs;
    stats[o + 4] = st.ctimeMs;
    stats[o + 5] = st.uid;
    stats[o + 6] = st.gid;
    if (st.isSymbolicLink()) (links ??= {})[i] = readlinkSync(full);
  }
  return { stats, links };
}

/** lstatMany: the addon's answer, else the JavaScript path's. */
export function lstatMany(dir: string, names: readonly string[], addon: NativeListing | null): ListedChunk {
  return (addon === null || names.length === 0 ? null : addon.lstatNames(dir, names.join('/'), names.length)) ?? lstatManyJs(dir, names);
}

/** The names of a listing of the folder `real`, as the JavaScript path gives them. */
function namesJs(real: string): string[] {
  return readdirSync(real).filter((n) => !isTempName(n)).sort();
}

/**
 * listInside (fs-op-protocol.ts): the folder confined by resolveInsideSync (its errors are
 * StorageErrors), read and its first `chunk` names lstat'ed (errors: Node's errno errors).
 */
export function listInside(root: string, norm: string, chunk: number, addon: NativeListing | null): ListedDir {
  const real = resolveInsideSync(root, norm);
  const listed = addon !== null && Number.isSafeInteger(chunk) && chunk >= 0 ? addon.listDir(real, chunk) : null;
  if (listed !== null) {
    const names = listed.count === 0 ? [] : listed.names.split('/');
    return { real, names, first: { stats: listed.stats, links: listed.links } };
  }
  const names = namesJs(real);
  return { real, names, first: lstatManyJs(real, names.slice(0, chunk)) };
}
