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
  nas_id?: string;
  cloud_connector_id?: string;
}

/** Resolves storage names through the API, once per name per run. */
export class StorageResolver {
  private readonly cache = new Map<string, Promise<ResolvedStorage>>();

  constructor(private readonly client: ApiClient) {}

  resolve(nameOrId: string): Promise<ResolvedStorage> {
    let p = this.cache.get(nameOrId);
    if (!p) {
      p = this.lookup(nameOrId);
      this.cache.set(nameOrId, p);
    }
    return p;
  }

  private async lookup(name: string): Promise<ResolvedStorage> {
    // `=` first: a name that starts with an operator character is still compared as a plain value.
    const [shares, buckets] = await Promise.all([
      this.client.get<{ nas_shares: Named[] }>('/nas_shares', { name: `=${name}`, limit: 10 }),
      this.client.get<{ cloud_buckets: Named[] }>('/cloud_buckets', { name: `=${name}`, limit: 10 }),
    ]);
    const found: ResolvedStorage[] = [
      ...shares.nas_shares.map((s) => ({ type: 'nas' as const, id: s.id, name: s.name })),
      ...buckets.cloud_buckets.map((b) => ({ type: 'cloud' as const, id: b.id, name: b.name })),
    ];
    if (found.length === 1) return found[0] as ResolvedStorage;
    if (found.length > 1) {
      const list = found.map((f) => `${f.type === 'nas' ? 'NAS share' : 'cloud bucket'} ${f.id}`).join(', ');
      throw new CliError(`storage name "${name}" is ambiguous (${list}); use the id instead of the name`);
    }
    const byId = (await this.byId('nas', `/nas_shares/${encodeURIComponent(name)}`)) ?? (await this.byId('cloud', `/cloud_buckets/${encodeURIComponent(name)}`));
    if (byId) return byId;
    throw new CliError(`unknown storage "${name}": no NAS share or cloud bucket has this name or id (see barge storage shares list, barge storage buckets list)`);
  }

  private async byId(type: 'nas' | 'cloud', path: string): Promise<ResolvedStorage | undefined> {
    try {
      const s = await this.client.get<Named>(path);
      return { type, id: s.id, name: s.name };
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return undefined;
      throw err;
    }
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
