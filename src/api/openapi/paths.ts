/** Paths Barge adds to the seed's tasks resource (see docs/api-coverage.md). */
import { ERRORS, LIST_PARAMS, crud, filterParams, jsonBody, jsonResponse, op, pathParam, ref } from './helpers.js';
import { CATALOG_PATHS } from './catalog-paths.js';
import { SCHEDULE_PATHS } from './schedule-paths.js';
import { TAPE_PATHS } from './tape-paths.js';
import { ON_TAPES_PATHS } from './on-tapes-paths.js';
import { CALLBACK_PATHS } from './callback-paths.js';
import { WEBHOOK_PATHS } from './webhook-paths.js';
import { TASK_SUB_PATHS } from './task-sub-paths.js';

type Json = Record<string, unknown>;

const taskId = pathParam('task_id');
const executionFilters = ['id', 'task_id', 'status', 'progress', 'size_todo', 'size_done', 'nodes_todo', 'nodes_done', 'files_failed', 'created_at', 'started_at', 'finished_at', 'updated_at'];

function endpointResource(kind: 'source' | 'destination'): Record<string, Json> {
  const plural = `task_${kind}s`;
  return crud({
    collection: `/tasks/{task_id}/${plural}`, item: `/tasks/{task_id}/${plural}/{${kind}_id}`, itemParam: `${kind}_id`,
    controller: plural, tag: 'tasks', schema: 'task_endpoint', plural, label: `task ${kind}`, filters: [],
    collectionParams: [taskId],
  });
}

