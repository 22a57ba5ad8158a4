/**
 * Who may read and write which storage (issue #15): groups of users, privileges per storage for a
 * user or a group (`none | read | read_write`), and each storage's `guest_right` for every
 * authenticated user.
 *
 * Upgrade path: storages that exist before this migration get `guest_right = read_write`, so an
 * installation keeps working as it did (everybody could use every storage); admins tighten it (README,
 * "Upgrading"). Storages created afterwards start at `none`.
 *
 * A privilege names its storage and its grantee through nullable foreign keys (one of
 * `nas_share_id | cloud_bucket_id | pool_id`, one of `user_id | group_id`) so that deleting any of
 * them removes its privileges in the same statement, on both dialects (SQLite runs with
 * foreign_keys = ON). `storage_id` repeats the storage's id for lookups and uniqueness.
 */
import { sql, type Kysely } from 'kysely';

const now = (c: any) => c.notNull();

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['nas_shares', 'cloud_buckets', 'pools']) {
    await db.schema.alterTable(table).addColumn('guest_right', 'varchar(16)', (c) => c.notNull().defaultTo('none')).execute();
    await sql`UPDATE ${sql.table(table)} SET guest_right = 'read_write'`.execute(db);
  }
  await db.schema.createTable('groups')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('group_members')
    .addColumn('group_id', 'varchar(64)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('group_members_user').on('group_members').columns(['user_id']).execute();
  await db.schema.createTable('storage_privileges')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('storage_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('nas_share_id', 'varchar(64)', (c) => c.references('nas_shares.id').onDelete('cascade'))
    .addColumn('cloud_bucket_id', 'varchar(64)', (c) => c.references('cloud_buckets.id').onDelete('cascade'))
    .addColumn('pool_id', 'varchar(64)', (c) => c.references('pools.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('group_id', 'varchar(64)', (c) => c.references('groups.id').onDelete('cascade'))
    .addColumn('privilege', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  // One entry per storage and grantee (NULLs are distinct in unique indexes on both dialects).
  await db.schema.createIndex('storage_privileges_user').on('storage_privileges').columns(['storage_id', 'user_id']).unique().execute();
  await db.schema.createIndex('storage_privileges_group').on('storage_privileges').columns(['storage_id', 'group_id']).unique().execute();
}
