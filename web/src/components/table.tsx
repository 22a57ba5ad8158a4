/**
 * The console's one table: server-side sorting and paging over the API's list conventions
 * (`sort_by`, `limit`, `offset`, `count`), with loading, empty and error states. Pages give it a
 * loader and columns; filters are the page's business (a new `filterKey` goes back to page one).
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { ListParams } from '../lib/api';
import { useAsync, useInterval } from '../lib/hooks';
import type { Page } from '../lib/types';
import { Button, Empty, ErrorBanner, Spinner } from './ui';

export interface Column<T> {
  key: string;
  label: string;
  /** The API attribute to sort by; no sortKey = not sortable. */
  sortKey?: string;
  render: (row: T) => ReactNode;
  align?: 'left' | 'right';
  className?: string;
}

export type Sort = { key: string; dir: 'asc' | 'desc' };

interface Props<T> {
  columns: Array<Column<T>>;
  load: (p: ListParams, signal: AbortSignal) => Promise<Page<T>>;
  rowKey: (row: T) => string;
  initialSort?: Sort;
  /** Changes of this value reload from page one (filters, a reload counter). */
  filterKey?: string;
  pageSize?: number;
  /** Background refresh while the page is open (ms). */
  refreshMs?: number;
  empty: ReactNode;
  onRowClick?: (row: T) => void;
  label: string;
  /** Replaces a fetched row with fresher data the page already has (a live execution). */
  mapRow?: (row: T) => T;
}

const PAGE_SIZES = [10, 25, 50, 100];

export function DataTable<T>({ columns, load, rowKey, initialSort, filterKey = '', pageSize: initialSize = 25, refreshMs, empty, onRowClick, label, mapRow }: Props<T>) {
  const [sort, setSort] = useState<Sort | null>(initialSort ?? null);
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(initialSize);
  const [tick, setTick] = useState(0);
  useEffect(() => setOffset(0), [filterKey]);
  const page = useAsync((signal) => load({ limit, offset, sort }, signal), [limit, offset, sort?.key, sort?.dir, filterKey, tick]);
  useInterval(() => setTick((t) => t + 1), refreshMs ?? 0, refreshMs !== undefined && !page.loading);

  const fetched = page.data?.rows ?? [];
  const rows = mapRow ? fetched.map(mapRow) : fetched;
  const count = page.data?.count ?? 0;
  const first = count === 0 ? 0 : offset + 1;
  const last = Math.min(offset + rows.length, count);

  function toggle(c: Column<T>) {
    const key = c.sortKey;
    if (!key) return;
    setSort((s) => (s && s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' }));
    setOffset(0);
  }

  return (
    <div className="table-wrap">
      {page.error && <ErrorBanner error={page.error} title={`Could not load ${label}`} />}
      <div className="table-scroll">
        <table className="table" aria-label={label} aria-busy={page.loading}>
          <thead>
            <tr>
              {columns.map((c) => {
                const active = sort?.key === c.sortKey && c.sortKey !== undefined;
                return (
                  <th key={c.key} className={c.align === 'right' ? 'num' : undefined} aria-sort={active ? (sort?.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                    {c.sortKey ? (
                      <button type="button" className={`th-sort ${active ? 'th-active' : ''}`} onClick={() => toggle(c)}>
                        {c.label}
                        <span className="sort-icon" aria-hidden>{active ? (sort?.dir === 'asc' ? '▲' : '▼') : '↕'}</span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)} className={onRowClick ? 'row-link' : undefined} onClick={onRowClick ? (e) => !(e.target as HTMLElement).closest('a,button,input,select') && onRowClick(row) : undefined}>
                {columns.map((c) => (
                  <td key={c.key} className={`${c.align === 'right' ? 'num' : ''} ${c.className ?? ''}`}>{c.render(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {page.loading && !page.data && (
          <div className="state-box"><Spinner /><span>Loading {label}…</span></div>
        )}
        {!page.loading && !page.error && rows.length === 0 && (typeof empty === 'string' ? <Empty title={empty} /> : empty)}
      </div>
      {count > 0 && (
        <div className="pager">
          <span className="muted">
            {first}–{last} of {count.toLocaleString('en-US')}
            {page.loading && page.data && <span className="spinner spinner-sm pager-spin" aria-hidden />}
          </span>
          <div className="pager-controls">
            <label className="muted">
              Rows
              <select value={limit} onChange={(e) => { setLimit(Number(e.target.value)); setOffset(0); }}>
                {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>
            <Button variant="ghost" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))} aria-label="Previous page">‹ Prev</Button>
            <Button variant="ghost" disabled={offset + limit >= count} onClick={() => setOffset(offset + limit)} aria-label="Next page">Next ›</Button>
          </div>
        </div>
      )}
    </div>
  );
}
