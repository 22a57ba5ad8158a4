/**
 * One folder of a NAS share or a cloud bucket at a time: breadcrumbs back up, folders first (the API's
 * default order; Name, Size and Modified sort too), sizes and dates, a name filter and paging for big
 * folders, and the API's refusal (unknown path, not a folder, storage unavailable) shown in place.
 * The folder is the caller's (`path`, `onNavigate`): the task editor's modal keeps it in state, the
 * storage page in the URL. With `pick`, each entry that may be chosen gets a Select button.
 */
import { useEffect, useState, type KeyboardEvent } from 'react';
import { browseFolder, crumbsOf, normalizePath, type BrowsableKind } from '../lib/browse';
import type { BrowseEntry } from '../lib/catalog-types';
import { formatBytes, formatCount } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { Button, ErrorBanner, Notice, RelativeTime, Spinner } from './ui';

export interface PickOptions {
  /** Files may be picked too (sources), not only folders (destinations). */
  files: boolean;
  onPick: (path: string) => void;
}

interface Props {
  kind: BrowsableKind;
  id: string;
  path: string;
  onNavigate: (path: string) => void;
  pick?: PickOptions;
  pageSize?: number;
}

type Sort = { key: 'name' | 'size' | 'mtime'; dir: 'asc' | 'desc' } | null;

const FILTER_DELAY_MS = 300;

const folderIcon = (
  <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden className="entry-icon entry-folder">
    <path d="M3 6.5A1.5 1.5 0 0 1 4.5 5h4l2 2h9A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z" fill="currentColor" />
  </svg>
);
const fileIcon = (
  <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden className="entry-icon entry-file">
    <path d="M6 3h8l4 4v14H6zM14 3v4h4" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
  </svg>
);

export function FolderBrowser(props: Props) {
  const path = normalizePath(props.path);
  // A new folder starts afresh: first page, no filter, the default order.
  return <FolderView key={`${props.kind}:${props.id}:${path}`} {...props} path={path} />;
}

function FolderView({ kind, id, path, onNavigate, pick, pageSize = 100 }: Props) {
  const [offset, setOffset] = useState(0);
  const [sort, setSort] = useState<Sort>(null);
  const [typed, setTyped] = useState('');
  const [name, setName] = useState('');
  // Typing filters after a short pause, so each keystroke is not a request.
  useEffect(() => {
    if (typed.trim() === name) return;
    const t = setTimeout(() => { setName(typed.trim()); setOffset(0); }, FILTER_DELAY_MS);
    return () => clearTimeout(t);
  }, [typed, name]);

  const page = useAsync((signal) => browseFolder(kind, id, path, { limit: pageSize, offset, sort, name }, signal), [offset, sort?.key, sort?.dir, name, pageSize]);
  const current = page.error ? undefined : page.data;
  const rows = current?.files ?? [];
  const count = current?.count ?? 0;

  /** A column cycles: its natural order (names A→Z, largest and newest first), the reverse, then the default. */
  function toggle(k: 'name' | 'size' | 'mtime') {
    const first = k === 'name' ? 'asc' : 'desc';
    setSort((s) => (s?.key !== k ? { key: k, dir: first } : s.dir === first ? { key: k, dir: first === 'asc' ? 'desc' : 'asc' } : null));
    setOffset(0);
  }
  function onFilterKey(e: KeyboardEvent<HTMLInputElement>) {
    // The browser may sit inside a form (the task editor): Enter filters now, it does not submit.
    if (e.key !== 'Enter') return;
    e.preventDefault();
    setName(typed.trim());
    setOffset(0);
  }
  const header = (k: 'name' | 'size' | 'mtime', label: string, right = false) => {
    const active = sort?.key === k;
    return (
      <th className={right ? 'num' : undefined} aria-sort={active ? (sort?.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
        <button type="button" className={`th-sort ${active ? 'th-active' : ''}`} onClick={() => toggle(k)}>
          {label}
          <span className="sort-icon" aria-hidden>{active ? (sort?.dir === 'asc' ? '▲' : '▼') : '↕'}</span>
        </button>
      </th>
    );
  };
  const pickable = (e: BrowseEntry) => pick && (e.type === 'folder' || pick.files);

  return (
    <div className="browser" data-path={path}>
      <div className="browser-bar">
        <nav className="browser-crumbs" aria-label="Folder path">
          {crumbsOf(path).map((c, i, all) => {
            const label = i === 0 ? 'Root' : c.name;
            return (
              <span key={c.path}>
                {i > 0 && <span className="crumb-sep" aria-hidden>/</span>}
                {i === all.length - 1
                  ? <strong aria-current="location">{label}</strong>
                  : <button type="button" className="crumb-btn" onClick={() => onNavigate(c.path)}>{label}</button>}
              </span>
            );
          })}
        </nav>
        <input type="search" className="browser-filter" aria-label="Filter by name" placeholder="Filter by name" value={typed} onChange={(e) => setTyped(e.target.value)} onKeyDown={onFilterKey} />
      </div>
      {page.error && <ErrorBanner error={page.error} title={`Could not list ${path}`} />}
      {current?.truncated && <Notice tone="warning">This folder holds more than {formatCount(count)} entries: only those are counted and sorted. Filter by name to find the others.</Notice>}
      {!page.error && (
        <div className="browser-scroll">
          <table className="table browser-table" aria-label={`Contents of ${path}`} aria-busy={page.loading}>
            <thead>
              <tr>
                {header('name', 'Name')}
                {header('size', 'Size', true)}
                {header('mtime', 'Modified')}
                {pick && <th><span className="sr-only">Select</span></th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.path} data-entry={e.path} data-type={e.type}>
                  <td className="browser-name">
                    {e.type === 'folder'
                      ? <button type="button" className="entry-open" onClick={() => onNavigate(e.path)} aria-label={`Open ${e.name}`}>{folderIcon}<span>{e.name}</span></button>
                      : <span className="entry-plain">{fileIcon}<span>{e.name}</span>{e.link_target && <span className="muted"> → {e.link_target}</span>}</span>}
                  </td>
                  <td className="num">{e.type === 'folder' ? <span className="muted">—</span> : formatBytes(e.size)}</td>
                  <td><RelativeTime iso={e.mtime} /></td>
                  {pick && (
                    <td className="num">
                      {pickable(e) && <Button variant="ghost" aria-label={`Select ${e.path}`} onClick={() => pick.onPick(e.path)}>Select</Button>}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {!current && <div className="state-box"><Spinner /><span>Listing {path}…</span></div>}
          {current && rows.length === 0 && <div className="state-box">{name ? `Nothing in this folder matches “${name}”.` : 'This folder is empty.'}</div>}
        </div>
      )}
      {current && count > pageSize && (
        <div className="pager">
          <span className="muted">{formatCount(offset + 1)}–{formatCount(offset + rows.length)} of {formatCount(count)}</span>
          <div className="pager-controls">
            <Button variant="ghost" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))} aria-label="Previous page">‹ Prev</Button>
            <Button variant="ghost" disabled={offset + pageSize >= count} onClick={() => setOffset(offset + pageSize)} aria-label="Next page">Next ›</Button>
          </div>
        </div>
      )}
    </div>
  );
}
