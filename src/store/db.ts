/**
 * Opens the SQL store: SQLite (better-sqlite3, WAL) by default, PostgreSQL (pg) when configured, and
 * runs the migrations. Only the composition root calls this; everything else receives the Kysely
 * instance and the dialect name.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { ScopedPostgresDialect } from './pg-dialect.js';
import { privateStoreFile } from '../lib/private-files.js';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { keptStatements } from './sqlite-statements.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * The SQLite connection under `db` (SQLite only), for the few hot paths that need a prepared
   * statement kept across calls (Kysely prepares every query anew: ~12 µs per ledger row). Use it only
   * inside `db.connection().execute(…)` and synchronously, so Kysely's own queries and transactions on
   * the same connection never interleave with it.
   */
  readonly sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export type StoreTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/**
 * The pg driver, loaded when a PostgreSQL store is opened. Why not imported at the top: an embedded
 * (SQLite) Barge never uses it, and each thread that loads it pays ~15 MiB of resident memory (issue
 * #14: ≤ 300 MiB at 1,000,000 files; test/start-footprint.test.ts).
 */
async function loadPg(): Promise<typeof import('pg').default> {
  const pg = (await import('pg')).default;
  // int8 (20) as JS numbers: sizes stay exact up to 2^53 bytes, and JSON output needs no BigInt handling.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  // float8 is already parsed; numeric (1700) is not used.
  return pg;
}

/**
 * Opens (and creates if needed) the store and brings its schema up to date — or, with `migrateTo`,
 * only up to that migration (tests of an upgrade path: an old schema with data, then the new ones).
 */
export async function openStore(target: StoreTarget, opts: { migrateTo?: string } = {}): Promise<Store> {
  let db: Kysely<Database>;
  let raw: SQLite.Database | undefined;
  if (target.kind === 'sqlite') {
    if (target.file !== ':memory:') {
      mkdirSync(dirname(target.file), { recursive: true, mode: 0o700 });
      privateStoreFile(target.file);
    }
    const sqlite = new SQLite(target.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: keptStatements(sqlite) }) });
    raw = sqlite;
  } else {
    const pg = await loadPg();
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    db = new Kysely<Database>({ dialect: new ScopedPostgresDialect({ pool }) });
  }
  // On PostgreSQL, name the schema of the migration tables: without it Kysely's migrator takes a
  // `barge_migrations_lock` in ANY schema of the database as its own (another Barge, or a parallel
  // test, using another schema), skips creating it and fails with "relation does not exist".
  let migrationTableSchema: string | undefined;
  if (target.kind === 'postgres') {
    const r = await sql<{ s: string | null }>`SELECT current_schema() AS s`.execute(db);
    migrationTableSchema = r.rows[0]?.s ?? undefined;
  }
  const migrator = new Migrator({ db, provider: migrationProvider(target.kind), migrationTableName: 'barge_migrations', migrationLockTableName: 'barge_migrations_lock', migrationTableSchema });
  const { error, results } = opts.migrateTo ? await migrator.migrateTo(opts.migrateTo) : await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { db, dialect: target.kind, ...(raw ? { sqlite: raw } : {}), close: () => db.destroy() };
}
