/**
 * Two Barge servers on ONE store — what a scale-out deployment looks like to each of them: a write
 * through one must be seen at once by the other, whose caches never heard of it. On SQLite both
 * open the same file (same data dir); on PostgreSQL both use the same fresh schema.
 */
import { boot, freshPgUrl, PG_URL, type Booted, type DialectName } from './barge.js';
import type { BargeOverrides } from '../../src/compose.js';

export interface Pair {
  /** The server under test. */
  a: Booted;
  /** Another server on the same store (its own process as far as `a` can tell). */
  b: Booted;
  stop(): Promise<void>;
}

export async function bootPair(dialect: DialectName, opts: { a?: { engine?: boolean; overrides?: BargeOverrides }; b?: { engine?: boolean; overrides?: BargeOverrides } } = {}): Promise<Pair> {
  let drop: (() => Promise<void>) | undefined;
  let shared: Record<string, string> = {};
  if (dialect === 'postgres') {
    if (!PG_URL) throw new Error('BARGE_TEST_PG_URL is not set');
    const fresh = await freshPgUrl(PG_URL);
    shared = { BARGE_DATABASE_URL: fresh.url };
    drop = fresh.drop;
  }
  const a = await boot({ env: shared, ...opts.a });
  // SQLite: b opens a's data dir (store file and keys); its own temp dir is what b.stop() removes.
  const b = await boot({ env: dialect === 'sqlite' ? { BARGE_DATA_DIR: a.dataDir } : shared, ...opts.b });
  return {
    a, b,
    async stop() {
      await b.stop();
      await a.stop();
      if (drop) await drop();
    },
  };
}

/** GET with the raw bytes of the body (byte-for-byte comparisons). */
export async function getRaw(base: string, authorization: string | undefined, path: string): Promise<{ status: number; bytes: Buffer; contentType: string | null }> {
  const r = await fetch(base + path, { headers: authorization ? { authorization } : {} });
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()), contentType: r.headers.get('content-type') };
}
