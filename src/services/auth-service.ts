/**
 * Authentication: HTTP Basic (argon2id, with a short cache of good credentials so the API is not
 * bound by the KDF), API keys (SHA-256 lookup, scoped), and JWT sessions (HS256, from sign-in).
 */
import { hash, verify } from '@node-rs/argon2';
import { SignJWT, jwtVerify } from 'jose';
import { unauthorized, forbidden } from '../domain/errors.js';
import { randomToken, sha256Hex } from '../lib/tokens.js';
import type { Clock } from '../lib/clock.js';
import type { UserRepository } from '../store/user-repository.js';
import type { UserRow } from '../store/schema.js';
import { scopeAllows, type Principal, type Scope } from './principal.js';

/** argon2id parameters (OWASP: m=19 MiB, t=2, p=1). */
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 } as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export interface AuthOptions {
  jwtKey: Uint8Array;
  jwtTtlSeconds: number;
  basicCacheSeconds: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const CACHE_MAX = 10_000;

export class AuthService {
  private readonly basicCache = new Map<string, { userId: string; expires: number }>();
  /** A real argon2id hash of a random string: unknown usernames cost the same time as known ones. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserRepository,
    private readonly clock: Clock,
    private readonly opts: AuthOptions,
  ) {}

  /** Forgets cached Basic credentials (after any password or user change). */
  invalidate(): void {
    this.basicCache.clear();
  }

  /** Resolves an `Authorization` header to a principal, or throws 401. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw unauthorized('Authentication required');
    const [scheme = '', ...rest] = header.trim().split(/\s+/);
    const value = rest.join(' ');
    if (scheme.toLowerCase() === 'basic' && value) return this.basic(value);
    if (scheme.toLowerCase() === 'bearer' && value) return JWT_SHAPE.test(value) ? this.jwt(value) : this.apiKey(value);
    if (rest.length === 0) return JWT_SHAPE.test(scheme) ? this.jwt(scheme) : this.apiKey(scheme);
    throw unauthorized('Unsupported authorization scheme');
  }

  /** Throws 403 when an API key lacks the operation's scope. */
  authorize(p: Principal, need: Scope): void {
    if (p.via === 'api_key' && !scopeAllows(p.scopes ?? [], need)) {
      throw forbidden(`This API key lacks the scope ${need.controller}/${need.action}`);
    }
  }

  /** Checks a username/password pair (sign-in and Basic). */
  async checkPassword(username: string, password: string): Promise<UserRow> {
    const user = await this.users.findByUsername(username);
    // Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
    this.dummyHash ??= hashPassword(randomToken(16));
    const ok = await verify(user?.password_hash ?? (await this.dummyHash), password).catch(() => false);
    if (!user || !ok) throw unauthorized('Invalid username or password');
    return user;
  }

  /** Issues a session JWT for a user (sign-in). */
  async issueJwt(user: UserRow): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ username: user.username })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer('barge')
      .setAudience('barge-api')
      .setIssuedAt(now)
      .setExpirationTime(now + this.opts.jwtTtlSeconds)
      .sign(this.opts.jwtKey);
  }

  private async basic(encoded: string): Promise<Principal> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep <= 0) throw unauthorized('Malformed Basic credentials');
    const cacheKey = sha256Hex(decoded);
    const now = this.clock.now().getTime();
    const hit = this.basicCache.get(cacheKey);
    if (hit && hit.expires > now) {
      const user = await this.users.findById(hit.userId);
      if (user) return toPrincipal(user, 'basic');
    }
    const user = await this.checkPassword(decoded.slice(0, sep), decoded.slice(sep + 1));
    if (this.opts.basicCacheSeconds > 0) {
      if (this.basicCache.size >= CACHE_MAX) this.basicCache.clear();
      this.basicCache.set(cacheKey, { userId: user.id, expires: now + this.opts.basicCacheSeconds * 1000 });
    }
    return toPrincipal(user, 'basic');
  }

  private async jwt(token: string): Promise<Principal> {
    let sub: string | undefined;
    try {
      const { payload } = await jwtVerify(token, this.opts.jwtKey, {
        algorithms: ['HS256'],
        issuer: 'barge',
        audience: 'barge-api',
        currentDate: this.clock.now(),
      });
      sub = payload.sub;
    } catch {
      throw unauthorized('Invalid or expired token');
    }
    const user = sub ? await this.users.findById(sub) : undefined;
    if (!user) throw unauthorized('Invalid or expired token');
    return toPrincipal(user, 'jwt');
  }

  private async apiKey(key: string): Promise<Principal> {
    const row = await this.users.findKeyByHash(sha256Hex(key));
    if (!row) throw unauthorized('Invalid API key');
    const user = await this.users.findById(row.user_id);
    if (!user) throw unauthorized('Invalid API key');
    // last_used_at is kept to the minute: one write per key per minute at most, not one per request.
    const now = this.clock.now();
    if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
      await this.users.updateKey(row.id, { last_used_at: now.toISOString() });
    }
    return { ...toPrincipal(user, 'api_key'), scopes: JSON.parse(row.scopes) as Scope[] };
  }
}

function toPrincipal(user: UserRow, via: Principal['via']): Principal {
  return { userId: user.id, username: user.username, isAdmin: user.is_admin === 1, via };
}
