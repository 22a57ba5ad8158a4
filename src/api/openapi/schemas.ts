/**
 * Component schemas Barge adds to the seed: endpoints, executions' extra fields, users, API keys,
 * and the storage registry. Seed schemas are only ever extended with new properties, never changed.
 */
import { ENDPOINT_TYPES } from '../../domain/task.js';
import { EXECUTION_STATES } from '../../domain/execution.js';
import { GRANTEE_TYPES, RIGHTS } from '../../domain/privileges.js';
import { ref } from './helpers.js';
import { CATALOG_SCHEMAS } from './catalog-schemas.js';
import { SCHEDULE_SCHEMAS } from './schedule-schemas.js';
import { TAPE_SCHEMAS } from './tape-schemas.js';
import { ON_TAPES_SCHEMAS } from './on-tapes-paths.js';
import { CALLBACK_SCHEMAS } from './callback-schemas.js';
import { WEBHOOK_SCHEMAS } from './webhook-schemas.js';
import { DRY_RUN_EXECUTION_FIELDS, DRY_RUN_FILE_FIELDS, TASK_SUB_SCHEMAS } from './task-sub-schemas.js';
import { CLOUD_PROVIDERS, NAS_TYPES, POOL_CONTENTS, POOL_TYPES } from '../../services/registry-service.js';
import { LEGACY_CLOUD_PROVIDERS } from '../../domain/storage-types.js';

const str = { type: 'string' };
const ro = (s: Record<string, unknown>) => ({ ...s, readOnly: true });
const date = ro({ type: 'string', format: 'date-time' });
const obj = { type: 'object', nullable: true, additionalProperties: true };


