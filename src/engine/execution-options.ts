/**
 * A task's options as the engine applies them, read once from the execution's snapshot. Options that
 * cannot apply to the execution's storages are reported in the execution log, never silently dropped.
 */
import type { ChecksumAlgorithm } from '../lib/hashing.js';
import type { RestoreTier } from '../storage/driver.js';

export interface EngineOptions {
  checksum: ChecksumAlgorithm | null;
  conflict: 'rename' | 'overwrite' | 'ignore';
  resetFileDate: boolean;
  resetFolderDate: boolean;
  keepOwnership: boolean;
  ignoreHidden: boolean;
  recursive: boolean;
  ignoreCommonPath: boolean;
  removeRootFolder: boolean;
  order: 'asc' | 'dsc';
  /** Concurrent transfers for this execution; null = the mover's slots. */
  parallel: number | null;
  /** Weight in the fair share of mover slots (higher = more urgent); at least a small positive weight. */
  priority: number;
  fullReport: boolean;
  softErase: boolean;
  /** S3-like destinations: the storage class of written objects. */
  storageClass: string | null;
  /** Object Lock on written objects (destinations that declare objectLock). */
  lock: { mode: 'GOVERNANCE' | 'COMPLIANCE' | null; retentionDays: number | null; legalHold: boolean };
  /** Copy each source object's own Object Lock (retention, legal hold) to its copy (`inherit_object_lock_from_source`). */
  inheritLock: boolean;
  /**
   * Reading from a cold tier (sources that declare restoreFromCold): how long the restored copy stays
   * readable (`restoration_expiry_days`, default 1) and how fast it is retrieved (`retrieval_options_glacier`).
   */
  coldRestore: { days: number; tier: RestoreTier | null };
}

const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);

export function parseEngineOptions(o: Record<string, unknown>): EngineOptions {
  const checksum = o.file_checksum === 'crc32' || o.file_checksum === 'md5' || o.file_checksum === 'xxhash64' ? o.file_checksum : null;
  const conflict = o.conflict_resolution === 'rename' || o.conflict_resolution === 'overwrite' ? o.conflict_resolution : 'ignore';
  const parallel = typeof o.parallel === 'number' && Number.isInteger(o.parallel) && o.parallel >= 1 ? o.parallel : null;
  const priority = typeof o.priority === 'number' && Number.isFinite(o.priority) ? Math.max(0.1, 1 + o.priority) : 1;
  return {
    checksum,
    conflict,
    resetFileDate: bool(o.reset_file_date, false),
    resetFolderDate: bool(o.reset_folder_date, false),
    keepOwnership: bool(o.keep_file_ownership, false),
    ignoreHidden: bool(o.ignore_hidden, false),
    recursive: bool(o.recursive, true),
    ignoreCommonPath: bool(o.ignore_common_path, false),
    removeRootFolder: bool(o.remove_root_folder, false),
    order: o.processing_order === 'dsc' ? 'dsc' : 'asc',
    parallel,
    priority,
    fullReport: bool(o.full_report, false),
    softErase: bool(o.soft_erase, false),
    storageClass: typeof o.storage_class === 'string' && o.storage_class !== '' ? o.storage_class : null,
    lock: {
      mode: o.object_lock_mode === 'GOVERNANCE' || o.object_lock_mode === 'COMPLIANCE' ? o.object_lock_mode : null,
      retentionDays: typeof o.object_lock_retention_period === 'number' && o.object_lock_retention_period > 0 ? o.object_lock_retention_period : null,
      legalHold: bool(o.object_lock_legal_hold_status, false),
    },
    inheritLock: bool(o.inherit_object_lock_from_source, false),
    coldRestore: {
      days: typeof o.restoration_expiry_days === 'number' && Number.isInteger(o.restoration_expiry_days) && o.restoration_expiry_days >= 1 ? o.restoration_expiry_days : 1,
      tier: o.retrieval_options_glacier === 'Standard' || o.retrieval_options_glacier === 'Bulk' || o.retrieval_options_glacier === 'Expedited' ? o.retrieval_options_glacier : null,
    },
  };
}
