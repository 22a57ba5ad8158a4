/**
 * The SQLite store and the data dir are readable by their owner only (#15): a new store and its WAL
 * are created 0600 in a 0700 folder whatever the umask, and an older store left 0644 is tightened.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './db.js';
import { privateDir } from '../lib/private-files.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('private store files', () => {
  it('a new data dir, store, WAL and shared memory file are for their owner only', async () => {
    const base = mkdtempSync(join(tmpdir(), 'barge-private-'));
    const old = process.umask(0o022);
    try {
      const dataDir = join(base, 'data');
      privateDir(dataDir);
      const file = join(dataDir, 'barge.sqlite');
      const store = await openStore({ kind: 'sqlite', file });
      await store.db.insertInto('pools').values({ id: 'p', name: 'p', comment: null, type: 'primary', content: 'nas', guest_right: 'none', created_at: 't', updated_at: 't' }).execute();
      assert.equal(mode(dataDir), 0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f), 0o600, f);
      await store.close();
    } finally {
      process.umask(old);
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('an existing store readable by others is tightened at open; a data dir too', async () => {
    const base = mkdtempSync(join(tmpdir(), 'barge-private-'));
    try {
      const file = join(base, 'barge.sqlite');
      await (await openStore({ kind: 'sqlite', file })).close();
      chmodSync(file, 0o644);
      chmodSync(base, 0o755);
      privateDir(base);
      const store = await openStore({ kind: 'sqlite', file });
      assert.equal(mode(base), 0o700);
      assert.equal(mode(file), 0o600);
      await store.db.insertInto('pools').values({ id: 'p', name: 'p', comment: null, type: 'primary', content: 'nas', guest_right: 'none', created_at: 't', updated_at: 't' }).execute();
      assert.equal(mode(`${file}-wal`), 0o600, 'its new WAL follows');
      await store.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
