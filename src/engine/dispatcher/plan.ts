/**
 * Pure planning rules: where a source file lands, how a conflicting name is renamed, and the walk
 * order (which is also the checkpoint order of an interrupted walk).
 */

/** `/a/b/c` → ['a','b','c']; root → []. */
export function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * A path (or relative part) already in the form {@link segments} would give back unchanged: no empty
 * or `.` segment, no trailing slash. Why: the walk and the planner call the helpers below several
 * times per file, on paths that are nearly always in this form; checked with one native regex, they
 * are then joined and cut as strings, without an array per call (issue #14). Others take the
 * general path, with the same result.
 */
const CLEAN = /^\/?(?!\.(?:\/|$))[^/]+(?:\/(?!\.(?:\/|$))[^/]+)*$/;

/**
 * A storage path in the normal form joinPath gives (`/a/b`: a leading `/`, not the root itself).
 * Why exported: the planner derives a file's destination from such a path with string operations.
 */
export function isNormalPath(path: string): boolean {
  return path.charCodeAt(0) === 47 && CLEAN.test(path);
}

export function joinPath(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part === '' || part === '/') continue;
    if (CLEAN.test(part)) out += part.charCodeAt(0) === 47 ? part : `/${part}`;
    else for (const s of segments(part)) out += `/${s}`;
  }
  return out === '' ? '/' : out;
}

export function parentOf(path: string): string {
  if (!CLEAN.test(path)) {
    const s = segments(path);
    return '/' + s.slice(0, -1).join('/');
  }
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.charCodeAt(0) === 47 ? path.slice(0, cut) : `/${path.slice(0, cut)}`;
}

export function baseName(path: string): string {
  if (!CLEAN.test(path)) return segments(path).at(-1) ?? '';
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The common parent of the source paths, stripped at the destination with `ignore_common_path`:
 * `/projects/a` + `/projects/b/x.dat` → `/projects`; a single `/projects/a` → `/projects`.
 */
export function commonParent(paths: string[]): string {
  if (paths.length === 0) return '/';
  let common = segments(parentOf(paths[0] as string));
  for (const p of paths.slice(1)) {
    const s = segments(parentOf(p));
    let i = 0;
    while (i < common.length && i < s.length && common[i] === s[i]) i++;
    common = common.slice(0, i);
  }
  return '/' + common.join('/');
}

/**
 * Where a source path lands: the source path (minus `strip`) recreated under the destination base.
 * `/projects/a/f` with base `/archive` → `/archive/projects/a/f`; with strip `/projects` → `/archive/a/f`.
 */
export function destinationPath(srcPath: string, dstBase: string, strip: string): string {
  if (CLEAN.test(srcPath) && srcPath.charCodeAt(0) === 47) {
    // The common cases as strings (see CLEAN): nothing stripped, or a clean prefix that matches.
    if (strip === '/' || strip === '') return joinPath(dstBase, srcPath);
    if (CLEAN.test(strip) && strip.charCodeAt(0) === 47) {
      if (srcPath === strip) return joinPath(dstBase);
      return srcPath.startsWith(`${strip}/`) ? joinPath(dstBase, srcPath.slice(strip.length)) : joinPath(dstBase, srcPath);
    }
  }
  const s = segments(srcPath);
  const p = segments(strip);
  const rel = p.every((seg, i) => s[i] === seg) ? s.slice(p.length) : s;
  return joinPath(dstBase, ...rel);
}

/** `report.pdf` → `report (1).pdf`, `(2)`…; dot-files and names without extension get the suffix at the end. */
export function renamed(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/** Compares names in the walk order (`asc` by code point, `dsc` reversed). */
export function compareNames(a: string, b: string, order: 'asc' | 'dsc'): number {
  const c = a < b ? -1 : a > b ? 1 : 0;
  return order === 'asc' ? c : -c;
}

/** A position in the walk: source endpoint, node path index, then the path's segments. */
export interface WalkPosition {
  ep: number;
  np: number;
  path: string[];
}

/**
 * Orders two walk positions as the depth-first walk visits them (a directory before its content).
 * Why: the dispatcher checkpoints the last enqueued position and, after a crash, skips everything
 * at or before it — so the order must be total and match the walk exactly.
 */
export function comparePositions(a: WalkPosition, b: WalkPosition, order: 'asc' | 'dsc'): number {
  if (a.ep !== b.ep) return a.ep - b.ep;
  if (a.np !== b.np) return a.np - b.np;
  const n = Math.min(a.path.length, b.path.length);
  for (let i = 0; i < n; i++) {
    const c = compareNames(a.path[i] as string, b.path[i] as string, order);
    if (c !== 0) return c;
  }
  return a.path.length - b.path.length;
}

/** True when `dir` is an ancestor of (or equal to) `pos` — its subtree still holds unvisited entries. */
export function isAncestor(dir: WalkPosition, pos: WalkPosition): boolean {
  return dir.ep === pos.ep && dir.np === pos.np && dir.path.length <= pos.path.length && dir.path.every((s, i) => pos.path[i] === s);
}
