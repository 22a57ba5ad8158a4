/**
 * Authentication: HTTP Basic (argon2id, with a short cache of good credentials so the API is not
 * bound by the KDF), API keys (SHA-256 lookup, scoped), and JWT sessions (HS256, from sign-in).
 *
 * Resolved principals are cached per credential, each under the store's `auth` generation
 * (services/generations.ts: any password, username, admin flag, user deletion, API key scope change
 * or revocation bumps it, whichever process writes). Every request reads that generation and uses
 * a cached principal only while it is unchanged, so a revoked key or a changed password stops
 * working at the next request, on every Barge sharing the store.
 */
import { hash, verify } from '@node-rs/argon2';
import { SignJWT, jwtVerify } from 'jose';
import { unauthorized, forbidden } from '../domain/errors.js';
import { createHmac, hash as digest } from 'node:crypto';
import { randomToken } from '../lib/tokens.js';
import type { Clock } from '../lib/clock.js';
import type { UserRepository } from '../store/user-repository.js';
import type { UserRow } from '../store/schema.js';
import { scopeAllows, type Principal, type Scope } from './principal.js';
import type { GenerationSource } from './generations.js';

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

interface CachedPrincipal {
  principal: Principal;
  generation: number;
  /** Epoch ms after which the entry is not used (Basic: cache lifetime; JWT: token expiry). */
  expires: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const CACHE_MAX = 10_000;

export class AuthService {
  /** sha256(`user:password`) → principal, and the password hash it was verified against. */
  private readonly basicCache = new Map<string, CachedPrincipal & { passwordHash: string }>();
  /** sha256(key) → principal, and when last_used_at was last written. */
  private readonly keyCache = new Map<string, CachedPrincipal & { keyId: string; lastUsed: number }>();
  /** token → principal, until the token's expiry. */
  private readonly jwtCache = new Map<string, CachedPrincipal>();
  /** A real argon2id hash of a random string: unknown usernames cost the same time as known ones. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserRepository,
    private readonly clock: Clock,
    private readonly opts: AuthOptions,
    private readonly generations: GenerationSource,
  ) {}

  /**
   * Resolves an `Authorization` header to a principal, or throws 401. `authGeneration`: the store's
   * `auth` generation as this request already read it (the auth hook shares one read); read here if absent.
   */
  async authenticate(header: string | undefined, authGeneration?: number): Promise<Principal> {
    if (!header) throw unauthorized('Authentication required');
    const [scheme = '', ...rest] = header.trim().split(/\s+/);
    const value = rest.join(' ');
    const generation = authGeneration ?? (await this.generations.current()).auth;
    if (scheme.toLowerCase() === 'basic' && value) return this.basic(value, generation);
    if (scheme.toLowerCase() === 'bearer' && value) return JWT_SHAPE.test(value) ? this.jwt(value, generation) : this.apiKey(value, generation);
    if (rest.length === 0) return JWT_SHAPE.test(scheme) ? this.jwt(scheme, generation) : this.apiKey(scheme, generation);
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

  /**
   * A short keyed digest of the user's current password hash, carried by session tokens. Why: a password
   * change must end the sessions opened with the old password; keyed with the JWT secret, so the claim
   * tells nothing about the hash to whoever holds the token.
   */
  private passwordVersion(user: UserRow): string {
    return createHmac('sha256', this.opts.jwtKey).update(`${user.id}\n${user.password_hash}`).digest('base64url').slice(0, 16);
  }

  /** Issues a session JWT for a user (sign-in). */
  async issueJwt(user: UserRow): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ username: user.username, pwv: this.passwordVersion(user) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer('barge')
      .setAudience('barge-api')
      .setIssuedAt(now)
      .setExpirationTime(now + this.opts.jwtTtlSeconds)
      .sign(this.opts.jwtKey);
  }

