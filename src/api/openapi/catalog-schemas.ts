/**
 * Schemas of what is stored (issue #13): a folder's entries, catalog files (Nodeum's `nodeum_file`
 * and `nodeum_file_with_path`, with Barge's additions) and Nodeum's statistics facets, written out
 * flat (Nodeum composes them with allOf; the fields are the same).
 */
import { AGE_BUCKETS, SIZE_BUCKETS } from '../../domain/catalog.js';
import { ref } from './helpers.js';

type Json = Record<string, unknown>;

const ro = (s: Json): Json => ({ ...s, readOnly: true });
const int = ro({ type: 'integer', format: 'int64' });
const nullable = (s: Json): Json => ro({ ...s, nullable: true });
const str = ro({ type: 'string' });

/** Nodeum's `file_facet` (no `cost`: Barge has no cost model). */
const fileFacet: Json = { count: ro({ type: 'integer', format: 'int64', description: 'Files (Barge catalogs files only: the same as files_count).' }), files_count: int, file_size_sum: ro({ type: 'integer', format: 'int64', description: 'Bytes.' }) };
const ageFacets: Json = Object.fromEntries(AGE_BUCKETS.map((b) => [b.key, ref('file_facet')]));
const byDateFacet: Json = { ...fileFacet, ...ageFacets };
const taskFacet: Json = {
  count: ro({ type: 'integer', format: 'int64', description: 'Executions.' }), to_process_size_sum: int, processed_size_sum: int, to_process_files_sum: int, processed_files_sum: int,
  finalized_files_sum: int, bandwidth_avg: ro({ type: 'integer', description: 'Bytes per second.' }), bandwidth_count: int, tasks_count: int,
};
const buckets = (item: string): Json => ({ type: 'object', properties: { buckets: { type: 'array', items: ref(item) } } });
const typeBuckets = ref('by_type_facet_buckets');

