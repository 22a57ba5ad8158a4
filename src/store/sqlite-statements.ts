/**
 * The SQLite connection as Kysely sees it, with its prepared statements kept: Kysely's SQLite driver
 * calls `prepare` for every query it runs, and SQLite then parses and plans the same text again — for
 * the engine's hottest statements (claims, completions, the walk's inserts and checkpoints, progress)
 * that was a visible share of the engine thread's CPU per small file (issue #14). Kept by SQL text,
 * the most recently used `max` of them (texts vary with the length of IN lists and with the API's
 * filters). Why this is safe: Kysely runs one query at a time on its connection, and a statement still
 * busy (a stream left unfinished) is never handed out again — a fresh one is prepared instead.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

export function keptStatements(db: SQLite.Database, max = 256): SqliteDatabase & { readonly kept: number } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM):
      // Kysely's ROLLBACK then failed with "cannot rollback - no transaction is active", and that error
      // replaced the one that says what went wrong (a full disk reported as a rollback problem).
      if (sql === 'rollback' && !db.inTransaction) return NOTHING_TO_ROLL_BACK;
      const hit = cache.get(sql);
      if (hit !== undefined) {
        if (hit.busy) return db.prepare(sql);
        cache.delete(sql); // most recently used last
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
    get kept() {
      return cache.size;
    },
  };
}

/** What Kysely runs for a ROLLBACK that SQLite already did: nothing (see keptStatements). */
const NOTHING_TO_ROLL_BACK = {
  reader: false,
  busy: false,
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
} as unknown as SQLite.Statement;
