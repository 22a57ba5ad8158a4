/**
 * Cloud connectors keep only Nodeum's provider values: rows saved with a value Barge accepted before
 * it followed Nodeum's list are rewritten to their Nodeum equivalent (LEGACY_CLOUD_PROVIDERS). Why: a
 * Nodeum client validates `provider` against its own enumeration and rejects an unknown one, so a
 * connector listed with `minio` broke its whole `GET /cloud_connectors`. The driver is unchanged
 * (every legacy value was an S3 service).
 */
import type { Kysely } from 'kysely';
import { LEGACY_CLOUD_PROVIDERS } from '../../domain/storage-types.js';

export async function up(db: Kysely<any>): Promise<void> {
  for (const [legacy, nodeum] of Object.entries(LEGACY_CLOUD_PROVIDERS)) {
    await db.updateTable('cloud_connectors').set({ provider: nodeum }).where('provider', '=', legacy).execute();
  }
}
