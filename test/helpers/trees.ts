/** Real directory trees for engine tests: build them, hash them, find leftovers. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile, lstat, utimes } from 'node:fs/promises';
import { join, dirname, relative } from 'node:path';

/** Writes files (relative path → content or size in bytes of random data). */
export async function makeTree(root: string, files: Record<string, string | number>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, typeof content === 'number' ? randomBytes(content) : content);
  }
}

/**
 * Gives every file of `files` (as passed to makeTree) the process's time. Why: the kernel stamps a
 * write with the real clock, while a suite run under a moved clock (faketime, the date-bomb guard)
 * compares file ages with its own — a test about ages must take both from one clock.
 */
export async function stampTree(root: string, files: Record<string, unknown>, at: Date = new Date()): Promise<void> {
  for (const rel of Object.keys(files)) await utimes(join(root, rel), at, at);
}

/** Every regular file under root → sha256 of its content (relative paths, sorted). */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function visit(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out[relative(root, p)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  }
  await visit(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Directories (relative) under root, including empty ones. */
export async function listDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        out.push(relative(root, join(dir, e.name)));
        await visit(join(dir, e.name));
      }
    }
  }
  await visit(root);
  return out.sort();
}

/** Temporary write files (`.name.barge-…part`) anywhere under root. */
export async function partFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (/\.barge-.*\.part$/.test(e.name)) out.push(relative(root, p));
    }
  }
  await visit(root);
  return out;
}

export async function exists(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false);
}
