/**
 * The task as Barge understands it: the seed's enums, the endpoint (source/destination) shape, and
 * the rules a task must meet before it is stored. Pure: storage existence is checked by the service,
 * which passes what it found in `StorageLookup`.
 */
import { ValidationErrors, humanAttribute } from './errors.js';
import { normalizeNodePath } from './storage-path.js';

export const WORKFLOW_TYPES = ['active_archive', 'offline_archive', 'data_exchange', 'data_migration', 'maintenance', 'data_enrichment'] as const;
export const WORKFLOW_ACTIONS = [
  'copy', 'move', 'erase', 'scan', 'rehydratation', 'format', 'check_consistency', 'duplication', 'cache_cleaning',
  'ejection', 'get_index', 'full_backup', 'incremental_backup', 'restore', 'speedtest',
] as const;
export type WorkflowType = (typeof WORKFLOW_TYPES)[number];
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/** Storage kinds an endpoint can point at. The `primary_`/`secondary_` aliases of Nodeum map to these. */
export const ENDPOINT_KINDS = ['nas', 'cloud', 'tape'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];
export const ENDPOINT_TYPES = ['nas', 'cloud', 'tape', 'primary_nas', 'secondary_nas', 'primary_cloud', 'secondary_cloud', 'primary_tape', 'secondary_tape'] as const;

/** `primary_nas` → `nas`; unknown types → undefined. */
export function endpointKind(type: string): EndpointKind | undefined {
  if (!(ENDPOINT_TYPES as readonly string[]).includes(type)) return undefined;
  return type.replace(/^(primary|secondary)_/, '') as EndpointKind;
}

export type EndpointRole = 'source' | 'destination';

/** A source or destination of a task, as the API shows it. */
export interface TaskEndpoint {
  id: string;
  type: string;
  storage_id?: string | null;
  pool_id?: string | null;
  node_paths: string[];
  range?: [number, number] | null;
}

/** Input for an endpoint (create or full replacement). */
export type TaskEndpointInput = Omit<TaskEndpoint, 'id'> & { id?: string };

export interface TaskInput {
  name?: unknown;
  comment?: unknown;
  workflow_type?: unknown;
  workflow_action?: unknown;
  options?: unknown;
  metadata?: unknown;
  sources?: unknown;
  destinations?: unknown;
}

/** What the service found for an endpoint's storage or pool, so the pure rules can judge it. */
export interface StorageLookup {
  storageExists(kind: EndpointKind, id: string): boolean;
  poolContent(id: string): EndpointKind | undefined;
}

const NAME_MAX = 255;

