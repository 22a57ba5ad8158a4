/**
 * Compiles validated list queries (domain/list-query.ts) into parameterized SQL. Every attribute is
 * looked up in a per-collection whitelist that maps it to a column or to an expression builder;
 * values are always bound parameters, never spliced into the SQL text.
 */
import { sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { FilterTerm, SortTerm } from '../domain/list-query.js';
import type { Dialect } from './db.js';

/** How an attribute is reached in SQL: a column reference, or a builder for special cases (EXISTS…). */
export type AttributeSql = string | ((eb: ExpressionBuilder<any, any>, term: FilterTerm, dialect: Dialect) => Expression<SqlBool>);

export interface ColumnSpec {
  /** attribute → column (`tasks.name`) or custom filter. */
  filters: Record<string, AttributeSql>;
  /** sortable attribute → column. */
  sorts: Record<string, string>;
  /** Columns whose stored form is not text (LIKE casts them). */
  nonText?: readonly string[];
}

function toDb(v: string | number | boolean): string | number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** One filter term against a plain column. */
export function columnCondition(eb: ExpressionBuilder<any, any>, column: string, term: FilterTerm, dialect: Dialect, nonText = false): Expression<SqlBool> {
  const ref = eb.ref(column);
  const values = term.values.map(toDb);
  const first = values[0] as string | number;
  switch (term.op) {
    case '=':
      return eb(ref, '=', first);
    case '!=':
      return eb.or([eb(ref, '<>', first), eb(ref, 'is', null)]);
    case '>':
    case '>=':
    case '<':
    case '<=':
      return eb(ref, term.op, first);
    case '><':
      return eb(ref, 'in', values);
    case '!><':
      return eb.or([eb(ref, 'not in', values), eb(ref, 'is', null)]);
    case '~':
    case '!~': {
      const target = nonText ? sql`CAST(${ref} AS TEXT)` : ref;
      // Case-insensitive on both dialects (SQLite's LIKE already is, for ASCII).
      const op = dialect === 'postgres' ? (term.op === '~' ? 'ilike' : 'not ilike') : term.op === '~' ? 'like' : 'not like';
      return eb(target as any, op, String(first));
    }
  }
}

/** Applies all filter terms (ANDed). */
export function applyFilters<QB extends SelectQueryBuilder<any, any, any>>(qb: QB, filters: FilterTerm[], spec: ColumnSpec, dialect: Dialect): QB {
  let out = qb;
  for (const term of filters) {
    const target = spec.filters[term.attribute];
    if (target === undefined) continue; // parseListQuery only lets whitelisted attributes through
    out = out.where((eb: ExpressionBuilder<any, any>) =>
      typeof target === 'string' ? columnCondition(eb, target, term, dialect, spec.nonText?.includes(target)) : target(eb, term, dialect),
    ) as QB;
  }
  return out;
}

/**
 * Applies the sort terms, then a stable tiebreaker. Text sorts by code point on both dialects
 * (PostgreSQL's locale collations would order `alpine` before `Beta`, SQLite does not), so a page
 * boundary is the same whichever store a deployment uses.
 */
export function applySort<QB extends SelectQueryBuilder<any, any, any>>(qb: QB, sort: SortTerm[], spec: ColumnSpec, fallback: Array<[string, 'asc' | 'desc']>, dialect: Dialect): QB {
  let out = qb;
  const terms: Array<[string, 'asc' | 'desc']> = sort.map((s) => [spec.sorts[s.attribute] as string, s.direction]);
  for (const f of fallback) if (!terms.some(([c]) => c === f[0])) terms.push(f);
  for (const [column, direction] of terms) {
    const binary = dialect === 'postgres' && !spec.nonText?.includes(column);
    out = out.orderBy(binary ? sql`${sql.ref(column)} COLLATE "C"` : column, direction) as QB;
  }
  return out;
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
