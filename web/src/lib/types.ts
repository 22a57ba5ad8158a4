/**
 * The API's resources as the console reads them (a hand-kept subset of openapi/barge.json: the
 * console only depends on the fields it shows, so the API may grow without breaking it).
 */
import type { components } from '../../../src/api/openapi/types';

type Schemas = components['schemas'];

/**
 * An API answer as the console reads it: every field of the schema present (the generated fields are
 * all optional, being readOnly), except those listed, which some answers leave out.
 */
type Answer<S, Optional extends keyof S = never> = Required<Omit<S, Optional>> & Partial<Pick<S, Optional>>;

export type EndpointType = NonNullable<Schemas['task_endpoint']['type']>;

export type Endpoint = Answer<Schemas['task_endpoint'], 'id' | 'storage_id' | 'pool_id' | 'node_paths' | 'range'>;

export type Options = Record<string, unknown>;

export type ExecutionStatus = NonNullable<Schemas['task_execution']['status']>;

export type Execution = Omit<Answer<Schemas['task_execution'], 'dispatcher' | 'finished_at' | 'task' | 'plan' | 'trigger' | 'log' | 'dry_run'>, 'finished_at' | 'started_at' | 'eta_seconds' | 'error'> & {
  /** Absent (the seed's type is not nullable) until the run ends; older code reads null. */
  finished_at?: string | null;
  started_at: string | null;
  eta_seconds: number | null;
  error: string | null;
};

export type Task = Omit<Answer<Schemas['task'], 'user' | 'created_by' | 'updated_by' | 'metadata' | 'comment' | 'last_execution'>, 'options' | 'last_execution' | 'sources' | 'destinations'> & {
  options: Options;
  sources: Endpoint[];
  destinations: Endpoint[];
  last_execution?: Execution | null;
};

export type LedgerFile = Answer<Schemas['task_execution_file'], 'operation'>;

export type User = Answer<Schemas['user'], 'groups' | 'email'>;

export type Right = NonNullable<Schemas['container_privilege']['privilege']>;

export type Privilege = Answer<Schemas['container_privilege']>;

export type Group = Answer<Schemas['group'], 'comment'>;

export type ApiKey = Answer<Schemas['api_key'], 'last_used_at'>;

export type Nas = Answer<Schemas['nas'], 'host' | 'comment'>;

export type NasShare = Answer<Schemas['nas_share'], 'path' | 'guest_right' | 'username' | 'password' | 'password_set' | 'options' | 'quota_bytes'>;

export type MountStatus = Answer<Schemas['mount_status'], 'path'>;

export type CloudConnector = Answer<Schemas['cloud_connector'], 'url' | 'region' | 'access_key' | 'secret_key' | 'options'>;

export type CloudBucket = Answer<Schemas['cloud_bucket'], 'guest_right' | 'options'>;

export type Pool = Answer<Schemas['pool'], 'guest_right' | 'comment'>;

export type Mover = Answer<Schemas['mover']>;

export type MoverState = NonNullable<Schemas['mover']['state']>;

export interface Page<T> {
  count: number;
  rows: T[];
}
