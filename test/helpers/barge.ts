/**
 * Boots a real Barge in process on an ephemeral port, with its own data dir and store — SQLite by
 * default, or PostgreSQL (a fresh schema per boot) when `dialect: 'postgres'` and BARGE_TEST_PG_URL
 * is set — and gives tests a small fetch-based client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { createBarge, type Barge, type BargeOverrides } from '../../src/compose.js';
import { createLogger } from '../../src/lib/logger.js';

export const ADMIN_PASSWORD = 'admin-test-password';
export const PG_URL = process.env.BARGE_TEST_PG_URL;

export type DialectName = 'sqlite' | 'postgres';

/** The dialects to run a suite on: SQLite always, PostgreSQL when its URL is set (else a printed skip). */
export function dialects(): DialectName[] {
  return PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function pgSkipReason(): string | false {
  return PG_URL ? false : 'BARGE_TEST_PG_URL is not set: PostgreSQL variant skipped';
}

export interface Booted {
  barge: Barge;
  url: string;
  api: Client;
  admin: Client;
  dataDir: string;
  /** The store's URL (PostgreSQL) or undefined (SQLite in the data dir): what other processes of this Barge use. */
  databaseUrl: string | undefined;
  stop(): Promise<void>;
}

/** Creates a schema of its own in the test database and returns a URL that uses it. */
export async function freshPgUrl(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * Boots Barge. The engine is off unless `engine: true`: control-plane suites check the state machine
 * on executions that stay where the API put them; engine suites move real files.
 */
export async function boot(opts: { dialect?: DialectName; env?: Record<string, string>; overrides?: BargeOverrides; engine?: boolean } = {}): Promise<Booted> {
  const dataDir = await mkdtemp(join(tmpdir(), 'barge-test-'));
  let dropPg: (() => Promise<void>) | undefined;
  const env: Record<string, string> = { BARGE_DATA_DIR: dataDir, BARGE_ADMIN_PASSWORD: ADMIN_PASSWORD, BARGE_LOG_LEVEL: 'silent', BARGE_ENGINE: opts.engine ? 'on' : 'off', ...opts.env };
  if (opts.dialect === 'postgres') {
    if (!PG_URL) throw new Error('BARGE_TEST_PG_URL is not set');
    const fresh = await freshPgUrl(PG_URL);
    env.BARGE_DATABASE_URL = fresh.url;
    dropPg = fresh.drop;
  }
  const config = loadConfig(env);
  const barge = await createBarge(config, { logger: createLogger('silent'), ...opts.overrides });
  const address = await barge.app.listen({ host: '127.0.0.1', port: 0 });
  const api = new Client(address + '/api/v2');
  return {
    barge, url: address, api, dataDir, databaseUrl: env.BARGE_DATABASE_URL,
    admin: api.withBasic('admin', ADMIN_PASSWORD),
    async stop() {
      await barge.close();
      if (dropPg) await dropPg();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny HTTP client: JSON in, JSON out, with one authorization header. */
export class Client {
  constructor(
    readonly base: string,
    readonly authorization?: string,
  ) {}

  withBasic(user: string, password: string): Client {
    return new Client(this.base, `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  }

  withAuth(header: string): Client {
    return new Client(this.base, header);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.authorization && !('authorization' in h)) h.authorization = this.authorization;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: r.status, body: parsed as T, headers: r.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
