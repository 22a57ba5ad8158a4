/**
 * One level of a storage as the API lists it (`GET /nas_shares/{id}/files`, `/cloud_buckets/{id}/files`):
 * the entry shape, its order, the filters, and the bounded window that pages a listing.
 *
 * Why a bounded window: drivers stream a folder in no declared order (`StorageDriver.list`), and a page
 * sorted by name, size or date needs the whole folder read once — which `count` needs anyway. Keeping
 * every entry would hold a 100k-entry folder in memory to answer 50; the window keeps only the best
 * `offset + limit` entries seen so far (a heap), so memory is bounded by the page, not the folder.
 */
import type { FilterTerm, ListSpec, SortTerm } from './list-query.js';

/** One entry of a folder. Null where the storage records nothing (S3 without Barge's metadata has no owner). */
export interface BrowseEntry {
  name: string;
  /** `/dir/name`: the form task `node_paths` take, so a picked entry can be used as is. */
  path: string;
  /** `folder` for directories; everything else — a symlink too, which the engine moves as a link — is a `file`. */
  type: 'file' | 'folder';
  /** Bytes of a file; null for a folder. */
  size: number | null;
  /** ISO-8601 modification time. */
  mtime: string | null;
  /** Permission bits (`0644` is 420). */
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** A symlink's stored target text; null for everything else. */
  link_target: string | null;
  /** The object's storage class (S3 STANDARD, GLACIER…); null where the storage has none. */
  storage_class: string | null;
}

/** Filters and sorts of a folder listing. */
export const BROWSE_SPEC: ListSpec = {
  filters: { name: 'string', type: 'string', size: 'number', mtime: 'date' },
  sortable: ['name', 'type', 'size', 'mtime'],
};

/** Default order: folders first, then by name. */
export const DEFAULT_BROWSE_SORT: SortTerm[] = [{ attribute: 'type', direction: 'asc' }, { attribute: 'name', direction: 'asc' }];

/** Largest `offset + limit` a listing pages to: the window's size bound (about 20 MB of entries). */
export const MAX_BROWSE_WINDOW = 100_000;

/** Most entries one request reads from a folder; past it the answer says `truncated` (and `count` is that bound). */
export const MAX_BROWSE_SCAN = 1_000_000;

/** Text order by code point, as the store sorts text (architecture.md): `Z` before `a`, `é` after both. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 units order like code points except surrogates (astral characters), which must come
    // after U+E000–U+FFFF: move them up, the others down.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function compareNullable(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a - b;
}

/** Folders sort before files on `type:asc`. */
const TYPE_RANK = { folder: 0, file: 1 } as const;

/** The comparator of a sort (the API's `sort_by`, or the default), ending on the name so the order is total. */
export function browseComparator(sort: SortTerm[]): (a: BrowseEntry, b: BrowseEntry) => number {
  const terms = sort.length > 0 ? sort : DEFAULT_BROWSE_SORT;
  return (a, b) => {
    for (const t of terms) {
      let d = 0;
      if (t.attribute === 'name') d = compareCodePoints(a.name, b.name);
      else if (t.attribute === 'type') d = TYPE_RANK[a.type] - TYPE_RANK[b.type];
      else if (t.attribute === 'size') d = compareNullable(a.size, b.size);
      else if (t.attribute === 'mtime') d = compareNullable(a.mtime === null ? null : Date.parse(a.mtime), b.mtime === null ? null : Date.parse(b.mtime));
      if (d !== 0) return t.direction === 'desc' ? -d : d;
    }
    return compareCodePoints(a.name, b.name);
  };
}

/**
 * The best `size` items seen (smallest by `compare`), in a max-heap: O(log size) per item offered,
 * never more than `size` kept. `sorted()` gives them in order.
 */
export class BoundedWindow<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly size: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    if (this.size <= 0) return;
    const h = this.heap;
    if (h.length < this.size) {
      h.push(item);
      this.up(h.length - 1);
    } else if (this.compare(item, h[0] as T) < 0) {
      h[0] = item;
      this.down(0);
    }
  }

  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.compare(h[i] as T, h[p] as T) <= 0) return;
      [h[i], h[p]] = [h[p] as T, h[i] as T];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < h.length && this.compare(h[l] as T, h[top] as T) > 0) top = l;
      if (r < h.length && this.compare(h[r] as T, h[top] as T) > 0) top = r;
      if (top === i) return;
      [h[i], h[top]] = [h[top] as T, h[i] as T];
      i = top;
    }
  }
}

/** SQL LIKE (`%`, `_`) as a case-insensitive regular expression, as `~` filters match in the store. */
export function likeToRegExp(pattern: string): RegExp {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '[\\s\\S]*';
    else if (ch === '_') out += '[\\s\\S]';
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'iu');
}

function compareValues(a: string | number, b: string | number): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : compareCodePoints(String(a), String(b));
}

/**
 * Whether a value passes one filter term, with the store's semantics (list-sql.ts): a null passes
 * only `!=`, `!><` and `!~`; dates compare as instants.
 */
export function matchesTerm(value: string | number | null, term: FilterTerm): boolean {
  const op = term.op;
  if (value === null) return op === '!=' || op === '!><' || op === '!~';
  if (op === '~' || op === '!~') return likeToRegExp(String(term.values[0])).test(String(value)) === (op === '~');
  const values = term.values.map((v) => (typeof v === 'boolean' ? String(v) : v));
  const first = values[0] as string | number;
  switch (op) {
    case '=': return compareValues(value, first) === 0;
    case '!=': return compareValues(value, first) !== 0;
    case '>': return compareValues(value, first) > 0;
    case '>=': return compareValues(value, first) >= 0;
    case '<': return compareValues(value, first) < 0;
    case '<=': return compareValues(value, first) <= 0;
    case '><': return values.some((v) => compareValues(value, v) === 0);
    case '!><': return !values.some((v) => compareValues(value, v) === 0);
  }
}

/** Whether an entry passes every filter (ANDed). Dates are compared as instants. */
export function matchesFilters(entry: BrowseEntry, filters: FilterTerm[]): boolean {
  return filters.every((t) => {
    if (t.attribute === 'mtime') {
      if (t.op === '~' || t.op === '!~') return matchesTerm(entry.mtime, t);
      const term = { ...t, values: t.values.map((v) => Date.parse(String(v))) };
      return matchesTerm(entry.mtime === null ? null : Date.parse(entry.mtime), term);
    }
    return matchesTerm(entry[t.attribute as 'name' | 'type' | 'size'], t);
  });
}
