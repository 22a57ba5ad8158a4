/**
 * Users and API keys. Admins manage users; everybody manages their own keys. The full key is shown
 * once, at creation; afterwards only `****` and its last four characters.
 */
import { ValidationErrors, forbidden, notFound, invalid } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { Clock } from '../lib/clock.js';
import { generatePassword, newId, randomToken, sha256Hex } from '../lib/tokens.js';
import type { UserRepository } from '../store/user-repository.js';
import { UniqueTaken } from '../domain/conflicts.js';
import type { ApiKeyRow, UserRow } from '../store/schema.js';
import { hashPassword, type AuthService } from './auth-service.js';
import { scopeAllows, type Principal, type Scope } from './principal.js';
import { unwrapBody } from './request-body.js';

export interface UserView { id: string; username: string; email: string | null; is_admin: boolean; groups: string[]; created_at: string; updated_at: string }
export interface ApiKeyView { id: string; name: string; key: string; api_key_scopes: Scope[]; created_at: string; updated_at: string; last_used_at: string | null }

export const USER_LIST: ListSpec = {
  filters: { id: 'string', username: 'string', email: 'string', is_admin: 'boolean', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'username', 'email', 'is_admin', 'created_at', 'updated_at'],
};
export const API_KEY_LIST: ListSpec = {
  filters: { id: 'string', name: 'string', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'name', 'created_at', 'updated_at', 'last_used_at'],
};

const USERNAME = /^[A-Za-z0-9._@-]{1,255}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function userView(u: UserRow, groups: string[] = []): UserView {
  return { id: u.id, username: u.username, email: u.email, is_admin: u.is_admin === 1, groups, created_at: u.created_at, updated_at: u.updated_at };
}

/** Where the names of a user's groups come from (store/group-repository.ts). */
export interface GroupNames {
  namesOfUsers(userIds: string[]): Promise<Map<string, string[]>>;
}

