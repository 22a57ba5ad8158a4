/**
 * `cleanupTemp` of the posix driver: find (and remove) Barge's temporary files under a directory.
 * Why apart from posix-driver.ts: it is a walk of its own with its own rules (age, names, files a
 * copy of this process is writing right now), and the driver file had grown past the project's size
 * limit.
 */
import { join } from 'node:path';
import type { TempCleanupOptions, TempCleanupResult } from '../driver.js';
import { classifyFsError, throwIfAborted } from '../errors.js';
import { childStoragePath, isTempFor, isTempName } from '../paths.js';
import type { PathOps } from './path-ops.js';

/** What the cleanup needs from its driver. */
export interface TempCleanupDeps {
  readonly fs: PathOps;
  /** Temporary files this process writes now (full paths; JavaScript writers). */
  readonly liveTemps: ReadonlySet<string>;
  /** Temporary names copies of this process write now (copy pool; any directory). */
  readonly liveTempNames: { has(name: string): boolean };
}

/** An errno error or StorageError saying the path (or a parent of it) is not there. */
export function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'not_found' || code === 'not_a_directory';
}

/**
 * Removes the temporary files under `real` (storage path `norm`) — or lists them with `dryRun` —
 * that are old enough, match `names` when given, and belong to no copy in flight here.
 */
export async function cleanupTempFiles(d: TempCleanupDeps, real: string, norm: string, options: TempCleanupOptions): Promise<TempCleanupResult> {
  const { recursive = true, minAgeMs = 0, dryRun = false, signal, names } = options;
  const wanted = (tempName: string) => names === undefined || names.some((n) => isTempFor(tempName, n));
  const stack: { real: string; path: string }[] = [{ real, path: norm }];
  const paths: string[] = [];
  let bytes = 0;
  const now = Date.now();
  while (stack.length > 0) {
    const { real: dir, path: dirPath } = stack.pop() as { real: string; path: string };
    let dirents;
    try {
      dirents = await d.fs.readdirTypes(dir);
    } catch (err) {
      if (isMissing(err)) continue;
      throw classifyFsError(err, dirPath);
    }
    for (const e of dirents) {
      throwIfAborted(signal, dirPath);
      const full = join(dir, e.name);
      if (e.kind === 'dir') {
        if (recursive) stack.push({ real: full, path: childStoragePath(dirPath, e.name) });
      } else if (e.kind === 'file' && isTempName(e.name) && wanted(e.name) && !d.liveTemps.has(full) && !d.liveTempNames.has(e.name)) {
        const st = await d.fs.lstat(full).catch(() => null);
        if (st === null || now - st.mtimeMs < minAgeMs) continue;
        if (!dryRun) {
          await d.fs.unlink(full).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw classifyFsError(err, dirPath);
          });
        }
        paths.push(childStoragePath(dirPath, e.name));
        bytes += st.size;
      }
    }
  }
  return { paths, bytes };
}
