/**
 * Paths of what is stored (issue #13): browsing a share or a bucket one folder at a time, searching
 * the scan catalog (`GET /files`, Nodeum's `index_files`) and Nodeum's statistics facets. API-key
 * scopes follow Nodeum's: `files / index`, `statistics / <facet>`; browsing is `nas_shares / files`
 * and `cloud_buckets / files`.
 */
import { ERRORS, filterParams, jsonResponse, op, pathParam, ref } from './helpers.js';

type Json = Record<string, unknown>;

const paging: Json[] = ['limit', 'offset', 'sort_by'].map((p) => ({ $ref: `#/components/parameters/${p}` }));

const browseParams: Json[] = [
  { name: 'path', in: 'query', description: 'The folder to list, from the storage root (`/`, the default; `/a/b`; a bucket prefix `photos/2024/`). `..` may not leave the root.', schema: { type: 'string', maxLength: 4096 } },
  ...paging,
  ...filterParams(['name', 'type', 'size', 'mtime']),
];

function browse(operationId: string, param: string, controller: string, label: string): Json {
  return {
    get: op({
      operationId, summary: `Lists one folder of a ${label}.`, tags: ['files'], scope: [controller, 'files'],
      description: 'One level, paged (`limit`, `offset`; `count` is every entry of the folder that passes the filters) and sorted (`sort_by` on `name`, `type`, `size`, `mtime`; default `type|name`: folders first, then by name, by code point). Each request reads the folder once, keeping only the best `offset + limit` entries: `offset + limit` may not exceed 100000, and a folder of more than 1000000 entries is cut there (`truncated: true`). A storage the caller may not read is a 404; a path that does not exist is a 404 on `path`; a path leading outside the storage (`..`, a symlink) or to a file is a 422 on `path` (`reason`: `path_escape`, `invalid_path`, `not_a_directory`, `permission_denied`).',
      parameters: [pathParam(param), ...browseParams],
      responses: { '200': jsonResponse('One page of the folder.', ref('browse_page')), ...ERRORS },
    }),
  };
}

const CATALOG_FILTERS = ['path', 'name', 'extension', 'size', 'modification_date', 'recorded_at', 'storage_id', 'task_id', 'execution_id', 'uid', 'gid', 'checksum'];

const latestParam: Json = {
  name: 'latest', in: 'query', schema: { type: 'boolean' },
  description: 'Only the latest row of each storage and path (default true): what each storage held at its last scan or backup, among the executions of the `task_id`/`execution_id` filters when given. `false`: every recorded row.',
};

const solrParams: Json[] = [
  { name: 'q', in: 'query', description: 'Nodeum\'s Solr query: refused (422), use the filters.', schema: { type: 'string' } },
  { name: 'fq', in: 'query', description: 'Nodeum\'s Solr filter query: refused (422), use the filters.', schema: { type: 'string' } },
];

const dateAttr: Json = { name: 'date_attr', in: 'query', description: 'The date the age buckets use: the modification date (the only one Barge records).', schema: { type: 'string', enum: ['file_modification_dt'] } };
const facetSort: Json = { name: 'sort', in: 'query', description: 'Order of the buckets (largest first).', schema: { type: 'string', enum: ['count', 'files_count', 'file_size_sum'] } };
const facetLimit: Json = { name: 'limit', in: 'query', description: 'Buckets returned (default 10).', schema: { type: 'integer', minimum: 1, maximum: 1000 } };

const fileFacetParams = [...solrParams, dateAttr, latestParam, ...filterParams(CATALOG_FILTERS)];
const TASK_FILTERS = ['task_id', 'status', 'workflow_type', 'workflow_action', 'created_at', 'started_at', 'finished_at'];

function statistic(name: string, summary: string, schema: string, parameters: Json[], description?: string): Json {
  return {
    [`/statistics/${name}`]: {
      get: op({
        operationId: `statistics_${name}`, summary, tags: ['statistics'], scope: ['statistics', name], parameters,
        ...(description ? { description } : {}),
        responses: { '200': jsonResponse('The facet.', ref(schema)), ...ERRORS },
      }),
    },
  };
}

const FILE_SCOPE = 'Over the scan catalog (the rows `GET /files` finds with the same filters; a non-admin counts the storages they may read). Age buckets are disjoint, by modification date: less than 7, 30, 91, 182, 365, 730 days, and more.';
const TASK_SCOPE = 'Over executions (a non-admin\'s own; every user\'s for an admin). `count` is executions, `tasks_count` distinct tasks, `finalized_files_sum` the files done by ended executions, `bandwidth_avg` the mean of the non-zero bandwidths (bytes/s, `bandwidth_count` of them).';

export const CATALOG_PATHS: Record<string, Json> = {
  '/nas_shares/{nas_share_id}/files': browse('browse_nas_share_files', 'nas_share_id', 'nas_shares', 'NAS share'),
  '/cloud_buckets/{cloud_bucket_id}/files': browse('browse_cloud_bucket_files', 'cloud_bucket_id', 'cloud_buckets', 'cloud bucket'),
  '/files': {
    get: op({
      operationId: 'index_files', summary: 'Searches the scan catalog.', tags: ['files'], scope: ['files', 'index'],
      description: 'Files recorded by scan and backup executions, with the list conventions: filters with operators, `sort_by` (default `path`), `limit`/`offset`, `count`. `extension` is compared without the dot, in lower case. A non-admin finds only files of storages they may read; `storage_id=` naming a storage they may not read (or none) is a 404.',
      parameters: [...paging, latestParam, ...filterParams(CATALOG_FILTERS)],
      responses: { '200': jsonResponse('One page of catalog files.', ref('catalog_file_collection')), ...ERRORS },
    }),
  },
  ...statistic('by_date', 'Statistics about files, grouped by date.', 'by_date_facet', fileFacetParams, FILE_SCOPE),
  ...statistic('by_size', 'Statistics about files, grouped by size.', 'by_size_facet', fileFacetParams, `${FILE_SCOPE} Size buckets are disjoint, in decimal units (1 kB = 1000 bytes).`),
  ...statistic('by_file_extension', 'Statistics about files, grouped by file extension.', 'by_file_extension_facet', [...fileFacetParams, facetSort, facetLimit], `${FILE_SCOPE} \`val\` null gathers files without an extension.`),
  ...statistic('by_user_owner', 'Statistics about files, grouped by owner (user id).', 'by_user_owner_facet', [...fileFacetParams, facetSort, facetLimit], `${FILE_SCOPE} \`val\` is the uid; null gathers files without a recorded owner.`),
  ...statistic('storage', 'Statistics about storages, grouped by types.', 'storage_facet', [...solrParams, latestParam, ...filterParams(CATALOG_FILTERS)], 'The storages the caller may read. `count` is shares plus buckets. `by_storage` (Barge) sums the catalog per storage, with the catalog filters.'),
  ...statistic('task_by_status', 'Statistics about task executions, grouped by status.', 'by_task_status_facet', [...solrParams, ...filterParams(TASK_FILTERS)], TASK_SCOPE),
  ...statistic('task_by_workflow', 'Statistics about task executions, grouped by workflow type and action.', 'by_task_workflow_facet', [...solrParams, ...filterParams(TASK_FILTERS)], TASK_SCOPE),
};
