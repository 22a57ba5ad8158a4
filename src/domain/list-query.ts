/**
 * The Nodeum list conventions as pure data: `limit`/`offset`, pipe-delimited `sort_by`, and filters
 * whose value may start with an operator. Parsing lives here (no I/O) so that every collection of
 * the API — tasks, executions, users, storages — refuses bad input with the same 422s, and the store
 * only ever compiles already-validated, whitelisted terms into parameterized SQL.
 */
import { ValidationErrors } from './errors.js';

/** Filter operators, longest first so that `!><` wins over `!=` and `><` over `>`. */
export const FILTER_OPERATORS = ['!><', '><', '>=', '<=', '!=', '!~', '=', '>', '<', '~'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** How a filterable attribute's values are read and compared. */
export type AttributeType = 'string' | 'number' | 'date' | 'boolean';

/** One parsed filter: `attribute op value(s)`. Values are typed; `in`-lists have several. */
export interface FilterTerm {
  attribute: string;
  op: FilterOperator;
  values: Array<string | number | boolean>;
}

export interface SortTerm {
  attribute: string;
  direction: 'asc' | 'desc';
}

/** A validated list request. */
export interface ListQuery {
  limit: number;
  offset: number;
  sort: SortTerm[];
  filters: FilterTerm[];
  all: boolean;
}

/** What a collection accepts: its filterable attributes with their types, and which can be sorted. */
export interface ListSpec {
  filters: Record<string, AttributeType>;
  sortable: readonly string[];
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Splits `>=2025-01-01` into operator and raw value; no operator means `=`. */
export function splitOperator(raw: string): { op: FilterOperator; rest: string } {
  for (const op of FILTER_OPERATORS) if (raw.startsWith(op)) return { op, rest: raw.slice(op.length) };
  return { op: '=', rest: raw };
}

function typed(attribute: string, type: AttributeType, raw: string, op: FilterOperator, errors: ValidationErrors): string | number | boolean | undefined {
  if (op === '~' || op === '!~') return raw; // LIKE patterns compare as text whatever the type
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) {
        errors.add(attribute, { error: 'not_a_number', value: raw }, `${attribute} filter is not a number`);
        return undefined;
      }
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      errors.add(attribute, { error: 'inclusion', value: raw }, `${attribute} filter must be true or false`);
      return undefined;
    case 'date': {
      const t = Date.parse(raw);
      if (Number.isNaN(t)) {
        errors.add(attribute, { error: 'invalid', value: raw }, `${attribute} filter is not a valid date`);
        return undefined;
      }
      return new Date(t).toISOString();
    }
  }
}

/** Reads one filter value as sent (`><a|b`, `~%raw%`, `2025-01-01`). */
export function parseFilter(attribute: string, type: AttributeType, raw: string, errors: ValidationErrors): FilterTerm | undefined {
  const { op, rest } = splitOperator(raw);
  const parts = op === '><' || op === '!><' ? rest.split('|') : [rest];
  const values: Array<string | number | boolean> = [];
  for (const part of parts) {
    const v = typed(attribute, type, part, op, errors);
    if (v === undefined) return undefined;
    values.push(v);
  }
  return { attribute, op, values };
}

/** Reads `sort_by` (a string or, after query coercion, an array of strings), each `attr[:asc|:desc]`. */
export function parseSort(raw: unknown, sortable: readonly string[], errors: ValidationErrors): SortTerm[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((x) => String(x).split('|')).map((s) => s.trim()).filter(Boolean);
  const out: SortTerm[] = [];
  for (const item of items) {
    const [attribute = '', dir, ...extra] = item.split(':');
    const direction = dir === undefined || dir === '' ? 'asc' : dir.toLowerCase();
    if (!sortable.includes(attribute)) {
      errors.add('sort_by', { error: 'inclusion', value: attribute }, `Sort by ${attribute} is not supported (sortable: ${sortable.join(', ')})`);
    } else if ((direction !== 'asc' && direction !== 'desc') || extra.length > 0) {
      errors.add('sort_by', { error: 'inclusion', value: item }, `Sort direction of ${attribute} must be asc or desc`);
    } else out.push({ attribute, direction });
  }
  return out;
}

function intParam(name: string, raw: unknown, fallback: number, max: number | undefined, errors: ValidationErrors): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n)) {
    errors.add(name, { error: 'not_an_integer', value: raw }, `${humanize(name)} must be an integer`);
    return fallback;
  }
  if (n < 0) {
    errors.add(name, { error: 'greater_than_or_equal_to', count: 0, value: n }, `${humanize(name)} must be greater than or equal to 0`);
    return fallback;
  }
  if (max !== undefined && n > max) {
    errors.add(name, { error: 'less_than_or_equal_to', count: max, value: n }, `${humanize(name)} must be less than or equal to ${max}`);
    return fallback;
  }
  return n;
}

function humanize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Reads `true`/`false` the way query strings send them (already coerced or not). */
export function parseBool(name: string, raw: unknown, errors: ValidationErrors): boolean {
  if (raw === undefined || raw === null || raw === '') return false;
  if (raw === true || raw === 'true' || raw === '1') return true;
  if (raw === false || raw === 'false' || raw === '0') return false;
  errors.add(name, { error: 'inclusion', value: raw }, `${humanize(name)} must be true or false`);
  return false;
}

/**
 * Turns a request's query object into a validated ListQuery for a collection, or throws one 422
 * naming every bad parameter. Query keys that are neither list parameters nor filters are ignored,
 * as Rails does with unknown parameters.
 */
export function parseListQuery(query: Record<string, unknown>, spec: ListSpec): ListQuery {
  const errors = new ValidationErrors();
  const limit = intParam('limit', query.limit, DEFAULT_LIMIT, MAX_LIMIT, errors);
  // Capped so the bound parameter stays an exact integer both stores accept (1e20 was a 500).
  const offset = intParam('offset', query.offset, 0, Number.MAX_SAFE_INTEGER, errors);
  const sort = parseSort(query.sort_by, spec.sortable, errors);
  const all = parseBool('all', query.all, errors);
  const filters: FilterTerm[] = [];
  for (const [attribute, type] of Object.entries(spec.filters)) {
    const raw = query[attribute];
    if (raw === undefined) continue;
    for (const one of Array.isArray(raw) ? raw : [raw]) {
      const term = parseFilter(attribute, type, String(one), errors);
      if (term) filters.push(term);
    }
  }
  errors.throwIfAny();
  return { limit, offset, sort, filters, all };
}
