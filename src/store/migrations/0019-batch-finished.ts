/**
 * Issue #14: successes of plain copies (and skips) no longer get a ledger row each without
 * `full_report` — the hottest write of a small-file copy. What a re-claimed batch must skip is then
 * recorded per batch: `work_batches.finished`, written when a mover hands a batch back (pause, stop,
 * shutdown), holds the items it finished without a ledger row as JSON `[[index in items, size], …]`
 * (null: none). A batch whose mover died has none written, and its unrecorded copies are redone
 * (idempotent: same planned paths, at least once, never lost).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('work_batches').addColumn('finished', 'text').execute();
}
