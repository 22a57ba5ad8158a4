import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { keptStatements } from './sqlite-statements.js';

describe('kept SQLite statements (Kysely over better-sqlite3)', () => {
  it('prepares a text once, keeps the most recent ones, and never hands out a statement still busy', async () => {
    const raw = new SQLite(':memory:');
    const prepared: string[] = [];
    const spy = new Proxy(raw, {
      get(target, prop) {
        if (prop === 'prepare') return (text: string) => (prepared.push(text), target.prepare(text));
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const kept = keptStatements(spy, 3);
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: kept }) });
    await sql`CREATE TABLE t (n INTEGER)`.execute(db);
    for (let i = 0; i < 5; i++) await db.insertInto('t').values({ n: i }).execute();
    assert.equal(prepared.filter((p) => p.startsWith('insert')).length, 1, 'one insert text, prepared once');
    const n = async () => (await db.selectFrom('t').select((eb) => eb.fn.countAll<number>().as('c')).executeTakeFirstOrThrow()).c;
    assert.equal(await n(), 5);
    // A stream ended early resets its statement (a busy one is never handed out): the text runs again.
    const stream = db.selectFrom('t').selectAll().orderBy('n').stream();
    const it1 = stream[Symbol.asyncIterator]();
    assert.deepEqual((await it1.next()).value, { n: 0 });
    await it1.return?.(undefined);
    assert.deepEqual((await db.selectFrom('t').selectAll().orderBy('n').execute()).map((r) => r.n), [0, 1, 2, 3, 4]);
    // Bounded: older texts go.
    for (let i = 0; i < 6; i++) await sql.raw(`SELECT ${i} AS x`).execute(db);
    assert.equal(kept.kept, 3);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('t').where('n', '<', 2).execute();
    });
    assert.equal(await n(), 3);
    await db.destroy();
  });

  it('a transaction SQLite rolled back itself fails with its own error (a full database), not a failed rollback', async () => {
    const raw = new SQLite(':memory:');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: keptStatements(raw) }) });
    await sql`CREATE TABLE t (v TEXT)`.execute(db);
    raw.pragma('max_page_count = 20');
    const filling = db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1000; i++) await trx.insertInto('t').values({ v: 'x'.repeat(1000) }).execute();
    });
    await assert.rejects(filling, (err: { code?: string }) => err.code === 'SQLITE_FULL');
    assert.equal(raw.inTransaction, false);
    // The connection is usable afterwards, and a rollback Kysely does itself still rolls back.
    raw.pragma('max_page_count = 100000');
    await assert.rejects(db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'kept?' }).execute();
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal((await db.selectFrom('t').selectAll().execute()).length, 0);
    await db.destroy();
  });
});
