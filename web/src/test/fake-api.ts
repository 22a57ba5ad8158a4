/**
 * A fake REST API for component tests: `fetch` stubbed for each test, calls recorded, answers from
 * handlers (the first that knows a call wins; anything else is a 404 in the API's error shape).
 */
import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';
import { setToken } from '../lib/api';

export interface Call { method: string; path: string; body: unknown }
export type Handler = (call: Call) => [number, unknown] | undefined;

export interface FakeApi {
  /** Every call of the current test, path without /api/v2. */
  readonly calls: Call[];
  serve(...handlers: Handler[]): void;
}

/** Registers the stub around each test of the file; call once at the top level. */
export function installFakeApi(): FakeApi {
  let handlers: Handler[] = [];
  const api: FakeApi = { calls: [], serve: (...hs) => { handlers = hs; } };
  beforeEach(() => {
    api.calls.length = 0;
    handlers = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      const call = { method: init.method ?? 'GET', path: url.replace(/^\/api\/v2/, ''), body: init.body ? JSON.parse(String(init.body)) : undefined };
      api.calls.push(call);
      const [status, body] = handlers.map((h) => h(call)).find((r) => r !== undefined) ?? [404, { messages: ['Not found'], details: {} }];
      return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    });
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    setToken(null);
  });
  return api;
}

/** The <dialog> of a Modal by its title (closed ones stay in the DOM, empty). */
export function dialogNamed(title: string): HTMLElement {
  const d = document.querySelector(`dialog[aria-label="${title}"]`);
  if (!(d instanceof HTMLElement)) throw new Error(`no dialog ${title}`);
  return d;
}
