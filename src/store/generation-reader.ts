/**
 * Reads the store's generations (migration 0004; see services/generations.ts for their contract)
 * in one statement. Every authenticated request does this once, so it is made cheap:
 *
 * - SQLite: a second, read-only connection with statements prepared once (synchronous, a few µs).
 *   It sees only committed data, which matters: the main connection may be inside another caller's
 *   open transaction whose bump could still roll back. It asks `PRAGMA data_version` first, which
 *   changes whenever any other connection (this process's writer included, since this one never
 *   writes) has committed since its previous call: unchanged, the generations read last are still
 *   current and the SELECT is skipped.
 * - PostgreSQL: one pooled query (READ COMMITTED: committed data only).
 */
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { StoreTarget } from './db.js';

/** The counters of `store_generations` (services/generations.ts's `Generations` is the same shape). */
export interface StoreGenerations {
  tasks: number;
  auth: number;
}

const CURRENT = `SELECT (SELECT value FROM store_generations WHERE name = 'tasks') AS tasks,
  (SELECT value FROM store_generations WHERE name = 'auth') AS auth`;

function toGenerations(row: StoreGenerations | undefined): StoreGenerations {
  return Object.freeze({ tasks: Number(row?.tasks ?? 0), auth: Number(row?.auth ?? 0) });
}

/** Implements services' GenerationSource; compose.ts creates one per process and closes it. */
export class GenerationReader {
  private readonly reader: SQLite.Database | undefined;
  private readonly statement: SQLite.Statement<[], StoreGenerations> | undefined;
  private readonly dataVersion: SQLite.Statement<[], number> | undefined;
  /** The generations read last, and the data_version read just before them. */
  private last: { dataVersion: number; generations: StoreGenerations } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    target: StoreTarget,
  ) {
    // An in-memory database cannot be opened twice: its reads go through Kysely (and its mutex).
    if (target.kind === 'sqlite' && target.file !== ':memory:') {
      this.reader = new SQLite(target.file, { readonly: true, fileMustExist: true });
      this.reader.pragma('busy_timeout = 5000');
      this.statement = this.reader.prepare(CURRENT);
      this.dataVersion = this.reader.prepare<[], number>('PRAGMA data_version').pluck();
    }
  }

  /** The generations as committed now (frozen: callers share the object). */
  async current(): Promise<StoreGenerations> {
    if (!this.statement || !this.dataVersion) return toGenerations((await sql.raw<StoreGenerations>(CURRENT).execute(this.db)).rows[0]);
    // data_version before the SELECT: a commit in between makes the next call re-read, never miss.
    const dataVersion = this.dataVersion.get() as number;
    if (this.last?.dataVersion === dataVersion) return this.last.generations;
    const generations = toGenerations(this.statement.get());
    this.last = { dataVersion, generations };
    return generations;
  }

  close(): void {
    this.reader?.close();
  }
}
