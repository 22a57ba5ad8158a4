/**
 * The console's only way to the server: the REST API at /api/v2, JSON in and out, with the signed-in
 * user's JWT. The token lives in memory and in sessionStorage (it survives a reload of the tab, not
 * the closing of the browser); a 401 on any call signs the console out.
 */
import { toApiError, ApiError } from './errors';
import type { Page } from './types';

export const API_BASE = '/api/v2';
const TOKEN_KEY = 'barge.token';

let token: string | null = readStoredToken();
const unauthorizedListeners = new Set<() => void>();

function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null): void {
  token = value;
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: memory only */
  }
}

/** Called when the API says the session is no longer valid (expired token). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * The token, and X-Requested-With so that a 401 comes without `WWW-Authenticate: Basic` (which would
 * make the browser open its own password dialog; see src/api/console.ts).
 */
export function authHeaders(): Record<string, string> {
  return { 'x-requested-with': 'XMLHttpRequest', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

/** One API call. Resolves with the parsed body; rejects with an ApiError carrying the API's messages. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw toApiError(0, undefined);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && token && path !== '/users/sign_in') for (const l of unauthorizedListeners) l();
    throw toApiError(res.status, parsed, res.statusText);
  }
  return parsed as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body);
export const del = (path: string) => api<void>('DELETE', path);

/** Query parameters of the list conventions: sorting, paging, filters (empty values left out). */
export interface ListParams {
  limit?: number;
  offset?: number;
  sort?: { key: string; dir: 'asc' | 'desc' } | null;
  filters?: Record<string, string | undefined>;
}

export function listQuery(p: ListParams): string {
  const q = new URLSearchParams();
  if (p.limit !== undefined) q.set('limit', String(p.limit));
  if (p.offset) q.set('offset', String(p.offset));
  if (p.sort) q.set('sort_by', `${p.sort.key}:${p.sort.dir}`);
  for (const [k, v] of Object.entries(p.filters ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Fetches one page of a collection (`{count, <key>: [...]}`) as {count, rows}. */
export async function getPage<T>(path: string, key: string, p: ListParams, signal?: AbortSignal): Promise<Page<T>> {
  const sep = path.includes('?') ? '&' : '?';
  const qs = listQuery(p);
  const body = await get<Record<string, unknown>>(path + (qs ? sep + qs.slice(1) : ''), signal);
  const rows = body[key];
  if (!Array.isArray(rows)) throw new ApiError(500, `The server's answer has no ${key} list.`);
  return { count: typeof body.count === 'number' ? body.count : rows.length, rows: rows as T[] };
}
