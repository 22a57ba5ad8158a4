/**
 * Per-thread file-system credentials (`options.context_uid` / `context_gid`, issue #13): make the
 * calling thread's *path* operations (open, stat, readdir, mkdir, rename, unlink…) be checked by the
 * kernel as those of another user, while the rest of the process stays as it is.
 *
 * Why per thread and these calls: Linux keeps credentials per thread. `setfsuid(2)` / `setfsgid(2)`
 * change only the ids file-permission checks use, and glibc does not broadcast them to the other
 * threads (unlike `setuid`/`setgid`). Supplementary groups are dropped with the raw
 * `syscall(SYS_setgroups, 0, NULL)`: glibc's `setgroups` would broadcast to every thread of the
 * process. A thread whose fsuid is not 0 also loses CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER…
 * for its file checks, so it can read and write only what that user could. Descriptors it opens are
 * process-wide: data I/O on them may happen on any thread.
 *
 * The switch is verified (calling `setfsuid(-1)` changes nothing and returns the current fsuid): a
 * thread that could not take the ids throws, and its caller must refuse the work rather than run it
 * with the process's own (root) rights.
 */
import { readFileSync } from 'node:fs';
import { StorageError } from '../errors.js';
import { loadLibc } from './libc.js';

/** A numeric user and group, as the kernel checks them. */
export interface FsCredentials {
  readonly uid: number;
  readonly gid: number;
}

/** `SYS_setgroups` per architecture (asm/unistd.h); other architectures cannot switch. */
const SYS_SETGROUPS: Readonly<Record<string, number>> = { x64: 116, arm64: 159 };
const CAP_SETGID = 6;
const CAP_SETUID = 7;
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "no change"

/** True for an id the kernel accepts as a target (not negative, not the "no change" value). */
export function isValidId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= MAX_ID;
}

/**
 * Why this process cannot switch file-system credentials, or null when it can: Linux, glibc through
 * koffi with a known `SYS_setgroups`, and CAP_SETUID + CAP_SETGID in the effective set (root has them).
 * `status` is the text of /proc/self/status (injectable for tests).
 */
export function credentialSwitchBlocker(status?: string): string | null {
  if (process.platform !== 'linux') return `switching file-system credentials needs Linux (this is ${process.platform})`;
  if (SYS_SETGROUPS[process.arch] === undefined) return `switching file-system credentials is not supported on ${process.arch}`;
  if (loadLibc() === null) return 'switching file-system credentials needs glibc through koffi, which could not be loaded';
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return 'cannot read /proc/self/status to check the process capabilities';
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  if (!m) return 'cannot read the process capabilities (CapEff)';
  const caps = BigInt(`0x${m[1]}`);
  const has = (bit: number): boolean => (caps >> BigInt(bit)) & 1n ? true : false;
  if (!has(CAP_SETUID) || !has(CAP_SETGID)) {
    return 'Barge runs without CAP_SETUID and CAP_SETGID (not as root): it cannot run file work as another user';
  }
  return null;
}

interface CredentialCalls {
  setfsuid(id: number): number;
  setfsgid(id: number): number;
  dropGroups(): number;
  errno(): number;
}

function calls(): CredentialCalls {
  const libc = loadLibc();
  const nr = SYS_SETGROUPS[process.arch];
  if (libc === null || nr === undefined) {
    throw new StorageError('unsupported', credentialSwitchBlocker() ?? 'cannot switch file-system credentials');
  }
  const setfsuid = libc.func<(id: number) => number>('int setfsuid(uint32_t)');
  const setfsgid = libc.func<(id: number) => number>('int setfsgid(uint32_t)');
  const syscall = libc.func<(...args: unknown[]) => number>('long syscall(long, ...)');
  return { setfsuid, setfsgid, dropGroups: () => Number(syscall(nr, 'long', 0, 'void *', null)), errno: () => libc.errno() };
}

/**
 * Switch the calling thread's file-system ids to `creds` (supplementary groups dropped) and verify it.
 * Throws a StorageError (`permission_denied`) when the thread does not hold them afterwards. Meant for
 * a worker thread that does nothing else: there is no way back that this module offers.
 */
export function switchThreadFsCredentials(creds: FsCredentials): void {
  if (!isValidId(creds.uid) || !isValidId(creds.gid)) {
    throw new StorageError('invalid_argument', `invalid context user or group id (${creds.uid}:${creds.gid})`);
  }
  const c = calls();
  // Groups and gid first: they need CAP_SETGID, which a thread keeps while its fsuid is still 0.
  if (c.dropGroups() !== 0) {
    throw new StorageError('permission_denied', `cannot drop supplementary groups (errno ${c.errno()}): Barge lacks CAP_SETGID`);
  }
  c.setfsgid(creds.gid);
  c.setfsuid(creds.uid);
  // -1 is never accepted, so these calls change nothing and return the ids now in force.
  const fsgid = c.setfsgid(-1 >>> 0) >>> 0;
  const fsuid = c.setfsuid(-1 >>> 0) >>> 0;
  if (fsuid !== creds.uid || fsgid !== creds.gid) {
    throw new StorageError('permission_denied',
      `cannot run file work as ${creds.uid}:${creds.gid} (the thread holds ${fsuid}:${fsgid}): Barge lacks CAP_SETUID/CAP_SETGID`);
  }
}

/** The calling thread's file-system ids (for tests and diagnostics). */
export function currentFsCredentials(): FsCredentials {
  const c = calls();
  return { uid: c.setfsuid(-1 >>> 0) >>> 0, gid: c.setfsgid(-1 >>> 0) >>> 0 };
}
