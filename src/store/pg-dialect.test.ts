/**
 * Introspection on PostgreSQL while another session drops a schema of the same database: Kysely's stock
 * introspector failed there ("schema … does not exist": a failed boot in CI, where test files create
 * and drop schemas side by side); Barge's own (pg-dialect.ts) reads only its schema. The race is made
 * deterministic with a snapshot taken before the drop commits — the catalog rows the query scans are
 * then the old ones, while name lookups see the drop. Needs BARGE_TEST_PG_URL (skipped otherwise).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type DatabaseIntrospector } from 'kysely';
import { openStore } from './db.js';
import { CurrentSchemaIntrospector, ScopedPostgresDialect } from './pg-dialect.js';

const PG_URL = process.env.BARGE_TEST_PG_URL;
const skip = PG_URL ? false : 'BARGE_TEST_PG_URL is not set: PostgreSQL test skipped';
if (skip) console.log(`# ${skip}`);

function urlWithSchema(schema: string): string {
  const u = new URL(PG_URL!);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Lists tables through `db`'s introspector inside a transaction whose snapshot predates the drop of
 * another schema (with a table) by another session.
 */
async function tablesAcrossADrop(db: Kysely<any>): Promise<Awaited<ReturnType<DatabaseIntrospector['getTables']>>> {
  const doomed = `doomed_${randomBytes(4).toString('hex')}`;
  await withClient(async (c) => {
    await c.query(`CREATE SCHEMA ${doomed}`);
    await c.query(`CREATE TABLE ${doomed}.t (id serial PRIMARY KEY)`);
  });
  try {
    return await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      await sql`SELECT 1`.execute(trx); // the snapshot: the doomed schema is in it
      await withClient((c) => c.query(`DROP SCHEMA ${doomed} CASCADE`));
      return trx.introspection.getTables({ withInternalKyselyTables: true });
    });
  } finally {
    await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${doomed} CASCADE`));
  }
}

describe('PostgreSQL introspection during a concurrent DROP SCHEMA', { skip }, () => {
  it('the stock introspector fails (why the scoped one exists)', async () => {
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 1 }) }) });
    try {
      await assert.rejects(tablesAcrossADrop(db), /does not exist/);
    } finally {
      await db.destroy();
    }
  });

  it('the scoped introspector lists only the current schema, and does not fail', async () => {
    const mine = `mine_${randomBytes(4).toString('hex')}`;
    await withClient(async (c) => {
      await c.query(`CREATE SCHEMA ${mine}`);
      await c.query(`CREATE TABLE ${mine}.kept (id int)`);
      await c.query(`CREATE VIEW ${mine}.seen AS SELECT 1 AS one`);
    });
    const db = new Kysely<any>({ dialect: new ScopedPostgresDialect({ pool: new pg.Pool({ connectionString: urlWithSchema(mine), max: 1 }) }) });
    try {
      const tables = await tablesAcrossADrop(db);
      assert.deepEqual(tables.map((t) => [t.schema, t.name, t.isView]), [[mine, 'kept', false], [mine, 'seen', true]]);
      assert.ok((await db.introspection.getSchemas()).some((s) => s.name === mine));
    } finally {
      await db.destroy();
      await withClient((c) => c.query(`DROP SCHEMA ${mine} CASCADE`));
    }
  });

  it('the store opens PostgreSQL with the scoped introspector, and migrates its own schema', async () => {
    const mine = `boot_${randomBytes(4).toString('hex')}`;
    await withClient((c) => c.query(`CREATE SCHEMA ${mine}`));
    try {
      const store = await openStore({ kind: 'postgres', url: urlWithSchema(mine) });
      try {
        assert.ok(store.db.introspection instanceof CurrentSchemaIntrospector);
        const names = (await store.db.introspection.getTables()).map((t) => t.name);
        assert.ok(names.includes('tasks') && names.includes('barge_migrations'), names.join(', '));
      } finally {
        await store.close();
      }
    } finally {
      await withClient((c) => c.query(`DROP SCHEMA ${mine} CASCADE`));
    }
  });
});
