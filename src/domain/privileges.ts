/**
 * Who may read and write which storage (Nodeum's container privileges): the rights, how a user's
 * right on a storage is decided, and which right each action needs on each endpoint. Pure rules: the
 * services load the grants and the engine re-checks them while a run goes on.
 */

/** Nodeum's `privilege` / `guest_right` values, weakest first. */
export const RIGHTS = ['none', 'read', 'read_write'] as const;
export type Right = (typeof RIGHTS)[number];

/** Whom a privilege names (Nodeum's `type`). */
export const GRANTEE_TYPES = ['user', 'group'] as const;
export type GranteeType = (typeof GRANTEE_TYPES)[number];

/** The storages that carry privileges, by their registry resource. */
export const GUARDED_RESOURCES = ['nas_shares', 'cloud_buckets', 'pools'] as const;
export type GuardedResource = (typeof GUARDED_RESOURCES)[number];

export function isRight(x: unknown): x is Right {
  return typeof x === 'string' && (RIGHTS as readonly string[]).includes(x);
}

/** Whether `have` includes `need` (read_write includes read). */
export function grants(have: Right, need: Right): boolean {
  return RIGHTS.indexOf(have) >= RIGHTS.indexOf(need);
}

/** What is known of one storage for one user: its guest right and the entries that name the user. */
export interface Grants {
  guest: Right;
  /** The privilege naming the user, if any. */
  user?: Right;
  /** The privileges naming groups the user belongs to. */
  groups: Right[];
}

/**
 * A user's right on a storage: the most specific entry wins — the user's own privilege; else the
 * best of their groups' privileges; else the storage's guest right. Why not simply the highest of all:
 * a `none` for one user (or one group) must be able to shut them out of a storage every other
 * authenticated user may read. Admins are not judged here: they have every right.
 */
export function effectiveRight(g: Grants): Right {
  if (g.user !== undefined) return g.user;
  if (g.groups.length > 0) return g.groups.reduce<Right>((best, r) => (grants(r, best) ? r : best), 'none');
  return g.guest;
}

/** The right an action needs on one endpoint of a task. */
export function requiredRight(action: string, role: 'source' | 'destination', writesSources: boolean): Right {
  if (role === 'destination') return READ_ONLY_ACTIONS.has(action) ? 'read' : 'read_write';
  return writesSources ? 'read_write' : 'read';
}

/** Actions that only read every endpoint (check_consistency compares sources with destinations). */
const READ_ONLY_ACTIONS: ReadonlySet<string> = new Set(['scan', 'check_consistency']);

/** Actions that change their sources: move removes them, erase deletes them, cache_cleaning evicts them, rehydratation writes them back. */
const SOURCE_WRITING_ACTIONS: ReadonlySet<string> = new Set(['move', 'erase', 'cache_cleaning', 'rehydratation']);

/**
 * Whether an action writes its sources. A speedtest writes (and removes) its test files on its
 * destinations, or on its sources when it has none.
 */
export function writesSources(action: string, destinationCount: number): boolean {
  return SOURCE_WRITING_ACTIONS.has(action) || (action === 'speedtest' && destinationCount === 0);
}

/** An endpoint's storage as the rules see it: which resource, which id. */
export interface GuardedStorage {
  resource: GuardedResource;
  id: string;
}

/** One missing right, with what a message needs to name it. */
export interface MissingRight {
  /** The attribute of the task input (`sources[0].storage_id`), for a 422 at create/update. */
  attribute: string;
  storage: GuardedStorage;
  /** The storage's name, or its id when it no longer exists. */
  name: string;
  need: Right;
  have: Right;
}

const LABELS: Record<GuardedResource, string> = { nas_shares: 'NAS share', cloud_buckets: 'cloud bucket', pools: 'pool' };

/** "NAS share hr-secret: read_write needed, the owner has read". */
export function describeMissing(m: MissingRight, who = 'the task owner'): string {
  return `${LABELS[m.storage.resource]} ${m.name}: ${m.need} needed, ${who} has ${m.have === 'none' ? 'no right' : m.have}`;
}
