/**
 * Configuration: read from the environment once at boot, validated as a whole (every bad variable
 * is listed, not just the first), then frozen. This file is the only home of defaults.
 */
import { resolve } from 'node:path';
import { parseWebhookAllow, type WebhookAllowList } from './webhook-allow.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `sqlite` (a file in the data dir) or `postgres` (from BARGE_DATABASE_URL). */
  readonly database: { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };
  /** Only used on first start, when no admin exists yet. */
  readonly adminPassword: string | undefined;
  /** HS256 secret for JWTs; when unset one is generated and kept in the data dir. */
  readonly jwtSecret: string | undefined;
  readonly jwtTtlSeconds: number;
  readonly deferTtlSeconds: number;
  /** Allowed CORS origins; empty = CORS off. */
  readonly corsOrigins: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long a checked Basic credential stays cached, so the API is not bound by the password KDF. */
  readonly basicCacheSeconds: number;
  /** Run the engine (dispatcher + movers) in this process; off = an API-only node. */
  readonly engine: boolean;
  /** Concurrent file transfers of this process's mover. */
  readonly moverSlots: number;
  /** Worker threads that copy files between posix storages (blocked in fsync they use no CPU). */
  readonly copyWorkers: number;
  /**
   * Niceness of the copy worker threads (0–19; thread-nice.ts). Why a setting: the engine thread walks,
   * plans and feeds them, and on 2 CPUs it lost the CPU to them each time it woke another thread; with
   * 5 the walk of 100,000 small files ended ~30% sooner, but whole copies were not measurably faster on
   * this session's noisy disk (issue #14), so the default leaves them at the process's priority.
   */
  readonly copyNice: number;
  /** Group commit of small posix copies with syncfs where the kernel reports its errors (fs-sync.ts). */
  readonly posixSyncfs: boolean;
  /** Copy workers run a group of small posix copies in one call of the native copier when it was built (native/). */
  readonly nativeCopy: boolean;
  /** This process's name as a mover (and dispatcher): `host:pid` unless set. */
  readonly moverName: string | undefined;
  /** What a `barge mover` reaches: storage names, or `*` (every storage whose path exists here). */
  readonly moverStorages: readonly string[] | '*';
  /** How long a mover told to stop lets its files in flight finish before aborting them. */
  readonly moverDrainSeconds: number;
  /**
   * Lease of the engine (dispatcher) and of batches (movers): a dead dispatcher is replaced, and a
   * dead mover's batches return to the queue, this long after its last heartbeat (renewed every third).
   */
  readonly leaseSeconds: number;
  /**
   * `GET /metrics` (Prometheus text, no credentials, like most scrape targets): on by default, and
   * off for a site that exposes the API's port to people who should not see its activity.
   */
  readonly metrics: boolean;
  /** `barge mover`: the port of its own `GET /metrics` (off when unset), on BARGE_HOST. */
  readonly metricsPort: number | undefined;
  /** Redis for BullMQ: batches travel through it to the movers (scale-out); the store stays the record. */
  readonly redisUrl: string | undefined;
  /** Prefix of Barge's keys in Redis (several installations may share one). */
  readonly redisPrefix: string;
  /**
   * The key that seals cloud connector secrets (32 bytes, base64url), when given by the environment
   * rather than `keys/secret-box.key` of the data dir: what mover hosts without the data dir use.
   */
  readonly secretKey: Buffer | undefined;
  /**
   * Directories under which virtual tape libraries may be created (BARGE_TAPE_ROOTS, `:`-separated
   * absolute paths; default `<data dir>/tape`): the API never writes cartridge files elsewhere.
   */
  readonly tapeRoots: readonly string[];
  /**
   * A schedule's occurrence first seen by a dispatcher longer than this after it passed is missed
   * (no dispatcher ran then), not run late (BARGE_SCHEDULE_GRACE_SECONDS; domain/schedule.ts).
   */
  readonly scheduleGraceSeconds: number;
  /** Private/loopback targets webhooks may call (BARGE_WEBHOOK_ALLOW; config/webhook-allow.ts). */
  readonly webhookAllow: WebhookAllowList;
  /** Wait after a webhook's first failed attempt; doubled each time up to an hour (BARGE_WEBHOOK_BACKOFF_MS). */
  readonly webhookBackoffMs: number;
  /** How long one webhook attempt may take (BARGE_WEBHOOK_TIMEOUT_SECONDS). */
  readonly webhookTimeoutSeconds: number;
  /** How long a webhook delivery is retried before it is given up (BARGE_WEBHOOK_RETRY_SECONDS, 24 h). */
  readonly webhookRetrySeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function moverName(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 200 || !/^[\w.:@-]+$/.test(raw)) problems.push(`BARGE_MOVER_NAME=${JSON.stringify(raw)} must be up to 200 letters, digits and . : @ _ -`);
  return raw;
}

function redisUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let ok = false;
  try {
    const u = new URL(raw);
    ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  // Never echo the URL: it may hold a password.
  if (!ok) problems.push('BARGE_REDIS_URL must be a redis:// or rediss:// URL (redis://[:password@]host[:port][/db])');
  return raw;
}

