/**
 * `GET /statistics/*`: Nodeum's facets (counts and size sums per bucket) over the scan catalog, the
 * storage registry and the executions. The shapes are Nodeum's (`file_facet`, `by_date_facet`,
 * `by_size_facet`, `by_file_extension_facet`, `by_user_owner_facet`, `storage_facet`,
 * `by_task_status_facet`, `by_task_workflow_facet`); Nodeum's Solr parameters (`q`, `fq`) have no
 * meaning here and are refused — the catalog filters of `GET /files` take their place, so a chart
 * and a search over the same filters count the same files. Scopes: a non-admin counts the catalog of
 * the storages they may read, the storages they may read, and their own executions.
 */
import { AGE_BUCKETS, SIZE_BUCKETS, type Bucket } from '../domain/catalog.js';
import { ValidationErrors } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { Clock } from '../lib/clock.js';
import type { AggregateRow, CatalogRepository, Dimension } from '../store/catalog-repository.js';
import type { ExecutionDimension, ExecutionSums, StatisticsRepository, StorageGroup } from '../store/statistics-repository.js';
import type { CatalogRequest, CatalogService } from './catalog-service.js';
import type { Principal } from './principal.js';

type Json = Record<string, unknown>;

/** Nodeum's `file_facet` (Barge has no cost model: `cost` is left out). */
export interface FileFacet {
  count: number;
  files_count: number;
  file_size_sum: number;
}

/** Filters of the task statistics. */
export const TASK_STAT_SPEC: ListSpec = {
  filters: { task_id: 'string', status: 'string', workflow_type: 'string', workflow_action: 'string', created_at: 'date', started_at: 'date', finished_at: 'date' },
  sortable: [],
};

export const FACET_SORTS = ['count', 'files_count', 'file_size_sum'] as const;
export const DEFAULT_FACET_LIMIT = 10;
export const MAX_FACET_LIMIT = 1000;

function fileFacet(files: number, bytes: number): FileFacet {
  return { count: files, files_count: files, file_size_sum: bytes };
}

const upperBounds = (buckets: readonly Bucket[]): number[] => buckets.filter((b) => b.below !== null).map((b) => b.below as number);

/** Nodeum's `task_facet` of a group of executions. */
function taskFacet(s: ExecutionSums | undefined): Json {
  return {
    count: s?.executions ?? 0,
    to_process_size_sum: s?.sizeTodo ?? 0,
    processed_size_sum: s?.sizeDone ?? 0,
    to_process_files_sum: s?.nodesTodo ?? 0,
    processed_files_sum: s?.nodesDone ?? 0,
    finalized_files_sum: s?.finalized ?? 0,
    bandwidth_avg: s && s.bandwidthCount > 0 ? Math.round(s.bandwidthSum / s.bandwidthCount) : 0,
    bandwidth_count: s?.bandwidthCount ?? 0,
    tasks_count: s?.tasks ?? 0,
  };
}

/** `{buckets: [{val, count}]}` of storages grouped by one attribute (groups without it are left out, as Solr does). */
function typeBuckets(groups: StorageGroup[], pick: 'a' | 'b'): Json {
  const counts = new Map<string, number>();
  for (const g of groups) {
    const v = g[pick];
    if (v !== null) counts.set(v, (counts.get(v) ?? 0) + g.count);
  }
  return { buckets: [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([val, count]) => ({ val, count })) };
}

const total = (groups: StorageGroup[]): number => groups.reduce((n, g) => n + g.count, 0);

