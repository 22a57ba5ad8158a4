/**
 * Output for people: borderless, colourless column tables (cli-table3 emits ANSI colours unless
 * `style.head/border` are emptied) that survive `grep` and `awk`, key/value blocks for one resource,
 * and the unit formatting (bytes, rates, durations) every command shares. `--json` bypasses all of
 * this and prints the API's bodies as they are.
 */
import Table from 'cli-table3';
import type { Context } from './context.js';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** A cell as a string: nullish → `-`, objects → compact JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Renders rows under upper-case headers, no borders or colours. */
export function renderTable(head: string[], rows: unknown[][]): string {
  const t = new Table({ head: head.map((h) => h.toUpperCase()), chars: NO_BORDERS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const r of rows) t.push(r.map(cell));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

/** Renders `key  value` lines for one resource. */
export function renderKeyValues(pairs: Array<[string, unknown]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** A column of a list: its header and how to read it from an item. */
export interface Column<T> {
  head: string;
  get: (item: T) => unknown;
}

/**
 * Prints a list response: the raw body with `--json`; otherwise a table and, when the page is not
 * everything, a `rows a–b of count` footer (to stderr, so piping the table stays clean).
 */
export function printList<T>(ctx: Context, body: Record<string, unknown>, key: string, columns: Column<T>[], offset = 0): void {
  if (ctx.json) return ctx.printJson(body);
  const items = (body[key] ?? []) as T[];
  const count = typeof body.count === 'number' ? body.count : items.length;
  if (items.length === 0) {
    ctx.note(count > 0 ? `no ${key.replace(/_/g, ' ')} on this page (${count} in all)` : `no ${key.replace(/_/g, ' ')}`);
    return;
  }
  ctx.out(renderTable(columns.map((c) => c.head), items.map((it) => columns.map((c) => c.get(it)))));
  if (items.length < count) ctx.note(`rows ${offset + 1}–${offset + items.length} of ${count} (use --limit/--offset)`);
}

/** Prints one resource: raw JSON with `--json`, else `key  value` lines (the listed keys, in order). */
export function printOne(ctx: Context, body: Record<string, unknown>, keys?: string[]): void {
  if (ctx.json) return ctx.printJson(body);
  const pairs: Array<[string, unknown]> = (keys ?? Object.keys(body)).map((k) => [k, body[k]]);
  ctx.out(renderKeyValues(pairs));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → `1.5 KiB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

/** Bytes per second → `12.3 MiB/s`. */
export function formatRate(bps: number | null | undefined): string {
  return bps ? `${formatBytes(bps)}/s` : '-';
}

/** Seconds → `1h02m03s`, `4m05s`, `6s`; null → `-`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m${String(r).padStart(2, '0')}s`;
  if (m) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** An ISO date as `2025-01-02 03:04:05` (UTC, as the API stores it), or `-`. */
export function formatDate(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}
