/**
 * Row types of the SQL store, shared by SQLite and PostgreSQL. Dates are ISO-8601 UTC text (they
 * sort and compare as instants on both dialects), JSON is text, sizes are bigint columns read back
 * as JS numbers (exact up to 9 PB), booleans are 0/1 integers — one code path for both dialects.
 */
import type { ExecutionState } from '../domain/execution.js';

export interface UserRow { id: string; username: string; email: string | null; password_hash: string; is_admin: number; created_at: string; updated_at: string }
export interface ApiKeyRow { id: string; user_id: string; name: string; key_hash: string; key_last4: string; scopes: string; created_at: string; updated_at: string; last_used_at: string | null }
export interface TaskRow {
  id: string; name: string; comment: string | null; workflow_type: string; workflow_action: string;
  options: string; metadata: string; user_id: string; created_by: string; updated_by: string; created_at: string; updated_at: string;
}
export interface TaskEndpointRow {
  id: string; task_id: string; role: 'source' | 'destination'; position: number; type: string; kind: string;
  storage_id: string | null; pool_id: string | null; node_paths: string; range_first: number | null; range_last: number | null; created_at: string;
}
export interface ExecutionRow {
  id: string; task_id: string; user_id: string; state: ExecutionState; progress: number;
  size_todo: number; size_done: number; nodes_todo: number; nodes_done: number; files_failed: number;
  bandwidth: number; eta_seconds: number | null; dispatcher: string | null; movers: string; error: string | null;
  trigger: string; task_snapshot: string; created_at: string; started_at: string | null; finished_at: string | null; updated_at: string;
  walk_cursor: string | null; log: string; batches_planned: number;
  /** 1: a dry run, which plans and records but writes nothing (migration 0015; the column defaults to 0). */
  dry_run?: number;
  /** A dry run's totals as JSON (domain/dry-run.ts DryRunPlan), once it ended; null otherwise. */
  plan?: string | null;
}
export type BatchState = 'queued' | 'leased' | 'done' | 'cancelled';
export interface WorkBatchRow {
  id: string; execution_id: string; seq: number; state: BatchState; files: number; bytes: number;
  done_files: number; done_bytes: number; failed_files: number; lease_owner: string | null; lease_until: string | null;
  attempts: number; available_at: string; created_at: string; updated_at: string;
  /** Bytes of files in flight, as the batch's mover last reported (progress only). */
  inflight_bytes: number;
  /** Items finished without a ledger row when the batch was last handed back, JSON `[[index, size], …]` (migration 0019). */
  finished?: string | null;
}
/** A batch's items (work-items-codec.ts), apart from its row: written once, never updated (migration 0020). */
export interface WorkBatchItemsRow {
  batch_id: string;
  items: string;
}
export interface FileLedgerRow {
  execution_id: string; item_key: string; src_path: string | null; dst_path: string | null; size: number; checksum: string | null;
  status: string; error_class: string | null; error: string | null; attempts: number; updated_at: string;
  /** A dry run's planned operation (domain/dry-run.ts PlanOperation); null on rows of real runs (migration 0015). */
  operation?: string | null;
}
export interface CatalogEntryRow {
  execution_id: string; task_id: string; storage_id: string; path: string; kind: string; size: number; mtime_ms: number;
  mode: number | null; uid: number | null; gid: number | null; checksum: string | null; algorithm: string | null; recorded_at: string;
  parent: string | null; stored_storage_id: string | null; stored_path: string | null;
}
/** The table: a row plus its file name and extension (migration 0009), filled by the repository that writes it. */
export interface CatalogEntryTable extends CatalogEntryRow { name: string | null; extension: string | null }
export interface DeferTokenRow { token_hash: string; task_id: string; user_id: string; trigger: string; created_at: string; expires_at: string; used_at: string | null; execution_id: string | null }
export interface NasRow { id: string; name: string; host: string | null; type: string; comment: string | null; created_at: string; updated_at: string }
export interface NasShareRow {
  id: string; nas_id: string; pool_id: string | null; name: string; path: string; options: string; guest_right: string; created_at: string; updated_at: string;
  /** Sealed with the secret box (migration 0011); null when not set. */
  username_enc: string | null; password_enc: string | null;
  /** The bytes the share may hold (migration 0018, a Barge addition); null: no quota. */
  quota_bytes?: number | null;
}
export interface CloudConnectorRow {
  id: string; name: string; url: string | null; region: string | null; provider: string; access_key: string | null;
  secret_key_enc: string | null; options: string; created_at: string; updated_at: string;
}
export interface CloudBucketRow { id: string; cloud_connector_id: string; pool_id: string | null; name: string; location: string | null; options: string; guest_right: string; created_at: string; updated_at: string }
/** Per owner: the task count, kept by triggers (migration 0004). */
export interface TaskOwnerStatsRow { user_id: string; task_count: number }
/** Generations bumped by triggers: `tasks` (anything a task list shows), `auth` (who a credential is). */
export interface StoreGenerationRow { name: string; value: number }
export interface PoolRow { id: string; name: string; comment: string | null; type: string; content: string; guest_right: string; created_at: string; updated_at: string }
export interface GroupRow { id: string; name: string; comment: string | null; created_at: string; updated_at: string }
export interface GroupMemberRow { group_id: string; user_id: string }
/** A privilege on one storage for one user or group (migration 0006): exactly one storage FK and one grantee FK are set. */
export interface StoragePrivilegeRow {
  id: string; resource: string; storage_id: string; nas_share_id: string | null; cloud_bucket_id: string | null; pool_id: string | null;
  user_id: string | null; group_id: string | null; privilege: string; created_at: string; updated_at: string;
}