  private async basic(encoded: string, generation: number): Promise<Principal> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep <= 0) throw unauthorized('Malformed Basic credentials');
    const cacheKey = sha256Hex(decoded);
    const now = this.clock.now().getTime();
    const hit = this.basicCache.get(cacheKey);
    if (hit && hit.expires > now) {
      if (hit.generation === generation) return hit.principal;
      // Something changed somewhere: still good if this user's password hash is the one we verified.
      const user = await this.users.findById(hit.principal.userId);
      if (user && user.password_hash === hit.passwordHash && user.username === decoded.slice(0, sep)) {
        return this.remember(this.basicCache, cacheKey, { ...hit, principal: toPrincipal(user, 'basic'), generation }).principal;
      }
      this.basicCache.delete(cacheKey);
    }
    const user = await this.checkPassword(decoded.slice(0, sep), decoded.slice(sep + 1));
    const principal = toPrincipal(user, 'basic');
    if (this.opts.basicCacheSeconds > 0) {
      this.remember(this.basicCache, cacheKey, { principal, generation, expires: now + this.opts.basicCacheSeconds * 1000, passwordHash: user.password_hash });
    }
    return principal;
  }

  private async jwt(token: string, generation: number): Promise<Principal> {
    const now = this.clock.now();
    const hit = this.jwtCache.get(token);
    if (hit && hit.generation === generation && hit.expires > now.getTime()) return hit.principal;
    let sub: string | undefined;
    let exp: number | undefined;
    let pwv: unknown;
    try {
      const { payload } = await jwtVerify(token, this.opts.jwtKey, {
        algorithms: ['HS256'],
        issuer: 'barge',
        audience: 'barge-api',
        currentDate: now,
      });
      sub = payload.sub;
      exp = payload.exp;
      pwv = payload.pwv;
    } catch {
      throw unauthorized('Invalid or expired token');
    }
    const user = sub ? await this.users.findById(sub) : undefined;
    // A password change ends the sessions signed in with the old one (the token names the password it was issued for).
    if (!user || pwv !== this.passwordVersion(user)) throw unauthorized('Invalid or expired token');
    const principal = toPrincipal(user, 'jwt');
    // jose accepts a token while the current second is before `exp`; the cache keeps to that.
    if (exp !== undefined) this.remember(this.jwtCache, token, { principal, generation, expires: exp * 1000 });
    return principal;
  }

  private async apiKey(key: string, generation: number): Promise<Principal> {
    const hash = sha256Hex(key);
    const now = this.clock.now();
    let entry = this.keyCache.get(hash);
    if (!entry || entry.generation !== generation) {
      const row = await this.users.findKeyByHash(hash);
      if (!row) throw unauthorized('Invalid API key');
      const user = await this.users.findById(row.user_id);
      if (!user) throw unauthorized('Invalid API key');
      const principal: Principal = { ...toPrincipal(user, 'api_key'), scopes: JSON.parse(row.scopes) as Scope[] };
      const lastUsed = row.last_used_at === null ? Number.NEGATIVE_INFINITY : Date.parse(row.last_used_at);
      entry = this.remember(this.keyCache, hash, { principal, generation, expires: Number.POSITIVE_INFINITY, keyId: row.id, lastUsed });
    }
    // last_used_at is kept to the minute: one write per key per minute at most, not one per request.
    if (now.getTime() - entry.lastUsed > 60_000) {
      entry.lastUsed = now.getTime();
      await this.users.updateKey(entry.keyId, { last_used_at: now.toISOString() });
    }
    return entry.principal;
  }

  /** Stores a cache entry (a full cache is emptied: simple, and bounded). */
  private remember<E extends CachedPrincipal>(cache: Map<string, E>, key: string, entry: E): E {
    if (cache.size >= CACHE_MAX && !cache.has(key)) cache.clear();
    Object.freeze(entry.principal);
    cache.set(key, entry);
    return entry;
  }
}

/** Hex SHA-256 as lib/tokens.ts's sha256Hex (the stored form of keys), in one call: it runs on every request. */
function sha256Hex(value: string): string {
  return digest('sha256', value, 'hex');
}

function toPrincipal(user: UserRow, via: Principal['via']): Principal {
  return { userId: user.id, username: user.username, isAdmin: user.is_admin === 1, via };
}
