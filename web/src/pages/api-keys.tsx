/**
 * The signed-in user's API keys. A key is shown in full exactly once, right after it is created (the
 * server keeps only its hash); afterwards only its masked form. Scopes limit what a key may call.
 */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { Badge, Button, Card, Empty, Facts, RelativeTime } from '../components/ui';
import { del, getPage, post, type ListParams } from '../lib/api';
import { useSession } from '../lib/session';
import type { ApiKey } from '../lib/types';

const PRESETS: Record<string, { label: string; scopes: Array<{ controller: string; action: string }> }> = {
  full: { label: 'Full access (everything this user may do)', scopes: [{ controller: '*', action: '*' }] },
  read: { label: 'Read only (list and show)', scopes: [{ controller: '*', action: 'index' }, { controller: '*', action: 'show' }] },
  tasks: { label: 'Tasks: read and run', scopes: [{ controller: 'tasks', action: '*' }, { controller: 'task_executions', action: '*' }] },
};

function scopeText(k: ApiKey): string {
  const s = k.api_key_scopes;
  if (s.some((x) => x.controller === '*' && x.action === '*')) return 'Full access';
  return s.map((x) => `${x.controller}/${x.action}`).join(', ');
}

export function ApiKeysPage() {
  const { user } = useSession();
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<ApiKey>('/users/me/api_keys', 'api_keys', p, s), []);

  const columns: Array<Column<ApiKey>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (k) => <strong>{k.name}</strong> },
    { key: 'key', label: 'Key', className: 'mono', render: (k) => k.key },
    { key: 'scopes', label: 'Scopes', render: (k) => <Badge tone={scopeText(k) === 'Full access' ? 'indigo' : 'gray'}>{scopeText(k)}</Badge> },
    { key: 'created', label: 'Created', sortKey: 'created_at', render: (k) => <RelativeTime iso={k.created_at} /> },
    { key: 'used', label: 'Last used', sortKey: 'last_used_at', render: (k) => (k.last_used_at ? <RelativeTime iso={k.last_used_at} /> : <span className="muted">never</span>) },
    { key: 'x', label: '', align: 'right', render: (k) => <Button variant="ghost" className="text-red" onClick={() => setDeleting(k)}>Revoke</Button> },
  ];

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      /* clipboard refused (insecure context): the key is selectable */
    }
  }

  return (
    <>
      <PageHeader title="API keys" subtitle={<>Keys for scripts and integrations acting as <strong>{user?.username}</strong>. Send one as the <code>Authorization</code> header.</>}
        actions={<Button variant="primary" onClick={() => setAdding(true)}>+ New API key</Button>} />
      {created && (
        <Card className="key-once" title="Copy your new key now">
          <p>This is the only time the full key is shown. Store it in your secret manager.</p>
          <div className="key-box">
            <code data-testid="new-key">{created.key}</code>
            <Button onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>
          </div>
          <Facts items={[['Name', created.name], ['Scopes', scopeText(created)]]} />
          <div className="key-actions"><Button variant="primary" onClick={() => setCreated(null)}>I have stored it</Button></div>
        </Card>
      )}
      <Card>
        <DataTable label="API keys" columns={columns} load={load} rowKey={(k) => k.id} initialSort={{ key: 'created_at', dir: 'desc' }} filterKey={String(version)}
          empty={<Empty title="No API keys">Create one for each script or integration, so each can be revoked on its own.</Empty>} />
      </Card>
      <FormModal title="New API key" open={adding} onClose={() => setAdding(false)} submitLabel="Create key" initial={{ preset: 'full' }} errorPrefix="api_key."
        fields={[
          { key: 'name', label: 'Name', placeholder: 'e.g. nightly-backup-script' },
          { key: 'preset', label: 'Access', kind: 'select', choices: Object.entries(PRESETS).map(([value, p]) => ({ value, label: p.label })) },
        ]}
        onSubmit={async ({ name, preset }) => {
          const k = await post<ApiKey>('/users/me/api_keys', { name, api_key_scopes: PRESETS[String(preset)]?.scopes ?? [] });
          setCreated(k);
          setCopied(false);
          setVersion((v) => v + 1);
        }} />
      <ConfirmDelete what={deleting?.name ?? ''} open={deleting !== null} onClose={() => setDeleting(null)} onConfirm={async () => { if (deleting) await del(`/users/me/api_keys/${encodeURIComponent(deleting.id)}`); setVersion((v) => v + 1); }}>
        <p>Anything using this key loses access immediately.</p>
      </ConfirmDelete>
    </>
  );
}
