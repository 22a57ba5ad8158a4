/**
 * What `run` checks of the actions that work on the tape catalog (issue #12): `check_consistency`
 * on a tape pool or on cartridges, `cache_cleaning` and `rehydratation` on a primary share. Refused
 * with a 422 naming why before an execution exists — a share without `quota_bytes`, a threshold
 * missing or outside 0–100, endpoints that do not fit — so a schedule is refused the same way.
 * Why check_consistency on tape is an admin's (as format and get_index are): it loads cartridges,
 * named by barcode or by a tape pool, which holds no per-user rights. Cache cleaning and rehydration
 * change a share's files: the owner's rights on the share decide (RunLauncher's access check).
 */
import { DataManagementError } from '../domain/errors.js';
import { endpointKind } from '../domain/task.js';
import type { NasShareRow, TaskEndpointRow } from '../store/schema.js';
import { optionBarcodes, type TapeActionLookup } from './tape-action-check.js';

/** What the check reads beyond the tape action lookup: the share (its quota). */
export interface TapeCacheLookup extends TapeActionLookup {
  findShare?(id: string): Promise<Pick<NasShareRow, 'id' | 'name' | 'quota_bytes'> | undefined>;
}

/** The threshold of `options.rehydration_usage_threshold` when it is a number in 0–100, else undefined. */
export function usageThreshold(options: Record<string, unknown>): number | undefined {
  const t = options.rehydration_usage_threshold;
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= 100 ? t : undefined;
}

/** Refuses (422, 403 for check_consistency by a non-admin owner) a tape catalog action that cannot run. */
export async function checkTapeCatalogAction(
  lookup: TapeCacheLookup | undefined, task: { name: string; user_id: string }, action: string, options: Record<string, unknown>, endpoints: TaskEndpointRow[],
): Promise<void> {
  const refuse = (why: string) => new DataManagementError(422, `Task ${task.name} (${action}) cannot run: ${why}`);
  if (!lookup) throw refuse('this process cannot check tape storages');
  const sources = endpoints.filter((e) => e.role === 'source');
  const destinations = endpoints.filter((e) => e.role === 'destination');
  if (destinations.length > 0) throw refuse(`${action} ${action === 'check_consistency' ? 'on tape re-reads cartridges and ' : ''}takes no destination`);
  if (action === 'check_consistency') {
    const owner = await lookup.findById(task.user_id);
    if (!owner || Number(owner.is_admin) !== 1) throw new DataManagementError(403, `Task ${task.name} (${action}) cannot run: checking cartridges is an admin's`);
    if (sources.length > 1 || sources.some((e) => endpointKind(e.type) !== 'tape')) throw refuse('check_consistency on tape takes one tape pool as its source (or options.barcodes)');
    if (sources[0] && !sources[0].pool_id) throw refuse('a tape endpoint needs a pool_id (a pool of content tape)');
    const barcodes = optionBarcodes(options);
    if (barcodes === null) throw refuse('options.barcodes must be a list of barcodes');
    if (!barcodes && sources.length === 0) throw refuse('name the cartridges with options.barcodes or a tape pool source');
    const unknown: string[] = [];
    for (const b of barcodes ?? []) if (!(await lookup.findTapeByBarcode(b))) unknown.push(b);
    if (unknown.length > 0) throw refuse(`unknown barcode${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    return;
  }
  const share = sources[0];
  if (sources.length !== 1 || !share || endpointKind(share.type) !== 'nas' || !share.storage_id) {
    throw refuse(`${action} works on one primary share: give it one source of type nas with a storage_id`);
  }
  if (action === 'cache_cleaning') {
    const row = await lookup.findShare?.(share.storage_id);
    if (!row) throw refuse(`the share ${share.storage_id} does not exist`);
    const quota = row.quota_bytes === null || row.quota_bytes === undefined ? 0 : Number(row.quota_bytes);
    if (!(quota > 0)) throw refuse(`the share ${row.name} has no quota: set its quota_bytes`);
    if (usageThreshold(options) === undefined) {
      throw refuse(options.rehydration_usage_threshold === undefined ? 'options.rehydration_usage_threshold is missing (the share\'s usage to reach, in % of its quota_bytes)' : 'options.rehydration_usage_threshold must be a number from 0 to 100 (% of the share\'s quota_bytes)');
    }
  }
}
