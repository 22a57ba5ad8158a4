/**
 * Paths and schemas of Nodeum's `on_tapes_file` (issue #12): a tape pool's files, one folder at a
 * time, with the cartridges holding each — the primary, then its secondary copies (duplication).
 * Kept beside tape-paths.ts, in their own file, as Nodeum keeps them under its files API.
 */
import { ERRORS, filterParams, jsonResponse, op, pathParam, ref } from './helpers.js';

type Json = Record<string, unknown>;

const ro = (s: Json): Json => ({ ...s, readOnly: true });
const FILTERS = ['name', 'type', 'size'];
const PAGING: Json[] = ['limit', 'offset', 'sort_by'].map((p) => ({ $ref: `#/components/parameters/${p}` }));
const DESCRIPTION = 'Entries are folders and files of the latest copy of each archived path (as a restore reads it), folders first, by name (`sort_by` on `name type size`). '
  + '`barcodes` lists the cartridges holding the entry: those of the pool first, then their secondary copies (cartridges a `duplication` wrote, also in `secondary_barcodes`); a folder lists those of the files under it, and its `size` is their sum. '
  + 'Ids are numbers derived from the path, stable across requests. Admins, and users who may read the pool (others: 404). Computed from the catalog at each request.';

export const ON_TAPES_PATHS: Record<string, Json> = {
  '/pools/{pool_id}/on_tapes_files': {
    get: op({
      operationId: 'index_on_tapes_files_by_pool', summary: 'Lists files on root of tape of pools.', tags: ['tapes'], scope: ['on_tapes_files', 'index'],
      description: DESCRIPTION, parameters: [pathParam('pool_id'), ...PAGING, ...filterParams(FILTERS)],
      responses: { '200': jsonResponse('The entries.', ref('on_tapes_file_collection')), ...ERRORS },
    }),
  },
  '/pools/{pool_id}/on_tapes_files/{file_parent_id}/children': {
    get: op({
      operationId: 'on_tapes_files_children_by_pool', summary: 'Lists files under a specific folder on tape of pools.', tags: ['tapes'], scope: ['on_tapes_files', 'index'],
      description: `${DESCRIPTION} \`file_parent_id\` is the \`id\` of a folder entry (404 when no folder of the pool has it).`,
      parameters: [pathParam('pool_id'), pathParam('file_parent_id'), ...PAGING, ...filterParams(FILTERS)],
      responses: { '200': jsonResponse('The entries.', ref('on_tapes_file_collection')), ...ERRORS },
    }),
  },
};

export const ON_TAPES_SCHEMAS: Record<string, unknown> = {
  on_tapes_file: {
    type: 'object',
    description: 'A file or folder archived on the tapes of a pool.',
    properties: {
      id: ro({ type: 'integer', format: 'int64', description: 'Derived from the path; a folder\'s id lists its children.' }),
      name: ro({ type: 'string' }),
      type: ro({ type: 'string', enum: ['file', 'folder'] }),
      size: ro({ type: 'integer', format: 'int64' }),
      barcodes: ro({ type: 'array', items: { type: 'string' }, description: 'Cartridges holding it: the pool\'s first, then their secondary copies.' }),
      path: ro({ type: 'string', description: 'Barge: the path as a restore\'s node_paths take it (`/dir/name`).' }),
      secondary_barcodes: ro({ type: 'array', items: { type: 'string' }, description: 'Barge: the secondary copies among `barcodes` (written by a duplication).' }),
    },
  },
  on_tapes_file_collection: {
    type: 'object',
    properties: { count: { type: 'integer' }, on_tapes_files: { type: 'array', items: ref('on_tapes_file') } },
  },
};
