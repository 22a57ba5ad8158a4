/**
 * A search of the scan catalog (`GET /files`): name contains, extension, storage; sorted and paged
 * by the API like every list. Each file links to its folder in the storage's Files tab.
 */
import { useCallback, useEffect, useState } from 'react';
import { getPage, type ListParams } from '../lib/api';
import { parentPath } from '../lib/browse';
import type { CatalogFile } from '../lib/catalog-types';
import { formatBytes } from '../lib/format';
import { storageRoute } from '../lib/privileges';
import { Link } from '../lib/router';
import { useStorageIndex } from '../lib/storages';
import { DataTable, type Column } from './table';
import { Button, Empty, RelativeTime } from './ui';

const DELAY_MS = 300;

/** The text of a field, applied after a short pause so each keystroke is not a request. */
function useDebounced(value: string): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), DELAY_MS);
    return () => clearTimeout(t);
  }, [value]);
  return settled;
}

/** `refreshKey`: a change reloads the results (the dashboard's Refresh). */
export function CatalogSearch({ refreshKey = 0 }: { refreshKey?: number }) {
  const storages = useStorageIndex();
  const [nameInput, setNameInput] = useState('');
  const [extInput, setExtInput] = useState('');
  const [storage, setStorage] = useState('');
  const name = useDebounced(nameInput.trim());
  const extension = useDebounced(extInput.trim());

  const load = useCallback(
    (p: ListParams, signal: AbortSignal) => getPage<CatalogFile>('/files', 'files', {
      ...p, filters: { name: name ? `~%${name}%` : undefined, extension: extension || undefined, storage_id: storage || undefined },
    }, signal),
    [name, extension, storage],
  );

  const folderLink = (f: CatalogFile) => {
    const share = storages.data?.shares.some((s) => s.id === f.storage_id);
    const bucket = storages.data?.buckets.some((b) => b.id === f.storage_id);
    if (!share && !bucket) return undefined;
    const folder = parentPath(f.file_path);
    return `${storageRoute(share ? 'nas_shares' : 'cloud_buckets', f.storage_id)}?tab=files${folder === '/' ? '' : `&path=${encodeURIComponent(folder)}`}`;
  };
  const columns: Array<Column<CatalogFile>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (f) => {
      const to = folderLink(f);
      return (
        <div className="cell-main">
          <strong>{f.name}</strong>
          <span className="cell-sub mono cell-path" title={f.file_path}>{to ? <Link to={to}>{f.file_path}</Link> : f.file_path}</span>
        </div>
      );
    } },
    { key: 'storage', label: 'Storage', sortKey: 'storage_id', render: (f) => storages.data?.name(f.storage_id) ?? <span className="muted">—</span> },
    { key: 'ext', label: 'Extension', sortKey: 'extension', render: (f) => (f.extension ? <span className="chip">{f.extension}</span> : <span className="muted">—</span>) },
    { key: 'size', label: 'Size', sortKey: 'size', align: 'right', render: (f) => formatBytes(f.size) },
    { key: 'mtime', label: 'Modified', sortKey: 'modification_date', render: (f) => <RelativeTime iso={f.modification_date} /> },
  ];
  const filtered = Boolean(name || extension || storage);
  return (
    <>
      <div className="toolbar">
        <input className="search" type="search" placeholder="Name contains…" aria-label="Search files by name" value={nameInput} onChange={(e) => setNameInput(e.target.value)} />
        <input type="search" className="ext-filter" placeholder="Extension" aria-label="Filter by extension" value={extInput} onChange={(e) => setExtInput(e.target.value)} />
        <select aria-label="Filter by storage" value={storage} onChange={(e) => setStorage(e.target.value)}>
          <option value="">All storages</option>
          {storages.data?.shares.map((s) => <option key={s.id} value={s.id}>{storages.data?.name(s.id)}</option>)}
          {storages.data?.buckets.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
        </select>
        {filtered && <Button variant="ghost" onClick={() => { setNameInput(''); setExtInput(''); setStorage(''); }}>Clear filters</Button>}
      </div>
      <DataTable
        label="catalog files" columns={columns} load={load} rowKey={(f) => `${f.storage_id}:${f.file_path}`} initialSort={{ key: 'path', dir: 'asc' }}
        filterKey={`${name}|${extension}|${storage}|${refreshKey}`} pageSize={10}
        empty={filtered ? <Empty title="No file matches these filters">Try another name or extension.</Empty> : <Empty title="The catalog is empty">Scan tasks record the files they see here.</Empty>}
      />
    </>
  );
}
