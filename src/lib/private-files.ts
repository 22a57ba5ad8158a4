/**
 * Files only Barge's own user may read: the data dir, the SQLite store and its WAL. Why: the store
 * holds password hashes, sealed secrets, task definitions and file names of every user; with the
 * usual umask they were created 0644 in a 0755 folder, readable by every account on the host.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/** Creates `dir` (and its parents) if needed and makes it 0700. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
}

/**
 * Makes `file` and its SQLite companions (`-wal`, `-shm`, `-journal`) readable by their owner only;
 * creates `file` empty with mode 0600 when missing, so that SQLite creates its companions with that
 * mode too (it copies the database file's permissions).
 */
export function privateStoreFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) if (existsSync(f)) tighten(f, 0o600);
}

/** Removes group and other bits (never adds any), on what this user owns. */
function tighten(path: string, max: number): void {
  const st = statSync(path);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return;
  const mode = st.mode & 0o777;
  if ((mode & ~max) !== 0) chmodSync(path, mode & max);
}
