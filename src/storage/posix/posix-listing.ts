/**
 * The posix driver's `list`: a folder's entries from the packed answers of its path operations
 * (PathOps.listInside, then lstatMany a chunk at a time). Why apart from posix-driver.ts: the walk of
 * a small-files copy spends much of its time here (issue #14), and the driver file had grown past the
 * project's size limit.
 */
import type { Entry } from '../driver.js';
import { classifyFsError, StorageError, throwIfAborted } from '../errors.js';
import { isTempName } from '../paths.js';
import { LISTED_FIELDS, type PlainStat } from './fs-op-protocol.js';
import { kindOfMode, type PathOps } from './path-ops.js';
import type { PosixRoot } from './posix-root.js';

/** Names of a listing lstat'ed per call (bounds the memory of a huge directory's stats in flight). */
export const LIST_CHUNK = 256;

/** An Entry from an lstat answer. */
export function entryOf(name: string, st: PlainStat, linkTarget?: string): Entry {
  return {
    name, kind: kindOfMode(st.mode), size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, mode: st.mode & 0o7777,
    uid: st.uid, gid: st.gid, ...(linkTarget === undefined ? {} : { linkTarget }),
  };
}

/**
 * Entry `i` of a packed lstatMany answer (fs-op-protocol.ts ListedChunk); null when it vanished.
 * Two literals rather than a spread of the optional `linkTarget`: every plain entry gets one shape,
 * built without a copy (issue #14).
 */
function listedEntry(name: string, stats: Float64Array, i: number, linkTarget: string | undefined): Entry | null {
  const o = i * LISTED_FIELDS;
  // mode, size, mtimeMs, atimeMs, ctimeMs, uid, gid
  const mode = stats[o] as number;
  if (Number.isNaN(mode)) return null;
  if (linkTarget === undefined) {
    return {
      name, kind: kindOfMode(mode), size: stats[o + 1] as number, mtimeMs: stats[o + 2] as number, atimeMs: stats[o + 3] as number,
      ctimeMs: stats[o + 4] as number, mode: mode & 0o7777, uid: stats[o + 5] as number, gid: stats[o + 6] as number,
    };
  }
  return {
    name, kind: kindOfMode(mode), size: stats[o + 1] as number, mtimeMs: stats[o + 2] as number, atimeMs: stats[o + 3] as number,
    ctimeMs: stats[o + 4] as number, mode: mode & 0o7777, uid: stats[o + 5] as number, gid: stats[o + 6] as number, linkTarget,
  };
}

/**
 * The entries of the folder at storage path `norm` (already checked by the driver), sorted by name,
 * a chunk (at most LIST_CHUNK entries: one lstatMany answer) at a time — the driver's `listChunks`.
 * The signal is checked before each chunk.
 */
export async function* listFolderChunks(fs: PathOps, root: PosixRoot, norm: string, signal: AbortSignal | undefined): AsyncGenerator<Entry[]> {
  // On a file thread: confinement, readdir and the first lstats in one call (PathOps.listInside).
  const listed = await fs.listInside(root.real, norm, LIST_CHUNK).catch((err: unknown) => {
    throw err instanceof StorageError ? err : classifyFsError(err, norm);
  });
  let real: string;
  let names: string[];
  if (listed !== null) ({ real, names } = listed);
  else {
    real = await root.resolveInside(norm);
    try {
      names = await fs.readdir(real);
    } catch (err) {
      throw classifyFsError(err, norm);
    }
    names = names.filter((n) => !isTempName(n)).sort();
  }
  // lstat a chunk at a time in one call (PathOps.lstatMany); the next chunk is asked for while
  // this one is consumed.
  const chunk = (k: number) => fs.lstatMany(real, names.slice(k, k + LIST_CHUNK)).catch((err: unknown) => {
    throw classifyFsError(err, norm);
  });
  let next = names.length === 0 ? undefined : listed !== null ? Promise.resolve(listed.first) : chunk(0);
  for (let k = 0; next !== undefined; k += LIST_CHUNK) {
    const { stats, links } = await next;
    next = k + LIST_CHUNK < names.length ? chunk(k + LIST_CHUNK) : undefined;
    next?.catch(() => {}); // awaited on the next turn; never unhandled if the caller stops here
    throwIfAborted(signal, norm);
    const n = Math.min(LIST_CHUNK, names.length - k);
    const out: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const e = listedEntry(names[k + i] as string, stats, i, links?.[i]);
      if (e !== null) out.push(e);
    }
    if (out.length > 0) yield out;
  }
}

/** The entries of the folder at storage path `norm` (already checked by the driver), sorted by name: the driver's `list`. */
export async function* listFolder(fs: PathOps, root: PosixRoot, norm: string, signal: AbortSignal | undefined): AsyncGenerator<Entry> {
  for await (const chunk of listFolderChunks(fs, root, norm, signal)) {
    for (const e of chunk) {
      throwIfAborted(signal, norm);
      yield e;
    }
  }
}
