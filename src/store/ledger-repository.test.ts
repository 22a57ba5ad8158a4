/**
 * The file ledger's upsert on a real, migrated store, on each dialect: SQLite takes a kept prepared
 * statement (Store.sqlite), PostgreSQL Kysely's multi-row insert — both must leave the same rows.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Store } from './db.js';
import { LedgerRepository } from './ledger-repository.js';
import type { FileLedgerRow } from './schema.js';
import { TEST_PG_URL, openTestStore } from './test-stores.js';

if (!TEST_PG_URL) console.log('# PostgreSQL variant skipped: BARGE_TEST_PG_URL is not set');

function row(key: string, status: string, extra: Partial<FileLedgerRow> = {}): FileLedgerRow {
  return {
    execution_id: 'e1', item_key: key, src_path: `/s/${key}`, dst_path: `/d/${key}`, size: 4096, checksum: null, status,
    error_class: null, error: null, attempts: 1, updated_at: '2026-11-29T00:00:00.000Z', operation: null, ...extra,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`LedgerRepository.record (${dialect})`, { skip: dialect === 'postgres' && !TEST_PG_URL ? 'BARGE_TEST_PG_URL is not set' : false }, () => {
    let handle: { store: Store; done: () => Promise<void> } | undefined;
    after(async () => handle?.done());

    it('inserts new rows and replaces rows of the same item, in one call and across calls', async () => {
      handle = await openTestStore(dialect, 'ledger');
      const { store } = handle;
      assert.equal(store.sqlite !== undefined, dialect === 'sqlite', 'SQLite exposes its connection for prepared statements');
      // The ledger's foreign key wants an execution; the test writes rows on their own.
      if (dialect === 'sqlite') await sql`PRAGMA foreign_keys = OFF`.execute(store.db);
      else await sql`ALTER TABLE file_ledger DROP CONSTRAINT IF EXISTS file_ledger_execution_id_fkey`.execute(store.db);
      const ledger = new LedgerRepository(store.db, store.dialect, store.sqlite);
      const many = Array.from({ length: 450 }, (_, i) => row(`k${i}`, 'done', { size: i }));
      await ledger.record(many);
      await ledger.record([row('k1', 'failed', { error_class: 'io', error: 'disk on fire', attempts: 3, size: 7 }), row('k450', 'copied', { checksum: 'abc' })]);
      const got = await ledger.forKeys('e1', ['k0', 'k1', 'k449', 'k450', 'nope']);
      assert.deepEqual([...got.keys()].sort(), ['k0', 'k1', 'k449', 'k450']);
      assert.deepEqual(got.get('k1'), row('k1', 'failed', { error_class: 'io', error: 'disk on fire', attempts: 3, size: 7 }));
      assert.deepEqual(got.get('k450'), row('k450', 'copied', { checksum: 'abc' }));
      assert.deepEqual(got.get('k449'), row('k449', 'done', { size: 449 }));
      const total = await store.db.selectFrom('file_ledger').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(total.n), 451);
    });

    it('a write waits for a Kysely transaction in progress instead of joining it', async () => {
      const { store } = handle!;
      const ledger = new LedgerRepository(store.db, store.dialect, store.sqlite);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let begun!: () => void;
      const inside = new Promise<void>((r) => (begun = r));
      // A transaction that writes a row, then waits, then rolls back.
      const trx = store.db.transaction().execute(async (t) => {
        await t.insertInto('file_ledger').values(row('rolled-back', 'done')).execute();
        begun();
        await held;
        throw new Error('roll back');
      }).catch(() => 'rolled back');
      await inside; // the transaction is open and holds its connection
      const write = ledger.record([row('kept', 'done')]);
      release();
      assert.equal(await trx, 'rolled back');
      await write;
      const got = await ledger.forKeys('e1', ['kept', 'rolled-back']);
      assert.deepEqual([...got.keys()], ['kept'], 'the ledger write is not undone by the other transaction\'s rollback');
    });
  });
}