function keyView(k: ApiKeyRow, full?: string): ApiKeyView {
  return {
    id: k.id, name: k.name, key: full ?? `****${k.key_last4}`, api_key_scopes: JSON.parse(k.scopes) as Scope[],
    created_at: k.created_at, updated_at: k.updated_at, last_used_at: k.last_used_at,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly groups: GroupNames,
    private readonly clock: Clock,
  ) {}

  /** Views with each user's groups (one query for the page). */
  private async views(rows: UserRow[]): Promise<UserView[]> {
    const names = await this.groups.namesOfUsers(rows.map((r) => r.id));
    return rows.map((r) => userView(r, names.get(r.id) ?? []));
  }

  private async viewOf(row: UserRow): Promise<UserView> {
    return (await this.views([row]))[0]!;
  }

  /** First start: creates `admin` with the configured or a generated password. */
  async ensureAdmin(configured: string | undefined): Promise<{ created: boolean; password?: string; generated: boolean }> {
    if ((await this.users.count()) > 0) return { created: false, generated: false };
    const password = configured ?? generatePassword();
    const now = this.clock.now().toISOString();
    await this.users.insert({ id: newId(), username: 'admin', email: null, password_hash: await hashPassword(password), is_admin: 1, created_at: now, updated_at: now });
    return { created: true, password, generated: configured === undefined };
  }

  async list(p: Principal, query: Record<string, unknown>): Promise<{ count: number; users: UserView[] }> {
    requireAdmin(p);
    const { count, rows } = await this.users.list(parseListQuery(query, USER_LIST));
    return { count, users: await this.views(rows) };
  }

  async show(p: Principal, id: string): Promise<UserView> {
    if (!p.isAdmin && id !== p.userId) throw notFound('User');
    const u = await this.users.findById(id);
    if (!u) throw notFound('User');
    return this.viewOf(u);
  }

  async me(p: Principal): Promise<UserView> {
    return this.show(p, p.userId);
  }

  async create(p: Principal, body: unknown): Promise<UserView> {
    requireAdmin(p);
    const input = unwrapBody(body, 'user');
    const errors = new ValidationErrors();
    checkUser(input, false, errors);
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    const row: UserRow = {
      id: newId(), username: input.username as string, email: (input.email as string | undefined) ?? null,
      password_hash: await hashPassword(input.password as string), is_admin: input.is_admin === true ? 1 : 0, created_at: now, updated_at: now,
    };
    try {
      await this.users.insert(row);
    } catch (err) {
      if (err instanceof UniqueTaken) throw invalid('username', { error: 'taken', value: row.username }, 'Username has already been taken');
      throw err;
    }
    return userView(row);
  }

  async update(p: Principal, id: string, body: unknown): Promise<UserView> {
    if (!p.isAdmin && id !== p.userId) throw notFound('User');
    const current = await this.users.findById(id);
    if (!current) throw notFound('User');
    const input = unwrapBody(body, 'user');
    const errors = new ValidationErrors();
    checkUser(input, true, errors);
    if (input.is_admin !== undefined && !p.isAdmin) errors.add('is_admin', { error: 'forbidden' }, 'Only an admin can change is_admin');
    if (input.is_admin === false && current.is_admin === 1 && (await this.users.countAdmins()) <= 1) {
      errors.add('is_admin', { error: 'frozen' }, 'The last admin cannot lose admin rights');
    }
    errors.throwIfAny();
    const patch: Partial<UserRow> = { updated_at: this.clock.now().toISOString() };
    if (input.username !== undefined) patch.username = input.username as string;
    if (input.email !== undefined) patch.email = (input.email as string | null) ?? null;
    if (input.password !== undefined) patch.password_hash = await hashPassword(input.password as string);
    if (input.is_admin !== undefined) patch.is_admin = input.is_admin ? 1 : 0;
    try {
      await this.users.update(id, patch);
    } catch (err) {
      if (err instanceof UniqueTaken) throw invalid('username', { error: 'taken', value: patch.username }, 'Username has already been taken');
      throw err;
    }
    return this.viewOf({ ...current, ...patch });
  }

  async destroy(p: Principal, id: string): Promise<void> {
    requireAdmin(p);
    const u = await this.users.findById(id);
    if (!u) throw notFound('User');
    if (u.id === p.userId) throw invalid('id', { error: 'frozen' }, 'You cannot delete yourself');
    if ((await this.users.countTasksOf(id)) > 0) throw invalid('id', { error: 'restrict_dependent_destroy', dependency: 'tasks' }, 'Cannot delete a user who still owns tasks');
    await this.users.delete(id);
  }

  /** Sign-in: `{user: {username, password}}` → the user and a JWT. */
  async signIn(body: unknown): Promise<{ user: UserView; token: string }> {
    const input = unwrapBody(body, 'user');
    const errors = new ValidationErrors();
    for (const f of ['username', 'password'] as const) {
      if (typeof input[f] !== 'string' || input[f] === '') errors.add(f, { error: 'blank' }, `${f === 'username' ? 'Username' : 'Password'} can't be blank`);
    }
    errors.throwIfAny();
    const user = await this.auth.checkPassword(input.username as string, input.password as string);
    return { user: await this.viewOf(user), token: await this.auth.issueJwt(user) };
  }

  // --- API keys (always the caller's own)

  async listKeys(p: Principal, query: Record<string, unknown>): Promise<{ count: number; api_keys: ApiKeyView[] }> {
    const { count, rows } = await this.users.listKeys(p.userId, parseListQuery(query, API_KEY_LIST));
    return { count, api_keys: rows.map((k) => keyView(k)) };
  }

  async showKey(p: Principal, id: string): Promise<ApiKeyView> {
    const k = await this.users.findKey(p.userId, id);
    if (!k) throw notFound('Api key');
    return keyView(k);
  }

  async createKey(p: Principal, body: unknown): Promise<ApiKeyView> {
    const input = unwrapBody(body, 'api_key');
    const errors = new ValidationErrors();
    const name = checkKeyName(input.name, false, errors);
    const scopes = checkScopes(input.api_key_scopes, false, errors) ?? [];
    errors.throwIfAny();
    assertWithinCallerScopes(p, scopes);
    const key = randomToken(32, 'brg_');
    const now = this.clock.now().toISOString();
    const row: ApiKeyRow = { id: newId(), user_id: p.userId, name: name as string, key_hash: sha256Hex(key), key_last4: key.slice(-4), scopes: JSON.stringify(scopes), created_at: now, updated_at: now, last_used_at: null };
    await this.users.insertKey(row);
    return keyView(row, key);
  }

  async updateKey(p: Principal, id: string, body: unknown): Promise<ApiKeyView> {
    const k = await this.users.findKey(p.userId, id);
    if (!k) throw notFound('Api key');
    const input = unwrapBody(body, 'api_key');
    const errors = new ValidationErrors();
    const name = checkKeyName(input.name, true, errors);
    const scopes = checkScopes(input.api_key_scopes, true, errors);
    errors.throwIfAny();
    if (scopes !== undefined) assertWithinCallerScopes(p, scopes);
    const patch: Partial<ApiKeyRow> = { updated_at: this.clock.now().toISOString() };
    if (name !== undefined) patch.name = name;
    if (scopes !== undefined) patch.scopes = JSON.stringify(scopes);
    await this.users.updateKey(id, patch);
    return keyView({ ...k, ...patch });
  }

  async destroyKey(p: Principal, id: string): Promise<void> {
    const k = await this.users.findKey(p.userId, id);
    if (!k) throw notFound('Api key');
    await this.users.deleteKey(id);
  }
}

