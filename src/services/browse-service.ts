/**
 * Browsing a storage one folder at a time (`GET /nas_shares/{id}/files`, `/cloud_buckets/{id}/files`):
 * the storage is opened through the engine's resolver (the same drivers, confined to the same root),
 * its folder streamed through a bounded window (domain/browse.ts) and paged. A storage the caller may
 * not read answers 404, as its show does; a path that leaves the storage (`..`, a symlink leading
 * outside) is a 422 on `path`, a missing one a 404 on `path` — never a 500.
 */
import {
  BROWSE_SPEC, BoundedWindow, MAX_BROWSE_SCAN, MAX_BROWSE_WINDOW, browseComparator, matchesFilters, type BrowseEntry,
} from '../domain/browse.js';
import { ModelError, invalid, notFound } from '../domain/errors.js';
import { parseListQuery } from '../domain/list-query.js';
import { normalizeNodePath } from '../domain/storage-path.js';
import type { StorageResolver } from '../engine/storage-resolver.js';
import type { Entry, StorageDriver } from '../storage/driver.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { Principal } from './principal.js';

/** The storages that can be browsed, by registry resource. */
export type BrowsableResource = 'nas_shares' | 'cloud_buckets';

const LABELS: Record<BrowsableResource, string> = { nas_shares: 'NAS share', cloud_buckets: 'Cloud bucket' };
const ENDPOINT_TYPE: Record<BrowsableResource, 'nas' | 'cloud'> = { nas_shares: 'nas', cloud_buckets: 'cloud' };

/** One page of a folder. */
export interface BrowsePage {
  /** Entries of the folder that pass the filters (before paging). */
  count: number;
  /** The folder listed, normalized (`/a/b`). */
  path: string;
  /** The folder had more than the entries one request reads: `count` and the order cover those only. */
  truncated: boolean;
  files: BrowseEntry[];
}

export interface BrowseLimits {
  /** Largest `offset + limit` (default MAX_BROWSE_WINDOW). */
  window: number;
  /** Entries read at most per request (default MAX_BROWSE_SCAN). */
  scan: number;
}

/** The code of a storage driver's error (services see drivers through types only). */
function storageCode(err: unknown): string | undefined {
  return err instanceof Error && err.name === 'StorageError' ? (err as { code?: string }).code : undefined;
}

function entryView(dir: string, e: Entry): BrowseEntry {
  const folder = e.kind === 'dir';
  return {
    name: e.name,
    path: dir === '/' ? `/${e.name}` : `${dir}/${e.name}`,
    type: folder ? 'folder' : 'file',
    size: folder ? null : e.size,
    mtime: Number.isFinite(e.mtimeMs) ? new Date(e.mtimeMs).toISOString() : null,
    mode: e.mode ?? null,
    uid: e.uid ?? null,
    gid: e.gid ?? null,
    link_target: e.linkTarget ?? null,
    storage_class: e.storageClass ?? null,
  };
}

/** Why a path cannot be listed, as the API says it (stable `reason` codes). */
function pathRefusal(code: string | undefined, path: string, err: unknown): ModelError | undefined {
  switch (code) {
    case 'not_found':
      return new ModelError(404, [`Path ${path} not found`], { path: [{ error: 'not_found', value: path }] });
    case 'path_escape':
      return invalid('path', { error: 'invalid', value: path, reason: 'path_escape' }, `Path ${path} leads outside the storage`);
    case 'invalid_path':
      return invalid('path', { error: 'invalid', value: path, reason: 'invalid_path' }, `Path ${path} is not a valid path: ${(err as Error).message}`);
    case 'not_a_directory':
      return invalid('path', { error: 'invalid', value: path, reason: 'not_a_directory' }, `Path ${path} is not a folder`);
    case 'permission_denied':
      return invalid('path', { error: 'invalid', value: path, reason: 'permission_denied' }, `Path ${path} cannot be read by Barge (permission denied)`);
    default:
      return undefined;
  }
}

export class BrowseService {
  private readonly limits: BrowseLimits;

  constructor(
    private readonly storages: Record<BrowsableResource, RegistryRepository<any>>,
    private readonly resolver: StorageResolver,
    limits: Partial<BrowseLimits> = {},
  ) {
    this.limits = { window: MAX_BROWSE_WINDOW, scan: MAX_BROWSE_SCAN, ...limits };
  }

  /** One page of the folder `query.path` (default `/`) of a share or bucket the caller may read. */
  async list(p: Principal, resource: BrowsableResource, id: string, query: Record<string, unknown>, signal?: AbortSignal): Promise<BrowsePage> {
    const label = LABELS[resource];
    const repo = this.storages[resource];
    const row = (await repo.findById(id)) as { id: string; name: string } | undefined;
    if (!row || (!p.isAdmin && !(await repo.isReadable(id, p.userId)))) throw notFound(label);

    const raw = query.path === undefined || query.path === '' ? '/' : String(query.path);
    const norm = normalizeNodePath(raw);
    if ('problem' in norm) {
      const reason = norm.problem === 'escape' ? 'path_escape' : 'invalid_path';
      throw invalid('path', { error: 'invalid', value: raw, reason }, norm.problem === 'escape' ? `Path ${raw} leads outside the storage` : `Path ${raw} is not a valid path`);
    }
    const dir = norm.path;
    const q = parseListQuery(query, BROWSE_SPEC);
    if (q.offset + q.limit > this.limits.window) {
      const count = Math.max(0, this.limits.window - q.limit);
      throw invalid('offset', { error: 'less_than_or_equal_to', count, value: q.offset }, `Offset must be less than or equal to ${count}: a folder is paged over its first ${this.limits.window} entries in the order asked (narrow it with a name filter)`);
    }

    let driver: StorageDriver;
    try {
      driver = (await this.resolver.resolve({ id: '', type: ENDPOINT_TYPE[resource], storage_id: id, node_paths: [] })).driver;
    } catch (err) {
      const code = storageCode(err);
      if (code === undefined) throw err;
      throw new ModelError(422, [`${label} ${row.name} cannot be opened: ${(err as Error).message}`], { base: [{ error: 'unavailable', reason: code }] });
    }

    const window = new BoundedWindow<BrowseEntry>(q.offset + q.limit, browseComparator(q.sort));
    let count = 0;
    let seen = 0;
    let truncated = false;
    try {
      for await (const e of driver.list(dir, { signal })) {
        if (seen >= this.limits.scan) {
          truncated = true;
          break;
        }
        seen += 1;
        const v = entryView(dir, e);
        if (!matchesFilters(v, q.filters)) continue;
        count += 1;
        window.offer(v);
      }
    } catch (err) {
      const code = storageCode(err);
      const refusal = pathRefusal(code, raw, err);
      if (refusal) throw refusal;
      if (code === undefined || code === 'aborted') throw err;
      throw new ModelError(422, [`${label} ${row.name} could not be listed: ${(err as Error).message}`], { base: [{ error: 'unavailable', reason: code }] });
    }
    return { count, path: dir, truncated, files: window.sorted().slice(q.offset, q.offset + q.limit) };
  }
}
