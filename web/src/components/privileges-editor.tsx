/**
 * Who may use one storage (admins only): its guest right — what every signed-in user may do — and
 * its privileges, the users and groups with their own right (`{name, type, privilege}` under
 * `…/{id}/privileges`). Adding, changing a right and removing go straight to the API; its 422
 * messages are shown where they belong.
 */
import { useCallback, useEffect, useState } from 'react';
import { del, get, getPage, post, put, type ListParams } from '../lib/api';
import { ApiError } from '../lib/errors';
import { guestSentence, isRight, RIGHT_CHOICES, rightLabel, rightTone } from '../lib/privileges';
import type { Group, Privilege, Right, User } from '../lib/types';
import { ConfirmDelete, FormModal } from './resource-form';
import { DataTable, type Column } from './table';
import { Badge, Button, Card, Empty, ErrorBanner, Field, RelativeTime } from './ui';

const asError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, String(err)));

/**
 * The guest right: a select and a Save button (a change opens or closes the storage to everybody,
 * so it is never saved by a slip of the mouse wheel).
 */
export function GuestRightForm({ base, value, onSaved }: { base: string; value: Right; onSaved: (r: Right) => void }) {
  const [draft, setDraft] = useState<Right>(value);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(value), [value]);

  async function save() {
    setBusy(true);
    setError(undefined);
    try {
      const r = await put<{ guest_right?: string }>(base, { guest_right: draft });
      onSaved(isRight(r?.guest_right) ? r.guest_right : draft);
      setSaved(true);
    } catch (err) {
      setError(asError(err));
    } finally {
      setBusy(false);
    }
  }

  const fieldErrors = error?.fields.guest_right;
  return (
    <form className="guest-form" onSubmit={(e) => { e.preventDefault(); void save(); }} noValidate>
      <ErrorBanner error={error && !fieldErrors ? error : undefined} title="Guest right not saved" />
      <div className="guest-row">
        <Field label="Every signed-in user" htmlFor="guest-right" errors={fieldErrors} hint={guestSentence(value)}>
          <select id="guest-right" name="guest_right" value={draft} onChange={(e) => { setDraft(e.target.value as Right); setSaved(false); setError(undefined); }}>
            {RIGHT_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </Field>
        <Button type="submit" variant="primary" busy={busy} disabled={draft === value}>Save guest right</Button>
      </div>
      {saved && draft === value && <p className="saved-note" role="status">Saved: {rightLabel(value).toLowerCase()} for every signed-in user.</p>}
    </form>
  );
}