export const ADDED_SCHEMAS: Record<string, unknown> = {
  task_endpoint: {
    type: 'object',
    properties: {
      id: ro(str),
      type: { type: 'string', enum: [...ENDPOINT_TYPES] },
      storage_id: { type: 'string', nullable: true, description: 'A NAS share (type nas) or a cloud bucket (type cloud).' },
      pool_id: { type: 'string', nullable: true, description: 'A pool instead of one storage; Barge picks a storage of the pool.' },
      node_paths: { type: 'array', items: str, description: 'Paths inside the storage; relative ones resolve against options.working_dir.' },
      range: { type: 'array', nullable: true, items: { type: 'integer' }, minItems: 2, maxItems: 2 },
    },
  },
  task_endpoint_collection: {
    type: 'object',
    properties: { count: { type: 'integer' }, task_sources: { type: 'array', items: ref('task_endpoint') }, task_destinations: { type: 'array', items: ref('task_endpoint') } },
  },
  task_execution_collection: {
    type: 'object', properties: { count: { type: 'integer' }, task_executions: { type: 'array', items: ref('task_execution') } },
  },
  task_execution_file: {
    type: 'object',
    properties: {
      item_key: ro(str), src_path: ro(str), dst_path: ro({ type: 'string', nullable: true }), size: ro({ type: 'integer', format: 'int64' }),
      checksum: ro({ type: 'string', nullable: true }), status: ro({ type: 'string', enum: ['done', 'skipped', 'copied', 'failed', 'planned'] }), ...DRY_RUN_FILE_FIELDS,
      error_class: ro({ type: 'string', nullable: true }), error: ro({ type: 'string', nullable: true }), attempts: ro({ type: 'integer' }), updated_at: date,
    },
  },
  task_execution_file_collection: {
    type: 'object', properties: { count: { type: 'integer' }, files: { type: 'array', items: ref('task_execution_file') } },
  },
  user: {
    type: 'object',
    properties: {
      id: ro(str), username: { type: 'string', maxLength: 255 }, email: { type: 'string', nullable: true },
      is_admin: { type: 'boolean' }, password: { type: 'string', writeOnly: true },
      groups: ro({ type: 'array', items: str, description: 'Names of the groups the user belongs to (change them through /groups).' }), created_at: date, updated_at: date,
    },
  },
  user_body: { type: 'object', properties: { user: ref('user') }, description: 'Rails style `{user: {...}}`; a bare user object is accepted too.' },
  sign_in_body: {
    type: 'object',
    properties: { user: { type: 'object', properties: { username: str, password: str } } },
  },
  api_key_scope: { type: 'object', properties: { controller: str, action: str }, required: ['controller', 'action'] },
  api_key: {
    type: 'object',
    properties: {
      id: ro(str), name: str, key: ro({ type: 'string', description: 'In full once, at creation; masked afterwards.' }),
      api_key_scopes: { type: 'array', items: ref('api_key_scope') }, created_at: date, updated_at: date, last_used_at: { ...date, nullable: true },
    },
  },
  nas: {
    type: 'object',
    properties: {
      id: ro(str), name: str, host: { type: 'string', nullable: true },
      type: { type: 'string', enum: [...NAS_TYPES], description: 'What is behind the shares: `local` (directories of the movers\' hosts) or the protocol they are mounted with (Nodeum\'s values). Barge mounts nothing itself: each share\'s `path` is its mount point on the movers\' hosts.' },
      comment: { type: 'string', nullable: true }, created_at: date, updated_at: date,
    },
  },
  nas_share: {
    type: 'object',
    properties: {
      id: ro(str), nas_id: str, pool_id: { type: 'string', nullable: true }, name: str,
      path: { type: 'string', description: 'Where the share is mounted on the movers (absolute). Shown to admins only.' }, options: obj,
      username: { type: 'string', nullable: true, description: 'Account the share is mounted with (Nodeum\'s nas_share). Stored encrypted; shown to admins only.' },
      password: { type: 'string', nullable: true, writeOnly: true, description: 'Write-only: stored encrypted, never returned; null clears it.' },
      quota_bytes: { type: 'integer', format: 'int64', minimum: 0, nullable: true, description: 'Barge addition (Nodeum\'s nas_share has none): the bytes this primary share may hold; cache_cleaning deletes archived files until the share is below options.rehydration_usage_threshold % of it. Null: no quota (cache_cleaning is refused).' },
      password_set: ro({ type: 'boolean', description: 'Whether a password is stored.' }), guest_right: { type: 'string', enum: [...RIGHTS], description: 'What every authenticated user may do on this storage (privileges of a user or group override it; admins have every right). New storages start at none.' }, created_at: date, updated_at: date,
    },
  },
  mount_status: {
    type: 'object',
    properties: { mounted: { type: 'boolean' }, readable: { type: 'boolean' }, writable: { type: 'boolean' }, path: str, error: { type: 'string', nullable: true } },
  },
  cloud_connector: {
    type: 'object',
    properties: {
      id: ro(str), name: str, url: { type: 'string', nullable: true }, region: { type: 'string', nullable: true },
      provider: { type: 'string', enum: [...CLOUD_PROVIDERS], 'x-barge-legacy': Object.keys(LEGACY_CLOUD_PROVIDERS), description: 'Nodeum\'s nine providers; values Barge accepted earlier (`x-barge-legacy`: ceph_rgw, minio, ovh → generic_s3; scality → scality_ring) are still accepted in requests and stored as their Nodeum value, so answers only ever hold Nodeum\'s. `azure` is Azure Blob storage (buckets are containers; `url` the blob endpoint, default https://ACCOUNT.blob.core.windows.net; `access_key` the account name; `secret_key` the account key); every other provider speaks S3.' },
      access_key: { type: 'string', nullable: true },
      secret_key: { type: 'string', nullable: true, writeOnly: true, description: 'Write-only: stored encrypted, never returned; null clears it.' },
      options: obj, created_at: date, updated_at: date,
    },
  },
  cloud_connector_test: {
    type: 'object',
    properties: { ok: { type: 'boolean' }, buckets: { type: 'integer' }, error: { type: 'string', nullable: true } },
  },
  cloud_bucket: {
    type: 'object',
    properties: {
      id: ro(str), cloud_connector_id: ro(str), pool_id: { type: 'string', nullable: true }, name: str,
      location: { type: 'string', nullable: true }, options: obj, guest_right: { type: 'string', enum: [...RIGHTS], description: 'What every authenticated user may do on this storage (privileges of a user or group override it; admins have every right). New storages start at none.' }, created_at: date, updated_at: date,
    },
  },
  pool: {
    type: 'object',
    properties: {
      id: ro(str), name: str, comment: { type: 'string', nullable: true }, type: { type: 'string', enum: [...POOL_TYPES] },
      content: { type: 'string', enum: [...POOL_CONTENTS] }, guest_right: { type: 'string', enum: [...RIGHTS], description: 'What every authenticated user may do on this storage (privileges of a user or group override it; admins have every right). New storages start at none.' }, created_at: date, updated_at: date,
    },
  },
  container_privilege: {
    type: 'object',
    description: 'A right on one storage for a user or a group (Nodeum container privilege). The most specific entry wins: the user\'s own, else the best of their groups\', else the storage\'s guest_right.',
    properties: {
      id: ro(str), name: { type: 'string', maxLength: 255, description: 'The username or group name.' },
      type: { type: 'string', enum: [...GRANTEE_TYPES] }, privilege: { type: 'string', enum: [...RIGHTS] }, created_at: date, updated_at: date,
    },
  },
  mover: {
    type: 'object',
    description: 'A mover process (`barge mover`, or the one inside `npm start`).',
    properties: {
      name: ro(str), host: ro(str), pid: ro({ type: 'integer' }), slots: ro({ type: 'integer' }),
      storages: ro({ description: 'Names of the storages it reaches, or "*" (every storage).', oneOf: [{ type: 'array', items: str }, { type: 'string', enum: ['*'] }] }),
      state: ro({ type: 'string', enum: ['online', 'draining', 'offline'] }), started_at: date, last_heartbeat_at: date,
      bandwidth: ro({ type: 'integer', description: 'Bytes per second over the last seconds.' }), files_done: ro({ type: 'integer', format: 'int64' }), bytes_done: ro({ type: 'integer', format: 'int64' }),
    },
  },
  group: {
    type: 'object',
    properties: {
      id: ro(str), name: { type: 'string', maxLength: 255 }, comment: { type: 'string', nullable: true },
      users: { type: 'array', items: str, description: 'Usernames of the members; replaces them all when given.' }, created_at: date, updated_at: date,
    },
  },
  ...CATALOG_SCHEMAS,
  ...SCHEDULE_SCHEMAS,
  ...TAPE_SCHEMAS,
  ...ON_TAPES_SCHEMAS,
  ...CALLBACK_SCHEMAS,
  ...WEBHOOK_SCHEMAS,
  ...TASK_SUB_SCHEMAS,
};

/** New properties for seed schemas (added, never replacing what the seed says). */
export const SEED_EXTENSIONS: Record<string, Record<string, unknown>> = {
  task: {
    created_at: date,
    sources: { type: 'array', items: ref('task_endpoint') },
    destinations: { type: 'array', items: ref('task_endpoint') },
  },
  task_execution: {
    ...DRY_RUN_EXECUTION_FIELDS,
    task_id: ro(str),
    status: ro({ type: 'string', enum: [...EXECUTION_STATES] }),
    files_failed: ro({ type: 'integer', format: 'int64' }),
    eta_seconds: ro({ type: 'integer', nullable: true }),
    error: ro({ type: 'string', nullable: true }),
    trigger: ro({ type: 'object', additionalProperties: true }),
    log: ro({ type: 'array', items: str, description: 'Barge: what the engine noted about this run, oldest first — options it ignored, why its batches wait (no mover reaching its storages, waiting for a tape drive), callback failures.' }),
    created_at: date,
    started_at: { ...date, nullable: true },
    updated_at: date,
  },
};
