/**
 * The plain data callback scripts receive (docs/api-coverage.md): a walked entry as a file, a ledger
 * row as a result. Times are milliseconds since the epoch (numbers compare and subtract inside a
 * script without parsing), null where the storage records none.
 */
import type { Entry } from '../../storage/driver.js';
import type { FileLedgerRow } from '../../store/schema.js';

/** What `filter(file)` receives. */
export interface FileInput {
  path: string;
  name: string;
  kind: 'file' | 'folder' | 'symlink' | 'other';
  size: number;
  mtime: number;
  atime: number | null;
  ctime: number | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
}

export function fileInput(path: string, e: Entry): FileInput {
  return {
    path, name: e.name !== '' ? e.name : (path.split('/').filter(Boolean).at(-1) ?? ''), kind: e.kind === 'dir' ? 'folder' : e.kind,
    size: e.kind === 'file' ? e.size : 0, mtime: e.mtimeMs, atime: e.atimeMs ?? null, ctime: e.ctimeMs ?? null,
    mode: e.mode ?? null, uid: e.uid ?? null, gid: e.gid ?? null,
  };
}

/** What an `after_result_received` hook receives: the ledger row, as `GET /task_executions/{id}/files` shows it. */
export function resultInput(r: FileLedgerRow): Record<string, unknown> {
  return {
    execution_id: r.execution_id, item_key: r.item_key, src_path: r.src_path, dst_path: r.dst_path, size: Number(r.size), checksum: r.checksum,
    status: r.status, error_class: r.error_class, error: r.error, attempts: Number(r.attempts), updated_at: r.updated_at,
  };
}
