/**
 * libc functions Node has no binding for (syncfs, renameat2), called through koffi — prebuilt from the
 * npm registry, no compiler at install. Why one module: the loader and the errno translation were
 * needed twice (fs-sync.ts, publish.ts). Loaded once per thread (copy workers load their own).
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** A libc function `signature` (koffi syntax), or null where koffi or glibc is not available. */
export interface Libc {
  func<F>(signature: string): F;
  /** errno of the last call in this thread. */
  errno(): number;
}

let libc: Libc | null | undefined;

export function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    libc = { func: <F>(signature: string) => lib.func(signature) as F, errno: () => koffi.errno() };
  } catch {
    libc = null; // no koffi build for this platform, or no glibc: callers fall back
  }
  return libc;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** The name of an errno value (`EEXIST`…), `EIO` when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? 'EIO';
}

/** An Error shaped like Node's system errors, so classifyFsError maps it like any other (EIO, ENOSPC…). */
export function systemError(errno: number, syscall: string, detail = ''): Error {
  const code = errnoName(errno);
  return Object.assign(new Error(`${code}: ${syscall} failed${detail ? ` (${detail})` : ''}`), { code, errno: -errno, syscall });
}