/** The engine's lease on this store (one row, id 1): see engine/engine-lease.ts. */
export interface EngineLeaseRow {
  id: number;
  owner: string;
  /** ISO 8601 UTC, compared as text (same format everywhere). */
  expires_at: string;
}

/** A mover process (migration 0007): a row per `BARGE_MOVER_NAME`, refreshed by its heartbeat. */
export interface MoverRow {
  name: string; host: string; pid: number; slots: number; storages: string; state: string;
  started_at: string; last_heartbeat_at: string; bandwidth: number; files_done: number; bytes_done: number;
}

/** Permits of an execution's `parallel` a mover holds (migration 0010), under a lease. */
export interface ParallelPermitRow {
  execution_id: string; owner: string; permits: number; expires_at: string;
}

/** A task's schedule (migration 0012): its rule and the bookkeeping of its occurrences (domain/schedule.ts). */
export interface TaskScheduleRow {
  id: string; task_id: string; rrule: string; catch_up: number; done: number; next_at: string | null;
  missed_count: number; skipped_count: number; refused_count: number; missed_first: string | null; missed_last: string | null;
  last_run_at: string | null; last_execution_id: string | null; last_error: string | null; last_error_at: string | null;
  created_at: string; updated_at: string;
}

/**
 * A task's callback (migration 0013): a script (`language`, `script`) or, for `type: "webhook"`, a
 * URL, a sealed secret and the events (JSON array) it hears; the columns a type does not use are null.
 */
export interface TaskCallbackRow {
  id: string; task_id: string; type: string; language: string | null; script: string | null; url: string | null;
  secret_sealed: string | null; events: string | null; created_at: string; updated_at: string;
}

/**
 * A webhook delivery (migration 0014): one event of an execution for one `webhook` callback, its JSON
 * body fixed when the event happened, and where its attempts stand (engine/webhooks/webhook-store.ts).
 */
