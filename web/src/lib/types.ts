/**
 * The API's resources as the console reads them (a hand-kept subset of openapi/barge.json: the
 * console only depends on the fields it shows, so the API may grow without breaking it).
 */
export interface Endpoint {
  id?: string;
  type: string;
  storage_id?: string | null;
  pool_id?: string | null;
  node_paths?: string[];
}

export type Options = Record<string, unknown>;

export interface Execution {
  id: string;
  /** The engine's notes on the run, oldest first (ignored options, why its batches wait, callback failures). */
  log?: string[];
  task_id: string;
  status: ExecutionStatus;
  progress: number;
  size_todo: number;
  size_done: number;
  nodes_todo: number;
  nodes_done: number;
  files_failed: number;
  bandwidth: number;
  eta_seconds: number | null;
  error: string | null;
  dispatcher?: string;
  trigger?: Record<string, unknown>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  task?: { id: string; name: string; workflow_type: string; workflow_action: string };
  /** A dry run (Preview): it planned and wrote nothing. */
  dry_run?: boolean;
}

export type ExecutionStatus =
  | 'in_queue' | 'calculating' | 'in_progress' | 'paused' | 'stopping'
  | 'done' | 'finished_with_warnings' | 'error' | 'stopped_by_user' | 'stopped_by_system';

export interface Task {
  id: string;
  name: string;
  comment: string | null;
  workflow_type: string;
  workflow_action: string;
  options: Options;
  user?: string;
  created_at: string;
  updated_at: string;
  sources: Endpoint[];
  destinations: Endpoint[];
  last_execution: Execution | null;
}

export interface LedgerFile {
  item_key: string;
  src_path: string;
  dst_path: string | null;
  size: number;
  checksum: string | null;
  status: 'done' | 'skipped' | 'copied' | 'failed';
  error_class: string | null;
  error: string | null;
  attempts: number;
  updated_at: string;
}

export interface User {
  id: string;
  username: string;
  email: string | null;
  is_admin: boolean;
  /** Names of the groups the user belongs to. */
  groups?: string[];
  created_at: string;
  updated_at: string;
}

/** A right on a storage (Nodeum's `privilege` and `guest_right`), weakest first in RIGHTS. */
export type Right = 'none' | 'read' | 'read_write';

/** A user's or a group's right on one storage (`…/{id}/privileges`, admins only). */
export interface Privilege {
  id: string;
  /** The username or the group's name. */
  name: string;
  type: 'user' | 'group';
  privilege: Right;
  created_at: string;
  updated_at: string;
}

export interface Group {
  id: string;
  name: string;
  comment: string | null;
  /** Usernames of the members. */
  users: string[];
  created_at: string;
  updated_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  key: string;
  api_key_scopes: Array<{ controller: string; action: string }>;
  created_at: string;
  last_used_at: string | null;
}

export interface Nas {
  id: string;
  name: string;
  /** Host and comment are shown to admins only. */
  host?: string | null;
  type: string;
  comment?: string | null;
  created_at: string;
}

export interface NasShare {
  id: string;
  nas_id: string;
  pool_id: string | null;
  name: string;
  /** Shown to admins only. */
  path?: string;
  guest_right?: Right;
  created_at: string;
}

export interface MountStatus {
  mounted: boolean;
  readable: boolean;
  writable: boolean;
  /** Shown to admins only. */
  path?: string;
  error: string | null;
}

export interface CloudConnector {
  id: string;
  name: string;
  /** Endpoint, region and credentials are shown to admins only. */
  url?: string | null;
  region?: string | null;
  provider: string;
  access_key?: string | null;
  created_at: string;
}

export interface CloudBucket {
  id: string;
  cloud_connector_id: string;
  pool_id: string | null;
  name: string;
  location: string | null;
  guest_right?: Right;
  created_at: string;
}

export interface Pool {
  id: string;
  name: string;
  comment: string | null;
  type: string;
  content: string;
  guest_right?: Right;
  created_at: string;
}

/** A mover process (`GET /movers`, admins): what it is, what it reaches, what it moved. */
export interface Mover {
  name: string;
  host: string;
  pid: number;
  slots: number;
  /** Share and bucket names it reaches, or `*` for every storage whose path exists on its host. */
  storages: string[] | '*';
  state: MoverState;
  started_at: string;
  last_heartbeat_at: string;
  /** Bytes per second over the last few seconds. */
  bandwidth: number;
  files_done: number;
  bytes_done: number;
}

export type MoverState = 'online' | 'draining' | 'offline';

/** A page of a collection: the API names the array after the resource (`{count, tasks: [...]}`). */
export interface Page<T> {
  count: number;
  rows: T[];
}