/** A privilege's right, changed in place (saved on change; the row says so). */
function RightSelect({ row, onChange, state }: { row: Privilege; onChange: (r: Right) => void; state: 'saving' | 'saved' | undefined }) {
  return (
    <span className="right-cell">
      <select aria-label={`Right of ${row.type} ${row.name}`} value={row.privilege} disabled={state === 'saving'} onChange={(e) => onChange(e.target.value as Right)} data-right={row.privilege}>
        {RIGHT_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
      </select>
      {state === 'saving' && <span className="spinner spinner-sm" aria-hidden />}
      {state === 'saved' && <span className="saved-note">Saved</span>}
    </span>
  );
}

/** Usernames and group names to suggest in the "add" dialog (best effort: the dialog works without). */
function useGranteeNames(open: boolean): { users: string[]; groups: string[] } {
  const [names, setNames] = useState<{ users: string[]; groups: string[] }>({ users: [], groups: [] });
  useEffect(() => {
    if (!open) return;
    const ctrl = new AbortController();
    Promise.all([
      get<{ users: User[] }>('/users?limit=1000&sort_by=username:asc', ctrl.signal).then((r) => r.users.map((u) => u.username), () => []),
      get<{ groups: Group[] }>('/groups?limit=1000&sort_by=name:asc', ctrl.signal).then((r) => r.groups.map((g) => g.name), () => []),
    ]).then(([users, groups]) => !ctrl.signal.aborted && setNames({ users, groups }));
    return () => ctrl.abort();
  }, [open]);
  return names;
}

/** The privileges table with add, change and remove. `base` is the storage's API path (`/nas_shares/abc`). */
export function PrivilegesEditor({ base, noun }: { base: string; noun: string }) {
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Privilege | null>(null);
  const [rowState, setRowState] = useState<Record<string, { privilege: Right; state: 'saving' | 'saved' }>>({});
  const [error, setError] = useState<ApiError>();
  const names = useGranteeNames(adding);
  const bump = () => setVersion((v) => v + 1);
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<Privilege>(`${base}/privileges`, 'privileges', p, s), [base]);

  async function change(row: Privilege, privilege: Right) {
    setError(undefined);
    setRowState((m) => ({ ...m, [row.id]: { privilege, state: 'saving' } }));
    try {
      const saved = await put<Privilege>(`${base}/privileges/${encodeURIComponent(row.id)}`, { privilege });
      setRowState((m) => ({ ...m, [row.id]: { privilege: isRight(saved?.privilege) ? saved.privilege : privilege, state: 'saved' } }));
    } catch (err) {
      setRowState(({ [row.id]: _gone, ...rest }) => rest);
      setError(asError(err));
    }
  }

  const columns: Array<Column<Privilege>> = [
    { key: 'name', label: 'Name', render: (p) => (
      <span className="user-cell">
        <span className={`avatar avatar-sm ${p.type === 'group' ? 'avatar-group' : ''}`} aria-hidden>{p.type === 'group' ? '#' : p.name.slice(0, 1).toUpperCase()}</span>
        <strong>{p.name}</strong>
      </span>
    ) },
    { key: 'type', label: 'Type', render: (p) => <span className="chip">{p.type === 'group' ? 'Group' : 'User'}</span> },
    { key: 'privilege', label: 'Right', sortKey: 'privilege', render: (p) => <RightSelect row={p} state={rowState[p.id]?.state} onChange={(r) => void change(p, r)} /> },
    { key: 'created', label: 'Granted', sortKey: 'created_at', render: (p) => <RelativeTime iso={p.created_at} /> },
    { key: 'x', label: '', align: 'right', render: (p) => <Button variant="ghost" className="text-red" onClick={() => setRemoving(p)} aria-label={`Remove ${p.type} ${p.name}`}>Remove</Button> },
  ];

  return (
    <Card title="Privileges" actions={<Button variant="primary" onClick={() => setAdding(true)}>+ Add privilege</Button>} className="privileges-card">
      <p className="card-intro muted">
        A user’s own privilege wins; otherwise the best right among their groups; otherwise the guest right. <strong>No access</strong> shuts
        a user or a group out even when the guest right lets everybody in. Administrators have every right.
      </p>
      <ErrorBanner error={error} title="Right not changed" onDismiss={() => setError(undefined)} />
      <DataTable label="privileges" columns={columns} load={load} rowKey={(p) => p.id} initialSort={{ key: 'created_at', dir: 'asc' }} filterKey={`${base}:${version}`} pageSize={25}
        mapRow={(p) => (rowState[p.id] ? { ...p, privilege: rowState[p.id]!.privilege } : p)}
        empty={<Empty title="No privileges">Only the guest right applies to this {noun}.</Empty>} />
      <FormModal title="Add a privilege" open={adding} onClose={() => setAdding(false)} submitLabel="Add privilege" initial={{ type: 'user', name: '', privilege: 'read' }}
        intro={<p className="muted">Give a user or a group its own right on this {noun}.</p>}
        fields={[
          { key: 'type', label: 'Type', kind: 'select', choices: [{ value: 'user', label: 'User' }, { value: 'group', label: 'Group' }] },
          { key: 'name', label: 'Name', placeholder: 'a username or a group name', suggestions: (v) => (v.type === 'group' ? names.groups : names.users) },
          { key: 'privilege', label: 'Right', kind: 'select', choices: RIGHT_CHOICES },
        ]}
        onSubmit={async (b) => { await post(`${base}/privileges`, b); bump(); }} />
      <ConfirmDelete what={removing ? `the privilege of ${removing.name}` : ''} open={removing !== null} onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (removing) await del(`${base}/privileges/${encodeURIComponent(removing.id)}`);
          setRowState(({ [removing?.id ?? '']: _gone, ...rest }) => rest);
          bump();
        }}>
        <p>
          {removing?.type === 'group' ? `Members of ${removing.name} fall back to their other groups’ rights or the guest right.` : `${removing?.name ?? ''} falls back to their groups’ rights or the guest right.`}{' '}
          An execution that needs a right lost this way stops after its current batch.
        </p>
      </ConfirmDelete>
    </Card>
  );
}

/** Badge for a right (lists and details). */
export function RightBadge({ right }: { right: string | null | undefined }) {
  return <span data-right={right ?? undefined}><Badge tone={rightTone(right)}>{rightLabel(right)}</Badge></span>;
}
