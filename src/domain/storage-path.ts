/**
 * Node paths as tasks carry them: always inside a storage root. A leading `/` means the storage
 * root; a relative path resolves against the task's `working_dir`. `..` may walk up only as far as
 * the root: anything that would climb above it is refused here, at the API, long before a driver
 * sees it (drivers refuse it again, and also refuse symlink escapes, which only they can see).
 */

export type PathProblem = 'nul' | 'escape' | 'too_long';

/** Normalises a storage path to `/a/b` form, or says why it cannot be one. */
export function normalizeNodePath(path: string, workingDir = '/'): { path: string } | { problem: PathProblem } {
  if (path.includes('\0') || workingDir.includes('\0')) return { problem: 'nul' };
  if (path.length > 4096) return { problem: 'too_long' };
  const base = path.startsWith('/') ? [] : splitSafe(workingDir);
  if (base === null) return { problem: 'escape' };
  const parts = splitSafe(path, base);
  if (parts === null) return { problem: 'escape' };
  return { path: '/' + parts.join('/') };
}

function splitSafe(path: string, start: string[] = []): string[] | null {
  const out = [...start];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out;
}
