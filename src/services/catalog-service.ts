/**
 * `GET /files`: the scan catalog searched with the list conventions, answered in Nodeum's
 * `nodeum_file_with_path` shape plus what Barge knows of each file (storage, task, execution,
 * checksum, where a backup keeps its bytes). A non-admin searches only the storages they may read;
 * naming a storage they may not read (or one that does not exist) is a 404, as its show is.
 * The statistics read the catalog through the same filters (`filters`).
 */
import { fileNameParts, nodeumPermission, normalizeExtension } from '../domain/catalog.js';
import { ModelError, ValidationErrors, invalid } from '../domain/errors.js';
import { parseBool, parseListQuery, type FilterTerm, type ListQuery, type ListSpec } from '../domain/list-query.js';
import type { CatalogRepository, CatalogScope } from '../store/catalog-repository.js';
import type { CatalogEntryTable } from '../store/schema.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { Principal } from './principal.js';

/** Filters of `GET /files` and of the file statistics. */
export const CATALOG_SPEC: ListSpec = {
  filters: {
    path: 'string', name: 'string', extension: 'string', size: 'number', modification_date: 'date', recorded_at: 'date',
    storage_id: 'string', task_id: 'string', execution_id: 'string', uid: 'number', gid: 'number', checksum: 'string',
  },
  sortable: ['path', 'name', 'extension', 'size', 'modification_date', 'recorded_at', 'storage_id', 'uid', 'gid'],
};

/** One catalog row as `GET /files` shows it. */
export interface CatalogFileView {
  name: string;
  type: 'file';
  permission: number | null;
  size: number;
  modification_date: string;
  uid: number | null;
  gid: number | null;
  file_path: string;
  extension: string | null;
  mode: number | null;
  storage_id: string;
  task_id: string;
  execution_id: string;
  checksum: string | null;
  checksum_algorithm: string | null;
  recorded_at: string;
  stored_storage_id: string | null;
  stored_path: string | null;
  /** cache_cleaning deleted the local copy: the bytes are on tape (`stored_storage_id` the tape, `stored_path` the member). */
  evicted: boolean;
}

export function catalogFileView(r: CatalogEntryTable): CatalogFileView {
  const parts = r.name === null ? fileNameParts(r.path) : { name: r.name, extension: r.extension };
  const mode = r.mode === null ? null : Number(r.mode);
  return {
    name: parts.name, type: 'file', permission: nodeumPermission(mode), size: Number(r.size),
    modification_date: new Date(Number(r.mtime_ms)).toISOString(), uid: r.uid === null ? null : Number(r.uid), gid: r.gid === null ? null : Number(r.gid),
    file_path: r.path, extension: parts.extension, mode, storage_id: r.storage_id, task_id: r.task_id, execution_id: r.execution_id,
    checksum: r.checksum, checksum_algorithm: r.algorithm, recorded_at: r.recorded_at, stored_storage_id: r.stored_storage_id, stored_path: r.stored_path,
    evicted: r.kind === 'evicted',
  };
}

/** The validated filters and scope of a catalog request. */
export interface CatalogRequest {
  query: ListQuery;
  scope: CatalogScope;
}

export class CatalogService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly storages: { nas_shares: RegistryRepository<any>; cloud_buckets: RegistryRepository<any> },
  ) {}

  /** One page of catalog files. */
  async search(p: Principal, query: Record<string, unknown>): Promise<{ count: number; files: CatalogFileView[] }> {
    const { query: q, scope } = await this.request(p, query);
    const { count, rows } = await this.catalog.search(q, scope);
    return { count, files: rows.map(catalogFileView) };
  }

  /**
   * Reads the catalog filters and `latest` (default true) of a request, checks a named storage, and
   * gives the scope of the caller. `paging: false` ignores `limit`/`offset`/`sort_by` (statistics
   * have their own `limit` and `sort`).
   */
  async request(p: Principal, query: Record<string, unknown>, paging = true): Promise<CatalogRequest> {
    const source = paging ? query : { ...query, limit: undefined, offset: undefined, sort_by: undefined };
    const errors = new ValidationErrors();
    const latest = query.latest === undefined ? true : parseBool('latest', query.latest, errors);
    errors.throwIfAny();
    const q = parseListQuery(source, CATALOG_SPEC);
    q.filters = q.filters.map((t) => this.normalize(t));
    for (const t of q.filters) {
      if (t.attribute === 'modification_date' && (t.op === '~' || t.op === '!~')) {
        throw invalid('modification_date', { error: 'invalid', value: t.values[0] }, 'Modification date filter takes a date and a comparison (=, !=, >, >=, <, <=, ><, !><), not a pattern');
      }
      if (t.attribute === 'storage_id' && t.op === '=') await this.checkStorage(p, String(t.values[0]));
    }
    return { query: q, scope: { latest, ...(p.isAdmin ? {} : { readerId: p.userId }) } };
  }

  /** Extensions are stored without the dot, in lower case: `.JPG` finds `jpg`. */
  private normalize(t: FilterTerm): FilterTerm {
    if (t.attribute !== 'extension') return t;
    return { ...t, values: t.values.map((v) => (t.op === '~' || t.op === '!~' ? String(v).toLowerCase() : normalizeExtension(String(v)))) };
  }

  /** A storage named by `storage_id=` must exist, and a non-admin must be allowed to read it (404 otherwise). */
  private async checkStorage(p: Principal, id: string): Promise<void> {
    for (const repo of [this.storages.nas_shares, this.storages.cloud_buckets]) {
      if (!(await repo.findById(id))) continue;
      if (p.isAdmin || (await repo.isReadable(id, p.userId))) return;
      break;
    }
    throw new ModelError(404, ['Storage not found'], { storage_id: [{ error: 'not_found', value: id }] });
  }
}