export class StatisticsService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly entries: CatalogRepository,
    private readonly stats: StatisticsRepository,
    private readonly clock: Clock,
  ) {}

  /** Files by age of their modification date. */
  async byDate(p: Principal, query: Json): Promise<Json> {
    const r = await this.fileRequest(p, query);
    const [totals, ages] = await Promise.all([this.entries.totals(r.query.filters, r.scope), this.entries.aggregate(r.query.filters, r.scope, [this.ageDimension()])]);
    return { ...fileFacet(totals.files, totals.bytes), ...this.ageFacets(ages, 0) };
  }

  /** Files by size, each size bucket by age. */
  async bySize(p: Principal, query: Json): Promise<Json> {
    const r = await this.fileRequest(p, query);
    const [totals, rows] = await Promise.all([
      this.entries.totals(r.query.filters, r.scope),
      this.entries.aggregate(r.query.filters, r.scope, [{ buckets: 'size', bounds: upperBounds(SIZE_BUCKETS) }, this.ageDimension()]),
    ]);
    const out: Json = { ...fileFacet(totals.files, totals.bytes) };
    SIZE_BUCKETS.forEach((b, i) => {
      const mine = rows.filter((row) => row.keys[0] === i).map((row) => ({ ...row, keys: row.keys.slice(1) }));
      out[b.key] = this.byDateFacet(mine);
    });
    return out;
  }

  /** The `limit` most common extensions (by `sort`), each by age; `val` null gathers files without one. */
  async byFileExtension(p: Principal, query: Json): Promise<Json> {
    return this.topValues(p, query, 'extension', 'file_extension_s');
  }

  /** The `limit` largest owners (uid), each by age; `val` null gathers files with no recorded owner. */
  async byUserOwner(p: Principal, query: Json): Promise<Json> {
    return this.topValues(p, query, 'uid', 'user_owner_id_l');
  }

  /**
   * Storages the caller may read, by kind and type (Nodeum's `storage_facet`: `count` is shares plus
   * buckets; `pool` counts pools), and Barge's `by_storage`: what the catalog holds per storage.
   */
  async storage(p: Principal, query: Json): Promise<Json> {
    const r = await this.fileRequest(p, query, false);
    const reader = p.isAdmin ? undefined : p.userId;
    const [shares, buckets, pools, perStorage] = await Promise.all([
      this.stats.shares(reader), this.stats.buckets(reader), this.stats.pools(reader),
      this.entries.aggregate(r.query.filters, r.scope, [{ column: 'storage_id' }], { top: { by: 'bytes', limit: MAX_FACET_LIMIT } }),
    ]);
    const names = await this.stats.storageNames(perStorage.map((row) => String(row.keys[0])));
    return {
      count: total(shares) + total(buckets),
      nas_share: { count: total(shares), nas_type_i: typeBuckets(shares, 'a'), pool_type_i: typeBuckets(shares, 'b') },
      cloud_bucket: { count: total(buckets), cloud_connector_type_i: typeBuckets(buckets, 'a'), pool_type_i: typeBuckets(buckets, 'b') },
      pool: { count: total(pools), pool_type_i: typeBuckets(pools, 'a'), pool_content_i: typeBuckets(pools, 'b') },
      by_storage: {
        buckets: perStorage.map((row) => {
          const id = String(row.keys[0]);
          const known = names.get(id);
          return { val: id, name: known?.name ?? null, type: known?.type ?? null, ...fileFacet(row.files, row.bytes) };
        }),
      },
    };
  }

  /** Executions by status (the caller's own; every user's for an admin). */
  async taskByStatus(p: Principal, query: Json): Promise<Json> {
    const { filters, owner } = this.taskRequest(p, query);
    const [totals, byStatus] = await Promise.all([this.stats.executions(filters, owner, []), this.stats.executions(filters, owner, ['status'])]);
    return { ...taskFacet(totals[0]), status: { buckets: byStatus.map((s) => ({ val: s.keys[0], ...taskFacet(s) })) } };
  }

  /** Executions by workflow type, each by workflow action. */
  async taskByWorkflow(p: Principal, query: Json): Promise<Json> {
    const { filters, owner } = this.taskRequest(p, query);
    const dims: ExecutionDimension[][] = [[], ['workflow_type'], ['workflow_type', 'workflow_action']];
    const [totals, types, actions] = await Promise.all(dims.map((d) => this.stats.executions(filters, owner, d)));
    return {
      ...taskFacet(totals?.[0]),
      type: {
        buckets: (types ?? []).map((t) => ({
          val: t.keys[0], ...taskFacet(t),
          action: { buckets: (actions ?? []).filter((a) => a.keys[0] === t.keys[0]).map((a) => ({ val: a.keys[1], ...taskFacet(a) })) },
        })),
      },
    };
  }

  private ageDimension(): Dimension {
    return { buckets: 'age', now: this.clock.now().getTime(), bounds: upperBounds(AGE_BUCKETS) };
  }

  /** `less_1_week`… of rows whose first key is the age bucket index. */
  private ageFacets(rows: AggregateRow[], keyIndex: number): Json {
    const out: Json = {};
    AGE_BUCKETS.forEach((b, i) => {
      const row = rows.find((r) => r.keys[keyIndex] === i);
      out[b.key] = fileFacet(row?.files ?? 0, row?.bytes ?? 0);
    });
    return out;
  }

  /** Nodeum's `by_date_facet` of rows keyed by age bucket: the sums, and each age. */
  private byDateFacet(rows: AggregateRow[]): Json {
    const files = rows.reduce((n, r) => n + r.files, 0);
    const bytes = rows.reduce((n, r) => n + r.bytes, 0);
    return { ...fileFacet(files, bytes), ...this.ageFacets(rows, 0) };
  }

  private async topValues(p: Principal, query: Json, column: 'extension' | 'uid', key: string): Promise<Json> {
    const r = await this.fileRequest(p, query);
    const { sort, limit } = this.facetPaging(query);
    const by = sort === 'file_size_sum' ? 'bytes' : 'files';
    const [totals, top] = await Promise.all([
      this.entries.totals(r.query.filters, r.scope),
      this.entries.aggregate(r.query.filters, r.scope, [{ column }], { top: { by, limit } }),
    ]);
    const vals = top.map((t) => t.keys[0] as string | number | null);
    const ages = await this.entries.aggregate(r.query.filters, r.scope, [{ column }, this.ageDimension()], { only: vals });
    return {
      ...fileFacet(totals.files, totals.bytes),
      [key]: {
        buckets: vals.map((val) => ({
          val,
          ...this.byDateFacet(ages.filter((a) => a.keys[0] === val).map((a) => ({ ...a, keys: a.keys.slice(1) }))),
        })),
      },
    };
  }

  /** The catalog request of a file facet, after refusing Nodeum's Solr parameters. */
  private async fileRequest(p: Principal, query: Json, checkDate = true): Promise<CatalogRequest> {
    this.refuseSolr(query);
    if (checkDate && query.date_attr !== undefined && query.date_attr !== 'file_modification_dt') {
      const errors = new ValidationErrors();
      errors.add('date_attr', { error: 'inclusion', value: query.date_attr }, 'Date attr must be file_modification_dt (Barge records modification dates only)');
      errors.throwIfAny();
    }
    return this.catalog.request(p, query, false);
  }

  private taskRequest(p: Principal, query: Json): { filters: ReturnType<typeof parseListQuery>['filters']; owner: string | undefined } {
    this.refuseSolr(query);
    const q = parseListQuery({ ...query, limit: undefined, offset: undefined, sort_by: undefined }, TASK_STAT_SPEC);
    return { filters: q.filters, owner: p.isAdmin ? undefined : p.userId };
  }

  private refuseSolr(query: Json): void {
    const errors = new ValidationErrors();
    for (const k of ['q', 'fq']) {
      if (query[k] !== undefined) errors.add(k, { error: 'invalid', value: query[k] }, `${k.toUpperCase()} is a Solr query, which Barge does not run: use the filters (path, name, extension, size, modification_date, storage_id, task_id, execution_id…)`);
    }
    errors.throwIfAny();
  }

  private facetPaging(query: Json): { sort: (typeof FACET_SORTS)[number]; limit: number } {
    const errors = new ValidationErrors();
    const sort = query.sort === undefined ? 'count' : String(query.sort);
    if (!(FACET_SORTS as readonly string[]).includes(sort)) errors.add('sort', { error: 'inclusion', value: sort }, `Sort is not included in the list (${FACET_SORTS.join(', ')})`);
    const limit = query.limit === undefined ? DEFAULT_FACET_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FACET_LIMIT) {
      errors.add('limit', { error: 'inclusion', value: query.limit }, `Limit must be an integer from 1 to ${MAX_FACET_LIMIT}`);
    }
    errors.throwIfAny();
    return { sort: sort as (typeof FACET_SORTS)[number], limit };
  }
}
