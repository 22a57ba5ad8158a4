/**
 * Sources or destinations of a task: for each, the kind of storage, the storage itself (a NAS share,
 * a cloud bucket, or a pool — picked from the registry, never typed as an id) and the paths inside
 * it, typed or picked with "Browse…" in the storage's folders. Messages such as
 * `sources[0].storage_id` show on the row they concern.
 */
import { useState } from 'react';
import { browsableTarget, normalizePath, parentPath } from '../lib/browse';
import { errorsUnder } from '../lib/errors';
import { humanize } from '../lib/format';
import type { StorageIndex } from '../lib/storages';
import type { Endpoint, EndpointType } from '../lib/types';
import { BrowseModal } from './browse-modal';
import { Button, Field } from './ui';

/** An endpoint in the form: paths as the text of a textarea, one per line. */
export interface EndpointDraft {
  type: EndpointType;
  /** `share:<id>`, `bucket:<id>` or `pool:<id>`; '' = not chosen. */
  target: string;
  paths: string;
}

export function draftOf(e: Endpoint): EndpointDraft {
  const target = e.pool_id ? `pool:${e.pool_id}` : e.storage_id ? `${e.type.endsWith('cloud') ? 'bucket' : 'share'}:${e.storage_id}` : '';
  return { type: e.type, target, paths: (e.node_paths ?? []).join('\n') };
}

export function endpointOf(d: EndpointDraft): Endpoint {
  const [kind, id] = d.target.split(/:(.*)/s) as [string, string | undefined];
  const node_paths = d.paths.split('\n').map((p) => p.trim()).filter(Boolean);
  const out: Endpoint = { type: d.type };
  if (kind === 'pool') out.pool_id = id ?? null;
  else if (id) out.storage_id = id;
  if (!d.type.endsWith('tape')) out.node_paths = node_paths;
  return out;
}

/** Where the chosen share lives on the movers, under its select. */
function mountHint(target: string, storages: StorageIndex | undefined): string | undefined {
  if (!target.startsWith('share:')) return undefined;
  return storages?.shares.find((s) => s.id === target.slice(6))?.path;
}

const linesOf = (paths: string) => paths.split('\n').map((p) => p.trim()).filter(Boolean);

/**
 * The paths text after picking `picked` in the browser. A destination has one path: it is replaced.
 * Sources gather: the picked path is added, except that it replaces the default `/` (the whole
 * storage), and picking `/` means the whole storage again.
 */
export function withPicked(paths: string, picked: string, role: 'sources' | 'destinations'): string {
  const lines = linesOf(paths);
  if (role === 'destinations' || picked === '/' || lines.length === 0 || (lines.length === 1 && lines[0] === '/')) return picked;
  return lines.includes(picked) ? lines.join('\n') : [...lines, picked].join('\n');
}

/** Where the browser opens: a destination's folder; for sources, the folder holding the last one (it may be a file). */
export function browseStart(paths: string, role: 'sources' | 'destinations'): string {
  const last = linesOf(paths).pop();
  if (!last) return '/';
  return role === 'destinations' ? normalizePath(last) : parentPath(last);
}

/** The chosen storage's name, for the browser's title. */
function storageName(target: string, storages: StorageIndex | undefined): string {
  const id = target.slice(target.indexOf(':') + 1);
  return (target.startsWith('share:') ? storages?.shares : storages?.buckets)?.find((s) => s.id === id)?.name ?? 'storage';
}

const kindOf = (type: string) => (type.endsWith('cloud') ? 'cloud' : type.endsWith('tape') ? 'tape' : 'nas');

interface Props {
  role: 'sources' | 'destinations';
  value: EndpointDraft[];
  onChange: (next: EndpointDraft[]) => void;
  types: string[];
  storages: StorageIndex | undefined;
  errors: Record<string, string[]>;
}

