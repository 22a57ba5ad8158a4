/**
 * Helpers for the list, validation and registry suites: query strings with encoded filter values,
 * an independent model of the Nodeum filter operators (to compute expected result sets from seeded
 * data instead of hard-coding them), and model_error assertions.
 */
import assert from 'node:assert/strict';
import type { Res } from './barge.js';

/** `?a=1&b=%3E%3D2` with every value URI-encoded (operators, `%`, `+`, `|` included). */
export function qs(params: Record<string, string | number>): string {
  const parts = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** SQL LIKE as a case-insensitive RegExp (`%` any run, `_` one char). */
export function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 'is');
}

export const OPERATORS = ['!><', '><', '>=', '<=', '!=', '!~', '=', '>', '<', '~'] as const;
export type Op = (typeof OPERATORS)[number];

/** Splits an operator prefix off a filter value, longest first (as the server must). */
export function splitOp(raw: string): { op: Op; rest: string } {
  for (const op of OPERATORS) if (raw.startsWith(op)) return { op, rest: raw.slice(op.length) };
  return { op: '=', rest: raw };
}

/** Evaluates one scalar filter on a value, the reference way. Dates are compared as instants. */
export function matches(actual: string | null, raw: string, kind: 'string' | 'date' = 'string'): boolean {
  const { op, rest } = splitOp(raw);
  if (op === '~') return actual !== null && likeToRegExp(rest).test(actual);
  if (op === '!~') return actual !== null && !likeToRegExp(rest).test(actual);
  const norm = (s: string) => (kind === 'date' ? new Date(s).getTime() : s);
  const list = op === '><' || op === '!><' ? rest.split('|').map(norm) : [norm(rest)];
  if (actual === null) return op === '!=' || op === '!><';
  const a = norm(actual);
  const v = list[0] as string | number;
  switch (op) {
    case '=': return a === v;
    case '!=': return a !== v;
    case '>': return a > v;
    case '>=': return a >= v;
    case '<': return a < v;
    case '<=': return a <= v;
    case '><': return list.includes(a);
    case '!><': return !list.includes(a);
  }
}

/** `primary_nas` → `nas`. */
export function kindOf(type: string): string {
  return type.replace(/^(primary|secondary)_/, '');
}

/**
 * `sources.type` / `destinations.type` semantics: the exact operators compare kinds (aliases
 * normalised) and match when ANY endpoint matches; the negated ones match when NO endpoint matches
 * the positive form; LIKE patterns compare the type as stored.
 */
export function endpointMatches(types: string[], raw: string): boolean {
  const { op, rest } = splitOp(raw);
  const positive: Op = op === '!=' ? '=' : op === '!><' ? '><' : op === '!~' ? '~' : op;
  const exact = positive === '=' || positive === '><';
  const value = exact ? rest.split('|').map(kindOf).join('|') : rest;
  const any = types.some((t) => matches(exact ? kindOf(t) : t, `${positive}${value}`));
  return positive === op ? any : !any;
}

/** Sorted copy, for comparing result sets regardless of order. */
export function sorted(xs: string[]): string[] {
  return [...xs].sort();
}

/** Code-point comparison (what SQLite's BINARY and PostgreSQL's C collation do). */
export function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Asserts a model_error with `status` whose details carry `code` for `attr`. */
export function assertModelError(r: Res, status: number, attr?: string, code?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.ok(r.body && typeof r.body === 'object', `body is not JSON: ${String(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['details', 'messages'], JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body.messages) && r.body.messages.length > 0, JSON.stringify(r.body));
  assert.ok(r.body.messages.every((m: unknown) => typeof m === 'string'));
  assert.equal(typeof r.body.details, 'object');
  if (attr !== undefined) {
    const list = r.body.details[attr];
    assert.ok(Array.isArray(list), `no details.${attr} in ${JSON.stringify(r.body)}`);
    if (code !== undefined) assert.ok(list.some((d: { error: string }) => d.error === code), `details.${attr} has no ${code}: ${JSON.stringify(r.body)}`);
  }
}

/** JSON nested `depth` levels deep (`{"a":{"a":…}}` or `[[[…]]]`), as text. */
export function deeplyNested(depth: number, kind: 'object' | 'array' = 'object'): string {
  return kind === 'object' ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

/** Junk request bodies (JSON text) for "never a 500" fuzzing. */
export function junkBodies(): string[] {
  const nested = deeplyNested(2000);
  return [
    '[]', '[1,2,3]', '42', '-1.5e308', '"a string"', 'null', 'true', 'false', '{}',
    '{"name":null}', '{"name":{}}', '{"name":[]}', '{"name":12}', '{"name":"' + 'n'.repeat(10_000) + '"}',
    '{"sources":"x"}', '{"sources":[null]}', '{"sources":[[]]}', '{"sources":[{"type":{}}]}', '{"sources":[{"type":"nas","storage_id":5,"node_paths":[1]}]}',
    '{"destinations":{}}', '{"options":[]}', '{"options":{"parallel":{}}}', '{"options":{"priority":"high"}}', '{"metadata":"x"}',
    '{"metadata":{"files":{"a":1}}}', '{"workflow_type":["copy"]}', '{"__proto__":{"is_admin":true}}', '{"constructor":{"prototype":{}}}',
    '{"user":null}', '{"user":[]}', '{"user":{"username":{}}}', '{"nas":5}', '{"api_key_scopes":"all"}', '{"api_key_scopes":[null,1,"x"]}',
    '{"name":"x","type":"local","host":{}}', '{"path":{}}', `{"options":${nested}}`, `{"metadata":{"task":${nested}}}`,
    nested, deeplyNested(2000, 'array'), '{"name":"\\u0000"}', '{"name":"\\ud800"}',
  ];
}