export const CATALOG_SCHEMAS: Record<string, unknown> = {
  browse_entry: {
    type: 'object',
    description: 'One entry of a folder; null where the storage records nothing.',
    properties: {
      name: str,
      path: ro({ type: 'string', description: 'From the storage root (`/a/b`), the form of task node_paths.' }),
      type: ro({ type: 'string', enum: ['file', 'folder'], description: 'A symlink is a `file` (the engine moves the link, not its target): see link_target.' }),
      size: nullable({ type: 'integer', format: 'int64', description: 'Bytes of a file; null for a folder.' }),
      mtime: nullable({ type: 'string', format: 'date-time' }),
      mode: nullable({ type: 'integer', description: 'Permission bits (0644 is 420).' }),
      uid: nullable({ type: 'integer' }),
      gid: nullable({ type: 'integer' }),
      link_target: nullable({ type: 'string', description: 'The stored target of a symlink.' }),
      storage_class: nullable({ type: 'string', description: 'S3 storage class (STANDARD, GLACIER…).' }),
    },
  },
  browse_page: {
    type: 'object',
    properties: {
      count: ro({ type: 'integer', description: 'Entries of the folder that pass the filters, before paging.' }),
      path: ro({ type: 'string', description: 'The folder listed, normalized.' }),
      truncated: ro({ type: 'boolean', description: 'The folder holds more entries than one request reads (1000000): count and order cover those only.' }),
      files: { type: 'array', items: ref('browse_entry') },
    },
  },
  catalog_file: {
    type: 'object',
    description: 'A catalog row: Nodeum\'s nodeum_file_with_path (no numeric id, parent, change or access date: Barge records none) and what Barge knows of the file.',
    properties: {
      name: str,
      type: ro({ type: 'string', enum: ['file'] }),
      permission: nullable({ type: 'integer', description: 'st_mode in octal digits (100644).' }),
      size: int,
      modification_date: ro({ type: 'string', format: 'date-time' }),
      uid: nullable({ type: 'integer' }),
      gid: nullable({ type: 'integer' }),
      file_path: ro({ type: 'string', description: 'From the storage root (`/a/b.txt`).' }),
      extension: nullable({ type: 'string', description: 'Lower case, without the dot.' }),
      mode: nullable({ type: 'integer', description: 'Permission bits (0644 is 420).' }),
      storage_id: ro({ type: 'string', description: 'The NAS share or cloud bucket scanned.' }),
      task_id: str,
      execution_id: str,
      checksum: nullable({ type: 'string' }),
      checksum_algorithm: nullable({ type: 'string' }),
      recorded_at: ro({ type: 'string', format: 'date-time', description: 'When the execution recorded the row.' }),
      stored_storage_id: nullable({ type: 'string', description: 'Backups: the storage holding the bytes. Evicted files: the tape (cartridge id) holding them.' }),
      stored_path: nullable({ type: 'string', description: 'Backups: where the bytes are in that storage. Evicted files: the member path on that cartridge.' }),
      evicted: ro({ type: 'boolean', description: 'Barge addition: cache_cleaning deleted the local copy; the file is on tape (stored_storage_id, stored_path) until rehydratation brings it back.' }),
    },
  },
  catalog_file_collection: { type: 'object', properties: { count: { type: 'integer' }, files: { type: 'array', items: ref('catalog_file') } } },
  file_facet: { type: 'object', properties: fileFacet },
  by_date_facet: { type: 'object', properties: byDateFacet },
  by_date_facet_bucket: { type: 'object', properties: { val: { description: 'The value of the bucket (an extension, a uid); null for files without one.', nullable: true }, ...byDateFacet } },
  by_date_facet_buckets: buckets('by_date_facet_bucket'),
  by_size_facet: { type: 'object', properties: { ...fileFacet, ...Object.fromEntries(SIZE_BUCKETS.map((b) => [b.key, ref('by_date_facet')])) } },
  by_file_extension_facet: { type: 'object', properties: { ...fileFacet, file_extension_s: ref('by_date_facet_buckets') } },
  by_user_owner_facet: { type: 'object', properties: { ...fileFacet, user_owner_id_l: ref('by_date_facet_buckets') } },
  by_type_facet_bucket: { type: 'object', properties: { val: { type: 'string' }, count: int } },
  by_type_facet_buckets: buckets('by_type_facet_bucket'),
  storage_facet: {
    type: 'object',
    properties: {
      count: ro({ type: 'integer', description: 'NAS shares and cloud buckets.' }),
      nas_share: { type: 'object', properties: { count: int, nas_type_i: typeBuckets, pool_type_i: typeBuckets } },
      cloud_bucket: { type: 'object', properties: { count: int, cloud_connector_type_i: typeBuckets, pool_type_i: typeBuckets } },
      pool: { type: 'object', properties: { count: int, pool_type_i: typeBuckets, pool_content_i: typeBuckets } },
      by_storage: {
        type: 'object',
        description: 'Barge: the catalog per storage, largest first.',
        properties: {
          buckets: {
            type: 'array',
            items: { type: 'object', properties: { val: ro({ type: 'string', description: 'Storage id.' }), name: nullable({ type: 'string' }), type: nullable({ type: 'string', enum: ['nas', 'cloud'] }), ...fileFacet } },
          },
        },
      },
    },
  },
  task_facet: { type: 'object', properties: taskFacet },
  task_facet_bucket: { type: 'object', properties: { val: ro({ type: 'string' }), ...taskFacet } },
  task_facet_buckets: buckets('task_facet_bucket'),
  by_task_status_facet: { type: 'object', properties: { ...taskFacet, status: ref('task_facet_buckets') } },
  task_by_workflow_bucket: { type: 'object', properties: { val: ro({ type: 'string' }), ...taskFacet, action: ref('task_facet_buckets') } },
  task_by_workflow_buckets: buckets('task_by_workflow_bucket'),
  by_task_workflow_facet: { type: 'object', properties: { ...taskFacet, type: ref('task_by_workflow_buckets') } },
};