export function EndpointsEditor({ role, value, onChange, types, storages, errors }: Props) {
  const label = role === 'sources' ? 'Source' : 'Destination';
  const update = (i: number, patch: Partial<EndpointDraft>) => onChange(value.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const listErrors = (errors[role] ?? []);
  // The row whose storage is being browsed.
  const [browsing, setBrowsing] = useState<number>();
  const browsed = browsing === undefined ? undefined : value[browsing];
  const browseTarget = browsed ? browsableTarget(browsed.target) : undefined;
  return (
    <div className="endpoints" data-role={role}>
      {value.length === 0 && <p className="muted">No {role} yet.</p>}
      {value.map((d, i) => {
        const key = `${role}[${i}]`;
        const kind = kindOf(d.type);
        const pools = (storages?.pools ?? []).filter((p) => p.content === kind);
        const nasName = new Map((storages?.nas ?? []).map((n) => [n.id, n.name]));
        const rowErrors = errorsUnder(errors, key).filter((m) => !(errors[`${key}.storage_id`] ?? []).includes(m) && !(errors[`${key}.node_paths`] ?? []).includes(m) && !(errors[`${key}.pool_id`] ?? []).includes(m));
        return (
          <div className="endpoint-row" key={i} data-index={i}>
            <div className="endpoint-head">
              <span className="endpoint-num">{label} {i + 1}</span>
              <Button variant="ghost" className="endpoint-remove" aria-label={`Remove ${label.toLowerCase()} ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>Remove</Button>
            </div>
            <Field label="Kind" htmlFor={`${role}-${i}-type`} errors={errors[`${key}.type`]}>
              <select id={`${role}-${i}-type`} value={d.type} onChange={(e) => update(i, { type: e.target.value as EndpointType, target: kindOf(e.target.value) === kind ? d.target : '' })}>
                {types.map((t) => <option key={t} value={t}>{humanize(t).replace('Nas', 'NAS')}</option>)}
              </select>
            </Field>
            <Field label="Storage" htmlFor={`${role}-${i}-storage`} hint={mountHint(d.target, storages)} errors={[...(errors[`${key}.storage_id`] ?? []), ...(errors[`${key}.pool_id`] ?? [])]}>
              <select id={`${role}-${i}-storage`} name={`${role}[${i}].storage`} value={d.target} onChange={(e) => update(i, { target: e.target.value })}>
                <option value="">Choose {kind === 'nas' ? 'a share' : kind === 'cloud' ? 'a bucket' : 'a pool'}…</option>
                {kind === 'nas' && storages?.shares.map((s) => <option key={s.id} value={`share:${s.id}`}>{s.name} — {nasName.get(s.nas_id) ?? 'NAS'}</option>)}
                {kind === 'cloud' && storages?.buckets.map((b) => <option key={b.id} value={`bucket:${b.id}`}>{b.name}</option>)}
                {pools.length > 0 && (
                  <optgroup label="Pools">
                    {pools.map((p) => <option key={p.id} value={`pool:${p.id}`}>{p.name}</option>)}
                  </optgroup>
                )}
              </select>
            </Field>
            {kind !== 'tape' && (
              <Field label="Paths" className="endpoint-paths" hint={role === 'sources' ? 'One per line; / is the whole storage.' : 'A folder of the storage; / is its root.'} htmlFor={`${role}-${i}-paths`} errors={errors[`${key}.node_paths`]}>
                <div className="paths-row">
                  <textarea id={`${role}-${i}-paths`} rows={1} className="mono" value={d.paths} onChange={(e) => update(i, { paths: e.target.value })} placeholder="/" spellCheck={false} />
                  <Button
                    className="browse-btn" aria-label={`Browse ${label.toLowerCase()} ${i + 1}`} disabled={!browsableTarget(d.target)} onClick={() => setBrowsing(i)}
                    title={browsableTarget(d.target) ? 'Pick a path in the storage' : d.target ? 'A pool has no folders of its own: pick a share or a bucket to browse' : 'Choose a storage first'}
                  >Browse…</Button>
                </div>
              </Field>
            )}
            {rowErrors.length > 0 && <div className="endpoint-errors">{rowErrors.map((m) => <div className="field-error" key={m}>{m}</div>)}</div>}
          </div>
        );
      })}
      {listErrors.map((m) => <div className="field-error" key={m}>{m}</div>)}
      {browsed && browseTarget && browsing !== undefined && (
        <BrowseModal
          kind={browseTarget.kind} id={browseTarget.id} name={storageName(browsed.target, storages)} initialPath={browseStart(browsed.paths, role)} files={role === 'sources'}
          onPick={(p) => update(browsing, { paths: withPicked(browsed.paths, p, role) })} onClose={() => setBrowsing(undefined)}
        />
      )}
      <Button variant="ghost" onClick={() => onChange([...value, { type: (types.includes('nas') ? 'nas' : (types[0] ?? 'nas')) as EndpointType, target: '', paths: '/' }])}>+ Add {label.toLowerCase()}</Button>
    </div>
  );
}