function secretKey(raw: string | undefined, problems: string[]): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  const key = Buffer.from(raw.trim(), 'base64url');
  // Never echo it: it is a secret.
  if (key.length !== 32) problems.push('BARGE_SECRET_KEY must be 32 bytes in base64url (the content of keys/secret-box.key)');
  return key;
}

function tapeRoots(raw: string | undefined, dataDir: string, problems: string[]): readonly string[] {
  if (raw === undefined || raw.trim() === '') return Object.freeze([resolve(dataDir, 'tape')]);
  const roots = raw.split(':').map((s) => s.trim()).filter(Boolean);
  const relative = roots.filter((r) => !r.startsWith('/'));
  if (relative.length > 0) problems.push(`BARGE_TAPE_ROOTS must list absolute paths separated by : (not ${relative.join(', ')})`);
  return Object.freeze(roots.map((r) => resolve(r)));
}

function storageList(raw: string | undefined): readonly string[] | '*' {
  const names = (raw ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
  return names.length === 0 || names.includes('*') ? '*' : Object.freeze(names);
}

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name}=${JSON.stringify(raw)} must be on or off`);
    return fallback;
  };
  const host = env.BARGE_HOST || '127.0.0.1';
  const port = env.BARGE_PORT ? int('BARGE_PORT', 8080, 0, 65535) : int('PORT', 8080, 0, 65535);
  const dataDir = resolve(env.BARGE_DATA_DIR || './data');
  const dbUrl = env.BARGE_DATABASE_URL;
  let database: Config['database'] = { kind: 'sqlite', file: resolve(dataDir, 'barge.sqlite') };
  if (dbUrl) {
    if (/^postgres(ql)?:\/\//.test(dbUrl)) database = { kind: 'postgres', url: dbUrl };
    else if (dbUrl.startsWith('sqlite:')) database = { kind: 'sqlite', file: resolve(dbUrl.slice('sqlite:'.length).replace(/^\/\//, '')) };
    else problems.push('BARGE_DATABASE_URL must start with postgres:// or sqlite:');
  }
  const adminPassword = env.BARGE_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) problems.push('BARGE_ADMIN_PASSWORD must be at least 8 characters');
  const jwtSecret = env.BARGE_JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32) problems.push('BARGE_JWT_SECRET must be at least 32 characters');
  const logLevel = (env.BARGE_LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`BARGE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const corsOrigins = (env.BARGE_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const config: Config = {
    host,
    port,
    dataDir,
    database,
    adminPassword,
    jwtSecret,
    jwtTtlSeconds: int('BARGE_JWT_TTL_SECONDS', 3600, 60, 30 * 86400),
    deferTtlSeconds: int('BARGE_DEFER_TTL_SECONDS', 7 * 86400, 60, 365 * 86400),
    corsOrigins,
    logLevel,
    basicCacheSeconds: int('BARGE_BASIC_CACHE_SECONDS', 60, 0, 3600),
    engine: bool('BARGE_ENGINE', true),
    moverSlots: int('BARGE_MOVER_SLOTS', 8, 1, 256),
    copyWorkers: int('BARGE_COPY_WORKERS', 4, 1, 64),
    copyNice: int('BARGE_COPY_NICE', 0, 0, 19),
    posixSyncfs: bool('BARGE_POSIX_SYNCFS', true),
    nativeCopy: bool('BARGE_NATIVE_COPY', true),
    moverName: moverName(env.BARGE_MOVER_NAME, problems),
    moverStorages: storageList(env.BARGE_MOVER_STORAGES),
    moverDrainSeconds: int('BARGE_MOVER_DRAIN_SECONDS', 60, 0, 86400),
    leaseSeconds: int('BARGE_LEASE_SECONDS', 30, 3, 3600),
    metricsPort: env.BARGE_METRICS_PORT ? int('BARGE_METRICS_PORT', 0, 0, 65535) : undefined,
    redisUrl: redisUrl(env.BARGE_REDIS_URL, problems),
    redisPrefix: env.BARGE_REDIS_PREFIX || 'barge',
    secretKey: secretKey(env.BARGE_SECRET_KEY, problems),
    tapeRoots: tapeRoots(env.BARGE_TAPE_ROOTS, dataDir, problems),
    metrics: bool('BARGE_METRICS', true),
    scheduleGraceSeconds: int('BARGE_SCHEDULE_GRACE_SECONDS', 60, 1, 3600),
    webhookAllow: parseWebhookAllow(env.BARGE_WEBHOOK_ALLOW, problems),
    webhookBackoffMs: int('BARGE_WEBHOOK_BACKOFF_MS', 10_000, 10, 3_600_000),
    webhookTimeoutSeconds: int('BARGE_WEBHOOK_TIMEOUT_SECONDS', 10, 1, 300),
    webhookRetrySeconds: int('BARGE_WEBHOOK_RETRY_SECONDS', 86_400, 1, 30 * 86_400),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * For the entry points (`npm start`, `barge dispatcher`, `barge mover`): the configuration, or every
 * problem with it on stderr and exit code 2 — never a stack trace for a mistyped variable.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
