/**
 * Test support for store-level tests: a fresh, migrated store on SQLite (a temporary file) or on
 * PostgreSQL (a schema of its own in BARGE_TEST_PG_URL's database), and one statement on that base
 * database. Why a bare client for schemas: a store opened on the base URL would migrate `public`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Dialect, type Store, type StoreTarget } from './db.js';

export const TEST_PG_URL = process.env.BARGE_TEST_PG_URL;

/** The dialects a store test runs on: SQLite always, PostgreSQL when its URL is set (else a printed skip). */
export function testDialects(): Dialect[] {
  if (!TEST_PG_URL) console.log('# PostgreSQL variant skipped: BARGE_TEST_PG_URL is not set');
  return TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** Runs one statement on the base test database. */
export async function onBase(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** A fresh migrated store; `done()` closes it and removes its file or schema. */
export async function openTestStore(dialect: Dialect, prefix: string): Promise<{ store: Store; done: () => Promise<void> }> {
  const { target, remove } = await testTarget(dialect, prefix);
  const store = await openStore(target);
  return { store, done: async () => { await store.close(); await remove(); } };
}

/** Where a fresh test store lives (a temporary file, or a schema of its own), opened as often as a test likes. */
export async function testTarget(dialect: Dialect, prefix: string): Promise<{ target: StoreTarget; remove: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `barge-${prefix}-`));
    return { target: { kind: 'sqlite', file: join(dir, 'barge.sqlite') }, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await onBase(`CREATE SCHEMA ${schema}`);
  const url = new URL(TEST_PG_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { target: { kind: 'postgres', url: url.toString() }, remove: () => onBase(`DROP SCHEMA ${schema} CASCADE`) };
}
