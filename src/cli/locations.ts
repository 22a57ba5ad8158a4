/**
 * `STORAGE:PATH` arguments (`src:/photos`, `archive-bucket:2024/`) → task endpoints. STORAGE is the
 * name of a NAS share or a cloud bucket, looked up through the API (`GET /nas_shares?name=…`,
 * `GET /cloud_buckets?name=…`); an id works too, which is how to pick one of several storages that
 * share a name. Unknown and ambiguous names are refused with what to do instead.
 */
import type { ApiClient } from './http.js';
import { ApiError, CliError, UsageError } from './errors.js';

/** A parsed `STORAGE:PATH`. */
export interface Location {
  storage: string;
  path: string;
}

/** A storage found by name or id. */
export interface ResolvedStorage {
  type: 'nas' | 'cloud';
  id: string;
  name: string;
}

/** A task endpoint as the API takes it. */
export interface Endpoint {
  type: 'nas' | 'cloud';
  storage_id: string;
  node_paths: string[];
}

/** Splits at the first `:`; an empty path is the storage root. */
export function parseLocation(raw: string): Location {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new UsageError(`"${raw}" is not STORAGE:PATH (e.g. src:/ or backups:/2024)`);
  const path = raw.slice(colon + 1);
  return { storage: raw.slice(0, colon), path: path === '' ? '/' : path };
}

interface Named {
  id: string;
  name: string;
  [attr: string]: unknown;
}

/** The kinds of storage a command can name, by the API collection that holds them. */
export type StorageKind = 'nas' | 'cloud' | 'pool';

/** Where each kind lives in the API and how messages name it. */
export const STORAGE_KINDS: Record<StorageKind, { path: string; key: string; label: string; list: string }> = {
  nas: { path: '/nas_shares', key: 'nas_shares', label: 'NAS share', list: 'barge storage shares list' },
  cloud: { path: '/cloud_buckets', key: 'cloud_buckets', label: 'cloud bucket', list: 'barge storage buckets list' },
  pool: { path: '/pools', key: 'pools', label: 'pool', list: 'barge storage pools list' },
};

/** A storage found by `findStorage`: its kind, id, name and the API's view of it (as the caller may see it). */
export interface FoundStorage {
  kind: StorageKind;
  id: string;
  name: string;
  view: Record<string, unknown>;
}

/**
 * Finds one storage among `kinds` by exact name, else by id. Shared by copy/move (shares and buckets)
 * and the privilege commands (which also name pools), so that both refuse unknown and ambiguous
 * names with the same words.
 */
export async function findStorage(client: ApiClient, kinds: StorageKind[], name: string): Promise<FoundStorage> {
  // `=` first: a name that starts with an operator character is still compared as a plain value.
  const lists = await Promise.all(
    kinds.map(async (kind) => {
      const k = STORAGE_KINDS[kind];
      const body = await client.get<Record<string, Named[]>>(k.path, { name: `=${name}`, limit: 10 });
      return (body[k.key] ?? []).map((s) => ({ kind, id: s.id, name: s.name, view: s }));
    }),
  );
  const found: FoundStorage[] = lists.flat();
  if (found.length === 1) return found[0] as FoundStorage;
  if (found.length > 1) {
    const list = found.map((f) => `${STORAGE_KINDS[f.kind].label} ${f.id}`).join(', ');
    throw new CliError(`storage name "${name}" is ambiguous (${list}); use the id instead of the name`);
  }
  for (const kind of kinds) {
    const byId = await storageById(client, kind, name);
    if (byId) return byId;
  }
  const labels = kinds.map((k) => STORAGE_KINDS[k].label).join(' or ');
  const see = kinds.map((k) => STORAGE_KINDS[k].list).join(', ');
  throw new CliError(`unknown storage "${name}": no ${labels} has this name or id (see ${see})`);
}

async function storageById(client: ApiClient, kind: StorageKind, id: string): Promise<FoundStorage | undefined> {
  try {
    const s = await client.get<Named>(`${STORAGE_KINDS[kind].path}/${encodeURIComponent(id)}`);
    return { kind, id: s.id, name: s.name, view: s };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return undefined;
    throw err;
  }
}

/** Resolves storage names through the API, once per name per run. */
export class StorageResolver {
  private readonly cache = new Map<string, Promise<ResolvedStorage>>();

  constructor(private readonly client: ApiClient) {}

  resolve(nameOrId: string): Promise<ResolvedStorage> {
    let p = this.cache.get(nameOrId);
    if (!p) {
      p = findStorage(this.client, ['nas', 'cloud'], nameOrId).then((s) => ({ type: s.kind === 'nas' ? ('nas' as const) : ('cloud' as const), id: s.id, name: s.name }));
      this.cache.set(nameOrId, p);
    }
    return p;
  }
}

/** Locations → endpoints, one per storage (in first-seen order) with its paths. */
export async function toEndpoints(resolver: StorageResolver, raws: string[]): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const raw of raws) {
    const loc = parseLocation(raw);
    const s = await resolver.resolve(loc.storage);
    const existing = out.find((e) => e.storage_id === s.id);
    if (existing) existing.node_paths.push(loc.path);
    else out.push({ type: s.type, storage_id: s.id, node_paths: [loc.path] });
  }
  return out;
}
