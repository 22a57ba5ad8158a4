/**
 * A NAS share's `username` and `password` (Nodeum's `nas_share` model: the account an SMB/NFS share is
 * mounted with), both sealed at rest with the secret box like a cloud connector's secret key. Why
 * sealed and not plain columns: they are credentials to the storage; the API returns the username to
 * admins only and never the password.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('nas_shares').addColumn('username_enc', 'text').execute();
  await db.schema.alterTable('nas_shares').addColumn('password_enc', 'text').execute();
}