export interface WebhookDeliveryRow {
  id: string; callback_id: string; task_id: string; execution_id: string; event: string; subject: string; payload: string;
  state: string; attempts: number; next_attempt_at: string | null; last_status: number | null; last_error: string | null;
  created_at: string; updated_at: string; finished_at: string | null;
}
/** One attempt of a webhook delivery (migration 0014). */
export interface WebhookAttemptRow {
  delivery_id: string; attempt: number; started_at: string; duration_ms: number; status_code: number | null; error: string | null; outcome: string;
}

/** A tape library (migration 0016); `path` is where a virtual library keeps its cartridge files. */
export interface TapeLibraryRow {
  id: string; name: string; type: string; path: string; comment: string | null; slots: number; drives: number; mailslots: number;
  tape_type: string; capacity_bytes: number; load_seconds: number; seek_mb_per_second: number; barcode_prefix: string; status: string;
  created_at: string; updated_at: string;
}
/** A drive of a library (migration 0016): who uses it now (`execution_id`, `task_id`) and its counters. */
export interface TapeDriveRow {
  id: string; tape_library_id: string; drive_index: number; name: string; serial: string; status: string;
  execution_id: string | null; task_id: string | null; mount_count: number; bandwidth: number; bytes_written: number; bytes_read: number;
  created_at: string; updated_at: string;
}
/** A cartridge (migration 0016): where it is, what Barge decided about it (pool, lock), how full it is. Booleans are 0/1. */
export interface TapeRow {
  id: string; tape_library_id: string; pool_id: string | null; barcode: string; type: string; location: string; location_index: number | null;
  home_slot: number | null; locked: number; scratch: number; cleaning: number; write_protect: number; mounted: number; ejected: number;
  mount_count: number; capacity_bytes: number; used_bytes: number; free_bytes: number; sessions: number; hash: string | null;
  secondary_of: string | null; bytes_written: number; bytes_read: number; date_in: string; date_move: string; last_size_update: string | null;
  created_at: string; updated_at: string;
}
/** A file on a cartridge (migration 0016): the session that wrote it and where its bytes are. */
export interface TapeFileRow {
  tape_id: string; session_no: number; path: string; data_offset: number; header_offset: number; size: number; checksum: string; algorithm: string;
  mtime_ms: number; mode: number | null; execution_id: string | null; recorded_at: string;
}

/** A file whose local copy cache_cleaning deleted, and the tape copy it relies on (migration 0018). */
export interface EvictedFileRow {
  storage_id: string; path: string; tape_id: string; session_no: number; member: string; size: number; mtime_ms: number; atime_ms: number | null;
  mode: number | null; uid: number | null; gid: number | null; checksum: string; algorithm: string; execution_id: string; evicted_at: string;
}

export interface Database {
  users: UserRow;
  api_keys: ApiKeyRow;
  tasks: TaskRow;
  task_endpoints: TaskEndpointRow;
  task_executions: ExecutionRow;
  task_schedules: TaskScheduleRow;
  task_callbacks: TaskCallbackRow;
  webhook_deliveries: WebhookDeliveryRow;
  webhook_attempts: WebhookAttemptRow;
  defer_tokens: DeferTokenRow;
  nas: NasRow;
  nas_shares: NasShareRow;
  cloud_connectors: CloudConnectorRow;
  cloud_buckets: CloudBucketRow;
  pools: PoolRow;
  groups: GroupRow;
  group_members: GroupMemberRow;
  storage_privileges: StoragePrivilegeRow;
  work_batches: WorkBatchRow;
  work_batch_items: WorkBatchItemsRow;
  engine_lease: EngineLeaseRow;
  movers: MoverRow;
  parallel_permits: ParallelPermitRow;
  file_ledger: FileLedgerRow;
  catalog_entries: CatalogEntryTable;
  task_owner_stats: TaskOwnerStatsRow;
  store_generations: StoreGenerationRow;
  tape_libraries: TapeLibraryRow;
  tape_drives: TapeDriveRow;
  tapes: TapeRow;
  tape_files: TapeFileRow;
  evicted_files: EvictedFileRow;
}