const executions: Record<string, Json> = {
  '/task_executions': {
    get: op({
      operationId: 'index_task_executions', summary: 'Lists task executions.', tags: ['task_executions'], scope: ['task_executions', 'index'],
      parameters: [...LIST_PARAMS, ...filterParams(executionFilters)],
      responses: { '200': jsonResponse('List of executions.', ref('task_execution_collection')), ...ERRORS },
    }),
  },
  '/task_executions/{task_execution_id}': {
    get: op({
      operationId: 'show_task_execution', summary: 'Displays a task execution.', tags: ['task_executions'], scope: ['task_executions', 'show'],
      parameters: [pathParam('task_execution_id')], responses: { '200': jsonResponse('An execution.', ref('task_execution')), ...ERRORS },
    }),
  },
  '/task_executions/{task_execution_id}/files': {
    get: op({
      operationId: 'index_task_execution_files', summary: 'The file ledger of an execution (failures; every file with full_report).', tags: ['task_executions'], scope: ['task_executions', 'files'],
      parameters: [pathParam('task_execution_id'), ...LIST_PARAMS, ...filterParams(['status', 'src_path', 'dst_path', 'error_class', 'size', 'updated_at', 'operation'])],
      responses: { '200': jsonResponse('Files of the execution.', ref('task_execution_file_collection')), ...ERRORS },
    }),
  },
  '/task_executions/{task_execution_id}/events': {
    get: op({
      operationId: 'task_execution_events', summary: 'Live events of an execution (Server-Sent Events).', tags: ['task_executions'], scope: ['task_executions', 'show'],
      description: 'A `text/event-stream`: `state` on each status change, `progress` snapshots (at most twice a second), `file_failed` for each failed file, then `end` with the final execution; the stream closes when the execution ends. A comment line is sent every 15 s to keep proxies from closing it.',
      parameters: [pathParam('task_execution_id')],
      responses: { '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...ERRORS },
    }),
  },
  '/tasks/{task_id}/task_executions': {
    get: op({
      operationId: 'index_task_executions_of_task', summary: 'Lists the executions of a task.', tags: ['task_executions'], scope: ['task_executions', 'index'],
      parameters: [taskId, ...LIST_PARAMS, ...filterParams(executionFilters)],
      responses: { '200': jsonResponse('List of executions.', ref('task_execution_collection')), ...ERRORS },
    }),
  },
  '/tasks/{task_id}/task_executions/{task_execution_id}': {
    get: op({
      operationId: 'show_task_execution_of_task', summary: 'Displays an execution of a task.', tags: ['task_executions'], scope: ['task_executions', 'show'],
      parameters: [taskId, pathParam('task_execution_id')], responses: { '200': jsonResponse('An execution.', ref('task_execution')), ...ERRORS },
    }),
  },
};

const users: Record<string, Json> = {
  ...crud({ collection: '/users', item: '/users/{user_id}', itemParam: 'user_id', controller: 'users', tag: 'users', schema: 'user', plural: 'users', label: 'user', filters: ['id', 'username', 'email', 'is_admin', 'created_at', 'updated_at'] }),
  '/users/me': {
    get: op({ operationId: 'show_me', summary: 'Displays the current user.', tags: ['users'], scope: ['users', 'me'], responses: { '200': jsonResponse('The current user.', ref('user')), ...ERRORS } }),
  },
  '/users/sign_in': {
    post: op({
      operationId: 'sign_in', summary: 'Signs in; the JWT comes in the Authorization response header.', tags: ['users'], scope: ['users', 'sign_in'],
      security: [], requestBody: jsonBody(ref('sign_in_body')),
      responses: { '201': jsonResponse('Signed in.', { type: 'object', properties: { token: { type: 'string' }, user: ref('user') } }), ...ERRORS },
    }),
  },
  ...crud({ collection: '/users/me/api_keys', item: '/users/me/api_keys/{api_key_id}', itemParam: 'api_key_id', controller: 'api_keys', tag: 'users', schema: 'api_key', plural: 'api_keys', label: 'API key', filters: ['id', 'name', 'created_at', 'updated_at'] }),
};

const storages: Record<string, Json> = {
  ...crud({ collection: '/nas', item: '/nas/{nas_id}', itemParam: 'nas_id', controller: 'nas', tag: 'storages', schema: 'nas', plural: 'nas', label: 'NAS', filters: ['id', 'name', 'host', 'type', 'comment', 'created_at', 'updated_at'] }),
  ...crud({
    collection: '/nas/{nas_id}/nas_shares', item: '/nas/{nas_id}/nas_shares/{nas_share_id}', itemParam: 'nas_share_id', controller: 'nas_shares', tag: 'storages',
    schema: 'nas_share', plural: 'nas_shares', label: 'NAS share', filters: ['id', 'name', 'path', 'pool_id', 'created_at', 'updated_at'],
    collectionParams: [pathParam('nas_id')], ops: ['index', 'create'], idSuffix: 'nas_shares_of_nas',
  }),
  ...crud({ collection: '/nas_shares', item: '/nas_shares/{nas_share_id}', itemParam: 'nas_share_id', controller: 'nas_shares', tag: 'storages', schema: 'nas_share', plural: 'nas_shares', label: 'NAS share', filters: ['id', 'nas_id', 'name', 'path', 'pool_id', 'created_at', 'updated_at'], ops: ['index', 'show', 'update', 'destroy'] }),
  '/nas_shares/{nas_share_id}/mount': {
    get: op({
      operationId: 'mount_status_nas_share', summary: 'Whether the share path is reachable and writable on this host.', tags: ['storages'], scope: ['nas_shares', 'mount'],
      parameters: [pathParam('nas_share_id')], responses: { '200': jsonResponse('Mount status.', ref('mount_status')), ...ERRORS },
    }),
  },
  ...crud({ collection: '/cloud_connectors', item: '/cloud_connectors/{cloud_connector_id}', itemParam: 'cloud_connector_id', controller: 'cloud_connectors', tag: 'storages', schema: 'cloud_connector', plural: 'cloud_connectors', label: 'cloud connector', filters: ['id', 'name', 'url', 'region', 'provider', 'created_at', 'updated_at'] }),
  '/cloud_connectors/-/test': {
    put: op({
      operationId: 'test_cloud_connector', summary: 'Checks a connector’s credentials against its endpoint.', tags: ['storages'], scope: ['cloud_connectors', 'test'],
      requestBody: jsonBody(ref('cloud_connector')), responses: { '200': jsonResponse('Result of the check.', ref('cloud_connector_test')), ...ERRORS },
    }),
  },
  ...crud({
    collection: '/cloud_connectors/{cloud_connector_id}/cloud_buckets', item: '/cloud_connectors/{cloud_connector_id}/cloud_buckets/{cloud_bucket_id}', itemParam: 'cloud_bucket_id',
    controller: 'cloud_buckets', tag: 'storages', schema: 'cloud_bucket', plural: 'cloud_buckets', label: 'cloud bucket', filters: ['id', 'name', 'location', 'pool_id', 'created_at', 'updated_at'],
    collectionParams: [pathParam('cloud_connector_id')], ops: ['index', 'create'], idSuffix: 'cloud_buckets_of_connector',
  }),
  '/cloud_connectors/{cloud_connector_id}/cloud_buckets/-/sync': {
    put: op({
      operationId: 'sync_cloud_buckets', summary: 'Imports the buckets the endpoint has.', tags: ['storages'], scope: ['cloud_buckets', 'sync'],
      parameters: [pathParam('cloud_connector_id')], responses: { '200': jsonResponse('The connector’s buckets after the import.', { type: 'object', properties: { count: { type: 'integer' }, cloud_buckets: { type: 'array', items: ref('cloud_bucket') } } }), ...ERRORS },
    }),
  },
  ...crud({ collection: '/cloud_buckets', item: '/cloud_buckets/{cloud_bucket_id}', itemParam: 'cloud_bucket_id', controller: 'cloud_buckets', tag: 'storages', schema: 'cloud_bucket', plural: 'cloud_buckets', label: 'cloud bucket', filters: ['id', 'cloud_connector_id', 'name', 'location', 'pool_id', 'created_at', 'updated_at'], ops: ['index', 'show', 'update', 'destroy'] }),
  ...crud({ collection: '/pools', item: '/pools/{pool_id}', itemParam: 'pool_id', controller: 'pools', tag: 'storages', schema: 'pool', plural: 'pools', label: 'pool', filters: ['id', 'name', 'comment', 'type', 'content', 'created_at', 'updated_at'] }),
};

/** Privileges of one kind of storage: `/nas_shares/{nas_share_id}/privileges[/{privilege_id}]`. */
function privileges(plural: string, param: string, label: string): Record<string, Json> {
  return crud({
    collection: `/${plural}/{${param}}/privileges`, item: `/${plural}/{${param}}/privileges/{privilege_id}`, itemParam: 'privilege_id',
    controller: 'container_privileges', tag: 'privileges', schema: 'container_privilege', plural: 'privileges', label: `privilege on a ${label}`,
    filters: ['id', 'type', 'privilege', 'created_at', 'updated_at'], collectionParams: [pathParam(param)], idSuffix: `${param.replace(/_id$/, '')}_privileges`,
  });
}

const access: Record<string, Json> = {
  ...crud({ collection: '/groups', item: '/groups/{group_id}', itemParam: 'group_id', controller: 'groups', tag: 'users', schema: 'group', plural: 'groups', label: 'group', filters: ['id', 'name', 'comment', 'created_at', 'updated_at'] }),
  ...privileges('nas_shares', 'nas_share_id', 'NAS share'),
  ...privileges('cloud_buckets', 'cloud_bucket_id', 'cloud bucket'),
  ...privileges('pools', 'pool_id', 'pool'),
};

const movers: Record<string, Json> = crud({
  collection: '/movers', item: '/movers/{mover_name}', itemParam: 'mover_name', controller: 'movers', tag: 'movers', schema: 'mover', plural: 'movers',
  label: 'mover', filters: ['name', 'host', 'state', 'last_heartbeat_at', 'started_at'], ops: ['index', 'show'],
});

const meta: Record<string, Json> = {
  '/openapi.json': {
    get: { ...op({ operationId: 'openapi_document', summary: 'This OpenAPI document.', tags: ['meta'], scope: ['meta', 'openapi'], security: [], responses: { '200': jsonResponse('The document.', { type: 'object' }) } }) },
  },
  '/health': {
    get: { ...op({ operationId: 'health', summary: 'Liveness and store check.', tags: ['meta'], scope: ['meta', 'health'], security: [], responses: { '200': jsonResponse('Healthy.', { type: 'object', properties: { status: { type: 'string' } } }) } }) },
  },
};

export const ADDED_PATHS: Record<string, Json> = {
  ...endpointResource('source'),
  ...endpointResource('destination'),
  ...executions,
  ...users,
  ...storages,
  ...access,
  ...movers,
  ...CATALOG_PATHS,
  ...SCHEDULE_PATHS,
  ...TAPE_PATHS,
  ...ON_TAPES_PATHS,
  ...CALLBACK_PATHS,
  ...WEBHOOK_PATHS,
  ...TASK_SUB_PATHS,
  ...meta,
};