/**
 * A request made with an API key may only grant scopes that key has itself, so a narrowly scoped key
 * cannot mint (or widen another key into) a broader one. Sessions (Basic, JWT) may grant anything.
 */
function assertWithinCallerScopes(p: Principal, scopes: Scope[]): void {
  if (p.via !== 'api_key') return;
  const beyond = scopes.filter((s) => !scopeAllows(p.scopes ?? [], s));
  if (beyond.length > 0) throw forbidden(`This API key cannot grant scopes it does not have: ${beyond.map((s) => `${s.controller}/${s.action}`).join(', ')}`, 'api_key_scopes');
}

function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw forbidden('Only an admin can do this');
}

/** Accepts both Rails-wrapped (`{user: {...}}`) and bare bodies. */
function checkUser(input: Record<string, unknown>, partial: boolean, errors: ValidationErrors): void {
  const { username, password, email, is_admin } = input;
  if (username === undefined ? !partial : typeof username !== 'string' || username === '') {
    if (username === undefined || username === '' || username === null) errors.add('username', { error: 'blank' }, "Username can't be blank");
    else errors.add('username', { error: 'invalid' }, 'Username must be a string');
  } else if (username !== undefined && !USERNAME.test(username as string)) {
    errors.add('username', { error: 'invalid' }, 'Username may contain letters, digits and . _ @ - only (at most 255)');
  }
  if (password === undefined ? !partial : typeof password !== 'string') errors.add('password', { error: 'blank' }, "Password can't be blank");
  else if (typeof password === 'string' && password.length < 8) errors.add('password', { error: 'too_short', count: 8 }, 'Password is too short (minimum is 8 characters)');
  else if (typeof password === 'string' && password.length > 1024) errors.add('password', { error: 'too_long', count: 1024 }, 'Password is too long (maximum is 1024 characters)');
  if (email !== undefined && email !== null && (typeof email !== 'string' || !EMAIL.test(email))) errors.add('email', { error: 'invalid' }, 'Email is invalid');
  if (is_admin !== undefined && typeof is_admin !== 'boolean') errors.add('is_admin', { error: 'inclusion' }, 'Is admin must be true or false');
}

function checkKeyName(name: unknown, partial: boolean, errors: ValidationErrors): string | undefined {
  if (name === undefined && partial) return undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    errors.add('name', { error: 'blank' }, "Name can't be blank");
    return undefined;
  }
  if (name.length > 255) errors.add('name', { error: 'too_long', count: 255 }, 'Name is too long (maximum is 255 characters)');
  return name;
}

function checkScopes(raw: unknown, partial: boolean, errors: ValidationErrors): Scope[] | undefined {
  if (raw === undefined) return partial ? undefined : [];
  if (!Array.isArray(raw)) {
    errors.add('api_key_scopes', { error: 'invalid' }, 'Api key scopes must be a list of {controller, action}');
    return undefined;
  }
  const out: Scope[] = [];
  raw.forEach((s, i) => {
    if (!isObject(s) || typeof s.controller !== 'string' || typeof s.action !== 'string' || !s.controller || !s.action) {
      errors.add(`api_key_scopes[${i}]`, { error: 'invalid' }, `Api key scope ${i} needs a controller and an action`);
    } else out.push({ controller: s.controller, action: s.action });
  });
  return out;
}
