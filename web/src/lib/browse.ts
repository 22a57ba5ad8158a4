/**
 * Browsing a storage one folder at a time (`GET /nas_shares/{id}/files`, `/cloud_buckets/{id}/files`)
 * and the path arithmetic of the folder browser. Paths are the API's: from the storage root, `/a/b`,
 * the form task node_paths take, for shares and buckets alike (a bucket's `photos/` prefix is `/photos`).
 */
import { get, listQuery } from './api';
import type { BrowsePage } from './catalog-types';

/** The two kinds of storage that hold files (pools are groups of them). */
export type BrowsableKind = 'nas_shares' | 'cloud_buckets';

export interface BrowseParams {
  limit: number;
  offset: number;
  /** `name`, `size` or `mtime` with a direction; none = the API's default, folders first then by name. */
  sort?: { key: string; dir: 'asc' | 'desc' } | null;
  /** Keeps the entries whose name contains this text. */
  name?: string;
}

export function browseFolder(kind: BrowsableKind, id: string, path: string, p: BrowseParams, signal?: AbortSignal): Promise<BrowsePage> {
  const filters = { path, name: p.name ? `~%${p.name}%` : undefined };
  const qs = listQuery({ limit: p.limit, offset: p.offset, sort: p.sort ?? null, filters });
  return get<BrowsePage>(`/${kind}/${encodeURIComponent(id)}/files${qs}`, signal);
}

/** `/a/b/` or `a/b` → `/a/b`; '' → `/`. */
export function normalizePath(path: string): string {
  const parts = path.split('/').filter((s) => s !== '' && s !== '.');
  return '/' + parts.join('/');
}

/** The folder holding `path` (`/a/b` → `/a`, `/` → `/`). */
export function parentPath(path: string): string {
  const p = normalizePath(path);
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

/** The breadcrumbs of a folder: the root, then each folder down to it. */
export function crumbsOf(path: string): Array<{ name: string; path: string }> {
  const parts = normalizePath(path).split('/').filter(Boolean);
  return [{ name: '/', path: '/' }, ...parts.map((name, i) => ({ name, path: '/' + parts.slice(0, i + 1).join('/') }))];
}

/** Which storage an endpoint target (`share:<id>`, `bucket:<id>`) browses; pools and nothing chosen: none. */
export function browsableTarget(target: string): { kind: BrowsableKind; id: string } | undefined {
  const [kind, id] = target.split(/:(.*)/s) as [string, string | undefined];
  if (!id) return undefined;
  if (kind === 'share') return { kind: 'nas_shares', id };
  if (kind === 'bucket') return { kind: 'cloud_buckets', id };
  return undefined;
}
