/**
 * Where a virtual library may live. Its directory must lie under one of the roots an operator allowed
 * (`BARGE_TAPE_ROOTS`), after resolving symlinks of the part that exists — so an API caller cannot
 * make Barge create (or, on delete, remove) cartridge files anywhere on the host — and must be new or
 * empty, so a library never takes over files it did not write.
 */
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { TapeError } from './tape-error.js';

/** The real path of `p`: the deepest existing ancestor resolved, the rest appended. */
async function resolveReal(p: string): Promise<string> {
  const rest: string[] = [];
  let at = p;
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = dirname(at);
      if (parent === at) throw err;
      rest.push(at.slice(parent.length).replace(/^\/+/, ''));
      at = parent;
    }
  }
}

function inside(child: string, root: string): boolean {
  const r = relative(root, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && !r.split(sep).includes('..'));
}

/** Checks `path` against `roots` and returns its real form (TapeError `path_not_allowed` otherwise). */
export async function confineLibraryPath(path: string, roots: readonly string[]): Promise<string> {
  if (!isAbsolute(path) || path.includes('\0') || path.split('/').includes('..')) {
    throw new TapeError('path_not_allowed', 'The library path must be absolute, without ..');
  }
  const real = await resolveReal(normalize(path));
  for (const root of roots) {
    const realRoot = await resolveReal(normalize(root));
    if (real !== realRoot && inside(real, realRoot)) return real;
  }
  throw new TapeError('path_not_allowed', `The library path must be inside ${roots.length === 1 ? 'the tape root' : 'one of the tape roots'} (${roots.join(', ')})`);
}

/** Creates the directory (and parents) or checks that the existing one is empty. Returns whether it was created. */
export async function prepareEmptyDir(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isDirectory()) throw new TapeError('path_not_empty', 'The library path exists and is not a directory');
    if ((await readdir(path)).length > 0) throw new TapeError('path_not_empty', 'The library path already holds files');
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(path, { recursive: true, mode: 0o750 });
    return true;
  }
}
