/**
 * The CLI's only way into Barge: the REST API at `<url>/api/v2`, JSON in and out. Errors become
 * ApiError carrying the API's own message; an unreachable server and a refused session get messages
 * that say what to do next.
 */
import { ApiError, CliError, apiMessage } from './errors.js';

/** Query values: arrays repeat the key (`name=a&name=b`), undefined/false-y absent values are left out. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
}

/** What the client needs to know about its credentials to explain a 401. */
export interface ClientAuth {
  /** The `Authorization` header value, if any. */
  header?: string;
  /** True for a sign-in JWT: a 401 then means the session is over, not that the password is wrong. */
  session?: boolean;
}

/** Builds `?a=1&b=x&b=y` from a Query. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const SESSION_EXPIRED = 'session expired, run barge login';

/** A small typed client for `<root>/api/v2`. */
export class ApiClient {
  readonly base: string;

  constructor(
    readonly root: string,
    private readonly auth: ClientAuth = {},
  ) {
    this.base = `${root}/api/v2`;
  }

  /** Sends one request and returns the parsed JSON body (undefined for 204); throws ApiError on 4xx/5xx. */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.auth.header) headers.authorization = this.auth.header;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.fetch(this.base + path + queryString(opts.query), { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw this.error(res.status, parsed);
    return parsed as T;
  }

  get<T = any>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }
  post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, { body });
  }
  put<T = any>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('PUT', path, { body, query });
  }
  delete<T = any>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Opens a streaming GET (SSE): returns the response once its headers are in, or throws like `request`. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.auth.header) headers.authorization = this.auth.header;
    const res = await this.fetch(this.base + path, { method: 'GET', headers, signal });
    if (!res.ok) {
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep the text */
      }
      throw this.error(res.status, parsed);
    }
    return res;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach Barge at ${this.root} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running? (barge serve)`);
    }
  }

  private error(status: number, body: unknown): ApiError {
    const message = apiMessage(status, body);
    if (status === 401 && this.auth.session) return new ApiError(`${SESSION_EXPIRED} (${message})`, status, body);
    if (status === 401 && !this.auth.header) return new ApiError(`${message}: not logged in, run barge login`, status, body);
    return new ApiError(message, status, body);
  }
}
