/**
 * Nodeum's `on_tapes_file` view of a tape pool (issue #12): the pool's archived files as a folder
 * tree, one folder at a time, each entry naming the cartridges that hold it (`barcodes`) — the
 * primary cartridge first, then its secondary copies written by a duplication. Pure: built from the
 * catalog's rows (services/on-tapes-file-service.ts reads them).
 *
 * Ids: Nodeum numbers files; the catalog has no row per folder, so an entry's id is a number derived
 * from its path (FNV-1a, 53 bits: a JSON-safe integer), the same at every request. The children of a
 * folder are asked for by that id (`/pools/{id}/on_tapes_files/{file_parent_id}/children`).
 */

/** A file of the pool as the catalog has it: its latest copy's size, where that copy is, and its secondary copies. */
export interface OnTapesSourceFile {
  path: string;
  size: number;
  barcodes: string[];
  secondary: string[];
}

/** One entry of a folder: Nodeum's `on_tapes_file` plus Barge's `path` and `secondary_barcodes`. */
export interface OnTapesEntry {
  id: number;
  name: string;
  type: 'file' | 'folder';
  /** A file's bytes; a folder's: the sum of the files under it. */
  size: number;
  /** Cartridges holding it (a folder: holding something under it), primaries first, then secondary copies. */
  barcodes: string[];
  /** The same path as restore `node_paths` take (`/dir/name`). */
  path: string;
  /** The secondary copies among `barcodes`. */
  secondary_barcodes: string[];
}

/** The id of the entry at `path` (a member name: relative, `/`-separated). */
export function onTapesId(path: string): number {
  // Two 32-bit FNV-1a hashes (different offsets) → 53 bits.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return (a & 0x1fffff) * 0x100000000 + b;
}

/** Every folder of `files` (member names, without the root), to find one by id. */
export function onTapesFolders(files: readonly OnTapesSourceFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('/'));
  }
  return [...out];
}

/** The entries directly in `folder` ('' for the root), folders and files, unsorted. */
export function onTapesChildren(files: readonly OnTapesSourceFile[], folder: string): OnTapesEntry[] {
  const prefix = folder === '' ? '' : `${folder}/`;
  const byName = new Map<string, OnTapesEntry>();
  const add = (list: string[], more: readonly string[]) => {
    for (const x of more) if (!list.includes(x)) list.push(x);
  };
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const path = `${prefix}${name}`;
    const type = slash < 0 ? 'file' : 'folder';
    const key = `${type}\u0000${name}`;
    let e = byName.get(key);
    if (!e) {
      e = { id: onTapesId(path), name, type, size: 0, barcodes: [], path: `/${path}`, secondary_barcodes: [] };
      byName.set(key, e);
    }
    e.size += f.size;
    add(e.barcodes, f.barcodes);
    add(e.secondary_barcodes, f.secondary);
  }
  for (const e of byName.values()) add(e.barcodes, e.secondary_barcodes);
  return [...byName.values()];
}
