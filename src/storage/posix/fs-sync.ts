/**
 * `syncfs(2)`: make every write made so far on one file system durable with a single call.
 *
 * Why: a small file copied durably costs two journal commits when made durable one by one (fsync of
 * the file, then of the directory holding its new name) — on ext4 ~0.3 ms of CPU and one disk flush
 * each, which capped Barge near `rsync --fsync` speed. A copy worker that stages a whole message of
 * small files (written, verified, not yet visible) makes them durable with one `syncfs`, renames them,
 * and makes the renames durable with a second one: two flushes per message instead of two per file,
 * with the same guarantee (data-safety rule 1, docs/architecture.md).
 *
 * Why only on Linux ≥ 5.8: before 5.8, `syncfs` returned 0 even when the writeback it waited for had
 * failed, so a failed write could have been reported as durable. Since 5.8 it reports any writeback
 * error on the file system that happened after the descriptor it is given was opened — callers pass a
 * descriptor of a file they created before writing the data they want covered.
 *
 * Why koffi: Node has no binding for `syncfs`; koffi calls libc's from prebuilt binaries (npm
 * packages per platform), with no compiler at install. When anything is missing — another OS, an
 * older kernel, koffi failing to load, or `BARGE_POSIX_SYNCFS=0` (configuration) — callers fall back
 * to fsync per file.
 */
import { release } from 'node:os';
import { classifyFsError } from '../errors.js';
import { loadLibc, systemError } from './libc.js';

/** Flushes the file system holding `fd`; throws a StorageError (with the errno's code) on failure. */
export type SyncFileSystem = (fd: number) => void;

let loaded: SyncFileSystem | null | undefined;

/** True when the running kernel reports writeback errors through syncfs (Linux 5.8 and later). */
export function kernelReportsSyncfsErrors(platform: string = process.platform, kernel: string = release()): boolean {
  if (platform !== 'linux') return false;
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 8);
}

/**
 * The `syncfs` of this process, or null where it cannot be used (see the file header). Loaded once
 * per thread; `enabled: false` (configuration) forces the fallback.
 */
export function fileSystemSync(enabled = true): SyncFileSystem | null {
  if (!enabled) return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  const libc = kernelReportsSyncfsErrors() ? loadLibc() : null;
  if (libc === null) return null; // fsync per file
  const syncfs = libc.func<(fd: number) => number>('int syncfs(int fd)');
  loaded = (fd: number): void => {
    if (syncfs(fd) === 0) return;
    const errno = libc.errno();
    throw classifyFsError(systemError(errno, 'syncfs', `errno ${errno}`));
  };
  return loaded;
}