/** Actions that work on tapes only (`rehydratation` is not one: its endpoint is the primary share files go back to). */
export const TAPE_ONLY_ACTIONS: readonly WorkflowAction[] = ['format', 'ejection', 'get_index', 'duplication'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Checks a task's own attributes. `partial` (PUT) checks only what is present; create requires
 * name, workflow_type and workflow_action.
 */
export function validateTaskAttributes(input: TaskInput, partial: boolean, errors: ValidationErrors): void {
  const need = (attr: 'name' | 'workflow_type' | 'workflow_action') => {
    const v = input[attr];
    if (v === undefined ? !partial : v === null || (typeof v === 'string' && v.trim() === '')) {
      errors.add(attr, { error: 'blank' }, `${humanAttribute(attr)} can't be blank`);
      return false;
    }
    return v !== undefined;
  };
  if (need('name')) {
    if (typeof input.name !== 'string') errors.add('name', { error: 'invalid' }, 'Name must be a string');
    else if (input.name.length > NAME_MAX) errors.add('name', { error: 'too_long', count: NAME_MAX }, `Name is too long (maximum is ${NAME_MAX} characters)`);
  }
  if (need('workflow_type') && !(WORKFLOW_TYPES as readonly unknown[]).includes(input.workflow_type)) {
    errors.add('workflow_type', { error: 'inclusion', value: input.workflow_type }, 'Workflow type is not included in the list');
  }
  if (need('workflow_action') && !(WORKFLOW_ACTIONS as readonly unknown[]).includes(input.workflow_action)) {
    errors.add('workflow_action', { error: 'inclusion', value: input.workflow_action }, 'Workflow action is not included in the list');
  }
  if (input.comment !== undefined && input.comment !== null && typeof input.comment !== 'string') {
    errors.add('comment', { error: 'invalid' }, 'Comment must be a string');
  }
  if (input.options !== undefined && input.options !== null) {
    if (!isObject(input.options)) errors.add('options', { error: 'invalid' }, 'Options must be an object');
    else validateOptions(input.options, errors);
  }
  if (input.metadata !== undefined && input.metadata !== null) {
    if (!isObject(input.metadata)) errors.add('metadata', { error: 'invalid' }, 'Metadata must be an object');
    else {
      const { task, files } = input.metadata;
      if (task !== undefined && !isObject(task)) errors.add('metadata.task', { error: 'invalid' }, 'Metadata task must be an object');
      if (files !== undefined) {
        if (!isObject(files) || Object.values(files).some((v) => typeof v !== 'string')) {
          errors.add('metadata.files', { error: 'invalid' }, 'Metadata files must be an object of strings');
        }
      }
    }
  }
}

const POSITIVE_OPTIONS = ['parallel', 'speedtest_iterations', 'speedtest_size'] as const;
const NON_NEGATIVE_OPTIONS = ['object_lock_retention_period', 'restoration_expiry_days', 'backup_report'] as const;

/** Range rules the schema cannot say (types and enums were already checked against the OpenAPI document). */
export function validateOptions(options: Record<string, unknown>, errors: ValidationErrors): void {
  for (const key of POSITIVE_OPTIONS) {
    const v = options[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) errors.add(`options.${key}`, { error: 'not_an_integer' }, `${humanAttribute(`options.${key}`)} must be an integer`);
    else if (v < 1) errors.add(`options.${key}`, { error: 'greater_than', count: 0 }, `${humanAttribute(`options.${key}`)} must be greater than 0`);
  }
  for (const key of NON_NEGATIVE_OPTIONS) {
    const v = options[key];
    if (typeof v === 'number' && v < 0) errors.add(`options.${key}`, { error: 'greater_than_or_equal_to', count: 0 }, `${humanAttribute(`options.${key}`)} must be greater than or equal to 0`);
  }
  for (const key of ['rehydration_usage_threshold', 'rehydration_deleted_files_threshold'] as const) {
    const v = options[key];
    if (typeof v === 'number' && (v < 0 || v > 100)) errors.add(`options.${key}`, { error: 'inclusion', value: v }, `${humanAttribute(`options.${key}`)} must be between 0 and 100`);
  }
  const wd = options.working_dir;
  if (typeof wd === 'string' && !('path' in normalizeNodePath(wd))) {
    errors.add('options.working_dir', { error: 'invalid' }, 'Options working dir must stay inside the storage root');
  }
}

/**
 * Checks one endpoint (`attr` is its place in the error details, e.g. `sources[0]`). Returns the
 * normalised input when valid.
 */
export function validateEndpoint(raw: unknown, attr: string, workingDir: string | undefined, lookup: StorageLookup, errors: ValidationErrors): TaskEndpointInput | undefined {
  if (!isObject(raw)) {
    errors.add(attr, { error: 'invalid' }, `${humanAttribute(attr)} must be an object`);
    return undefined;
  }
  const before = errors.messages.length;
  const type = raw.type;
  const kind = typeof type === 'string' ? endpointKind(type) : undefined;
  if (type === undefined || type === null || type === '') errors.add(`${attr}.type`, { error: 'blank' }, `${humanAttribute(attr)} type can't be blank`);
  else if (!kind) errors.add(`${attr}.type`, { error: 'inclusion', value: type }, `${humanAttribute(attr)} type is not included in the list`);
  const storageId = raw.storage_id ?? null;
  const poolId = raw.pool_id ?? null;
  if (storageId !== null && typeof storageId !== 'string') errors.add(`${attr}.storage_id`, { error: 'invalid' }, `${humanAttribute(attr)} storage id must be a string`);
  if (poolId !== null && typeof poolId !== 'string') errors.add(`${attr}.pool_id`, { error: 'invalid' }, `${humanAttribute(attr)} pool id must be a string`);
  if (storageId === null && poolId === null) errors.add(`${attr}.storage_id`, { error: 'blank' }, `${humanAttribute(attr)} needs a storage_id or a pool_id`);
  if (kind && typeof storageId === 'string' && !lookup.storageExists(kind, storageId)) {
    errors.add(`${attr}.storage_id`, { error: 'not_found', value: storageId }, `${humanAttribute(attr)} storage ${storageId} does not exist (for type ${kind})`);
  }
  if (kind && typeof poolId === 'string') {
    const content = lookup.poolContent(poolId);
    if (content === undefined) errors.add(`${attr}.pool_id`, { error: 'not_found', value: poolId }, `${humanAttribute(attr)} pool ${poolId} does not exist`);
    else if (content !== kind) errors.add(`${attr}.pool_id`, { error: 'inclusion', value: poolId }, `${humanAttribute(attr)} pool ${poolId} holds ${content}, not ${kind}`);
  }
  const nodePaths = raw.node_paths ?? ['/'];
  if (!Array.isArray(nodePaths) || nodePaths.some((p) => typeof p !== 'string')) {
    errors.add(`${attr}.node_paths`, { error: 'invalid' }, `${humanAttribute(attr)} node paths must be a list of strings`);
  } else {
    nodePaths.forEach((p: string, i) => {
      const r = normalizeNodePath(p, workingDir ?? '/');
      if ('problem' in r) errors.add(`${attr}.node_paths[${i}]`, { error: 'invalid', value: p }, `${humanAttribute(attr)} node path ${JSON.stringify(p)} ${r.problem === 'escape' ? 'escapes the storage root' : r.problem === 'nul' ? 'contains a NUL byte' : 'is too long'}`);
    });
  }
  const range = raw.range ?? null;
  if (range !== null) {
    const ok = Array.isArray(range) && range.length === 2 && range.every((n) => Number.isInteger(n) && n >= 0) && range[0] <= range[1];
    if (!ok) errors.add(`${attr}.range`, { error: 'invalid' }, `${humanAttribute(attr)} range must be two integers [first, last] with 0 <= first <= last`);
  }
  if (errors.messages.length !== before) return undefined;
  return {
    type: type as string,
    storage_id: storageId as string | null,
    pool_id: poolId as string | null,
    node_paths: nodePaths as string[],
    range: range as [number, number] | null,
  };
}

/** Refuses endpoint kinds an action cannot use (a 422 naming the reason). */
export function validateActionFit(action: string, sources: TaskEndpointInput[], destinations: TaskEndpointInput[], errors: ValidationErrors): void {
  const kinds = (list: TaskEndpointInput[]) => list.map((e) => endpointKind(e.type));
  if ((TAPE_ONLY_ACTIONS as readonly string[]).includes(action)) {
    const bad = [...kinds(sources), ...kinds(destinations)].some((k) => k !== 'tape');
    if (bad) errors.add('workflow_action', { error: 'invalid', value: action }, `Workflow action ${action} works on tape storages only`);
  }
  if ((action === 'erase' || action === 'scan') && destinations.length > 0) {
    errors.add('destinations', { error: 'invalid' }, `Workflow action ${action} takes no destination`);
  }
}
