/**
 * Turns a task's `options.context_uid` / `context_gid` (Nodeum sends strings) into numeric ids on the
 * host that does the file work.
 *
 * Rules (docs/api-coverage.md):
 * - a decimal string is an id as is ("1000"); anything else is a name looked up in the host's
 *   /etc/passwd (users) or /etc/group (groups) — an unknown name is an error, never a fallback;
 * - `context_gid` absent: the user's primary group from /etc/passwd (the user given by name or by id);
 *   a numeric user without a passwd entry then needs an explicit `context_gid`;
 * - `context_gid` without `context_uid` is an error (the work would still run as root, which ignores
 *   group permissions).
 * Why read the files rather than getpwnam: no NSS modules are involved (LDAP users would need them —
 * give those by number), and the lookup is the same in every thread and in tests (paths injectable).
 */
import { readFileSync } from 'node:fs';
import { isValidId, type FsCredentials } from './fs-credentials.js';

/** The two options as a task carries them (absent or empty: not given). */
export interface ContextOptions {
  readonly contextUid?: unknown;
  readonly contextGid?: unknown;
}

/** Where the account databases are read from (tests give their own). */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
}

const HOST_FILES: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/** Why a context cannot be resolved; `field` names the option at fault. */
export class ContextIdentityError extends Error {
  override readonly name = 'ContextIdentityError';
  constructor(readonly field: 'context_uid' | 'context_gid', message: string) {
    super(message);
  }
}

/** True when a task asks for a context (either option given and not blank). */
export function hasContext(options: ContextOptions): boolean {
  return given(options.contextUid) !== undefined || given(options.contextGid) !== undefined;
}

function given(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

function rows(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

function numeric(text: string, field: 'context_uid' | 'context_gid'): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  if (!isValidId(id)) throw new ContextIdentityError(field, `${field} ${text} is not a valid id`);
  return id;
}

/**
 * The ids to run as, or null when the task has no context. Throws {@link ContextIdentityError} with a
 * sentence for the execution's error (see the file header for the rules).
 */
export function resolveContextIdentity(options: ContextOptions, files: AccountFiles = HOST_FILES): FsCredentials | null {
  const user = given(options.contextUid);
  const group = given(options.contextGid);
  if (user === undefined && group === undefined) return null;
  if (user === undefined) throw new ContextIdentityError('context_gid', 'context_gid needs context_uid (alone, the work would still run as root)');
  const passwd = rows(files.passwd);
  const byId = numeric(user, 'context_uid');
  const entry = byId === undefined ? passwd.find((r) => r[0] === user) : passwd.find((r) => Number(r[2]) === byId && r[2] !== '');
  if (byId === undefined && entry === undefined) {
    throw new ContextIdentityError('context_uid', `context_uid: no user named "${user}" on this host (${files.passwd})`);
  }
  const uid = byId ?? Number(entry![2]);
  let gid: number | undefined;
  if (group === undefined) {
    if (entry === undefined || entry[3] === undefined || !/^\d+$/.test(entry[3])) {
      throw new ContextIdentityError('context_gid', `context_gid: user ${user} has no entry in ${files.passwd}, so its group must be given`);
    }
    gid = Number(entry[3]);
  } else {
    gid = numeric(group, 'context_gid') ?? rows(files.group).map((r) => (r[0] === group && /^\d+$/.test(r[2] ?? '') ? Number(r[2]) : undefined)).find((g) => g !== undefined);
    if (gid === undefined) throw new ContextIdentityError('context_gid', `context_gid: no group named "${group}" on this host (${files.group})`);
  }
  if (!isValidId(uid)) throw new ContextIdentityError('context_uid', `context_uid ${user} is not a valid id`);
  return { uid, gid };
}
