/**
 * Storage privileges as the console names them: the three rights in words and colours, and where
 * each kind of storage lives in the API (`/nas_shares/{id}`…) and in the console
 * (`/storages/nas/shares/{id}`…). Pure data, unit tested.
 */
import type { Tone } from '../components/ui';
import type { Right } from './types';

/** Weakest first, as the API lists them. */
export const RIGHTS: readonly Right[] = ['none', 'read', 'read_write'];

const LABEL: Record<Right, string> = { none: 'No access', read: 'Read', read_write: 'Read & write' };
const TONE: Record<Right, Tone> = { none: 'gray', read: 'blue', read_write: 'green' };

export function isRight(x: unknown): x is Right {
  return typeof x === 'string' && (RIGHTS as readonly string[]).includes(x);
}

export function rightLabel(r: string | null | undefined): string {
  return isRight(r) ? LABEL[r] : r ? r : '—';
}

export function rightTone(r: string | null | undefined): Tone {
  return isRight(r) ? TONE[r] : 'gray';
}

/** The rights as select choices. */
export const RIGHT_CHOICES = RIGHTS.map((value) => ({ value, label: LABEL[value] }));

/** The storages that carry privileges, by their API collection. */
export type GuardedKind = 'nas_shares' | 'cloud_buckets' | 'pools';

interface KindInfo {
  /** "share", "bucket", "pool": for sentences. */
  noun: string;
  /** The console page that lists them (breadcrumb). */
  list: { to: string; label: string };
  /** The console route of one storage, without its id. */
  route: string;
}

export const KINDS: Record<GuardedKind, KindInfo> = {
  nas_shares: { noun: 'share', list: { to: '/storages/nas', label: 'NAS & shares' }, route: '/storages/nas/shares' },
  cloud_buckets: { noun: 'bucket', list: { to: '/storages/cloud', label: 'Cloud' }, route: '/storages/cloud/buckets' },
  pools: { noun: 'pool', list: { to: '/storages/pools', label: 'Pools' }, route: '/storages/pools' },
};

/** The API path of one storage (`/nas_shares/abc`); its privileges are under `${path}/privileges`. */
export function storageApiPath(kind: GuardedKind, id: string): string {
  return `/${kind}/${encodeURIComponent(id)}`;
}

/** The console route of one storage's page. */
export function storageRoute(kind: GuardedKind, id: string): string {
  return `${KINDS[kind].route}/${encodeURIComponent(id)}`;
}

/** Sentence for a right given to everyone ("Every signed-in user may read"). */
export function guestSentence(r: Right | undefined): string {
  if (r === 'read_write') return 'Every signed-in user may read and write it.';
  if (r === 'read') return 'Every signed-in user may read it.';
  return 'Only the users and groups listed below (and administrators) may use it.';
}
