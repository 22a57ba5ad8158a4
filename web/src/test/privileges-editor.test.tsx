// @vitest-environment jsdom
/**
 * The privileges editor against a fake API (fetch stubbed): listing, adding with the API's 422
 * messages, changing a right in place, removing, the guest right, and a storage page as a non-admin
 * sees it (no path, no controls).
 */
import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { GuestRightForm, PrivilegesEditor } from '../components/privileges-editor';
import { unquotedMessages } from '../components/resource-form';
import { setToken } from '../lib/api';
import { toApiError } from '../lib/errors';
import { guestSentence, rightLabel, storageApiPath, storageRoute } from '../lib/privileges';
import { SessionProvider } from '../lib/session';
import { StorageDetailPage } from '../pages/storage-detail';
import type { Privilege } from '../lib/types';
import { dialogNamed, installFakeApi, type Handler } from './fake-api';

const api = installFakeApi();
const { calls } = api;
const serve = api.serve;

const priv = (id: string, name: string, type: 'user' | 'group', privilege: Privilege['privilege']): Privilege => ({ id, name, type, privilege, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });
const BASE = '/nas_shares/s1';

/** A storage's privileges as state the fake API reads and writes. */
function privilegeApi(rows: Privilege[]): Handler {
  return ({ method, path, body }) => {
    if (method === 'GET' && path.startsWith(`${BASE}/privileges?`)) return [200, { count: rows.length, privileges: rows }];
    if (method === 'GET' && path.startsWith('/users?')) return [200, { count: 2, users: [{ username: 'alice' }, { username: 'bob' }] }];
    if (method === 'GET' && path.startsWith('/groups?')) return [200, { count: 1, groups: [{ name: 'post-production' }] }];
    const id = path.split('/').pop() as string;
    if (method === 'PUT' && path.startsWith(`${BASE}/privileges/`)) {
      const row = rows.find((r) => r.id === id) as Privilege;
      row.privilege = (body as { privilege: Privilege['privilege'] }).privilege;
      return [200, row];
    }
    if (method === 'DELETE' && path.startsWith(`${BASE}/privileges/`)) {
      rows.splice(rows.findIndex((r) => r.id === id), 1);
      return [204, undefined];
    }
    return undefined;
  };
}

describe('lib/privileges', () => {
  it('names the rights and the places of a storage', () => {
    expect(rightLabel('read_write')).toBe('Read & write');
    expect(rightLabel('none')).toBe('No access');
    expect(storageApiPath('cloud_buckets', 'a b')).toBe('/cloud_buckets/a%20b');
    expect(storageRoute('nas_shares', 'x')).toBe('/storages/nas/shares/x');
    expect(storageRoute('pools', 'p')).toBe('/storages/pools/p');
    expect(guestSentence('read')).toMatch(/may read it/);
  });
  it('keeps the API messages that no field quotes', () => {
    const e = toApiError(422, { messages: ['No user named nobody', "Privilege can't be blank"], details: { name: [{ error: 'not_found', value: 'nobody' }], privilege: [{ error: 'blank' }] } });
    expect(unquotedMessages(e)).toEqual(['No user named nobody']);
  });
});

describe('PrivilegesEditor', () => {
  it('lists users and groups with their rights', async () => {
    serve(privilegeApi([priv('p1', 'alice', 'user', 'read'), priv('p2', 'post-production', 'group', 'read_write')]));
    render(<PrivilegesEditor base={BASE} noun="share" />);
    const table = await screen.findByRole('table', { name: 'privileges' });
    await within(table).findByText('alice');
    expect(within(table).getByText('Group')).toBeTruthy();
    expect((screen.getByLabelText('Right of user alice') as HTMLSelectElement).value).toBe('read');
    expect((screen.getByLabelText('Right of group post-production') as HTMLSelectElement).value).toBe('read_write');
    expect(calls[0]?.path).toMatch(/^\/nas_shares\/s1\/privileges\?limit=25&sort_by=created_at%3Aasc$/);
  });

  it('adds a privilege, showing the API’s refusals next to the field and in its words', async () => {
    const rows: Privilege[] = [];
    let attempts = 0;
    serve(({ method, path, body }) => {
      if (method !== 'POST' || path !== `${BASE}/privileges`) return undefined;
      attempts++;
      if (attempts === 1) return [422, { messages: ['alice already has a privilege on this storage; update it instead'], details: { name: [{ error: 'taken', value: 'alice' }] } }];
      const b = body as Privilege;
      rows.push(priv('p9', b.name, b.type, b.privilege));
      return [201, rows[0]];
    }, privilegeApi(rows));
    render(<PrivilegesEditor base={BASE} noun="share" />);
    await screen.findByText('No privileges');
    fireEvent.click(screen.getByRole('button', { name: '+ Add privilege' }));
    const dialog = dialogNamed('Add a privilege');
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'alice' } });
    fireEvent.change(within(dialog).getByLabelText('Right'), { target: { value: 'read_write' } });
    // Names that exist are suggested, users or groups after the type.
    await waitFor(() => expect(dialog.querySelectorAll('datalist option')).toHaveLength(2));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add privilege', hidden: true }));
    await within(dialog).findByText('alice already has a privilege on this storage; update it instead');
    expect(within(dialog).getByText('is already taken').closest('.field-invalid')).not.toBeNull();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ type: 'user', name: 'alice', privilege: 'read_write' });

    fireEvent.change(within(dialog).getByLabelText('Type'), { target: { value: 'group' } });
    await waitFor(() => expect(dialog.querySelector('datalist option')?.getAttribute('value')).toBe('post-production'));
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'post-production' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add privilege', hidden: true }));
    const row = (await screen.findByText('post-production', { selector: 'strong' })).closest('tr') as HTMLElement;
    expect(within(row).getByText('Group')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST').pop()?.body).toEqual({ type: 'group', name: 'post-production', privilege: 'read_write' });
  });

  it('changes a right in place and says so; a refusal puts the old right back', async () => {
    const rows = [priv('p1', 'alice', 'user', 'read')];
    let refuse = false;
    serve(({ method }) => (refuse && method === 'PUT' ? [403, { messages: ['Only an admin can see or change storage privileges'], details: {} }] : undefined), privilegeApi(rows));
    render(<PrivilegesEditor base={BASE} noun="share" />);
    const select = (await screen.findByLabelText('Right of user alice')) as HTMLSelectElement;
    fireEvent.change(select, { target: { value: 'read_write' } });
    await screen.findByText('Saved');
    expect(calls.find((c) => c.method === 'PUT')).toEqual({ method: 'PUT', path: `${BASE}/privileges/p1`, body: { privilege: 'read_write' } });
    expect((screen.getByLabelText('Right of user alice') as HTMLSelectElement).value).toBe('read_write');

    refuse = true;
    fireEvent.change(screen.getByLabelText('Right of user alice'), { target: { value: 'none' } });
    await screen.findByText('Only an admin can see or change storage privileges');
    expect((screen.getByLabelText('Right of user alice') as HTMLSelectElement).value).toBe('read');
  });

  it('removes a privilege after a confirmation', async () => {
    const rows = [priv('p1', 'alice', 'user', 'read'), priv('p2', 'bob', 'user', 'none')];
    serve(privilegeApi(rows));
    render(<PrivilegesEditor base={BASE} noun="share" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Remove user bob' }));
    const dialog = dialogNamed('Delete the privilege of bob?');
    expect(within(dialog).getByText(/bob falls back/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete', hidden: true }));
    await waitFor(() => expect(screen.queryByText('bob')).toBeNull());
    expect(calls.find((c) => c.method === 'DELETE')?.path).toBe(`${BASE}/privileges/p2`);
    expect(screen.getByText('alice')).toBeTruthy();
  });
});

describe('GuestRightForm', () => {
  it('saves the guest right with PUT once it changed, and shows the API’s message under it', async () => {
    let answer: [number, unknown] = [422, { messages: ['Guest right is not included in the list (none, read, read_write)'], details: { guest_right: [{ error: 'inclusion', value: 'read' }] } }];
    serve(({ method, path }) => (method === 'PUT' && path === BASE ? answer : undefined));
    const saved = vi.fn();
    render(<GuestRightForm base={BASE} value="none" onSaved={saved} />);
    const button = screen.getByRole('button', { name: 'Save guest right' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Every signed-in user'), { target: { value: 'read' } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await screen.findByText('is not included in the list (none, read, read_write)');
    expect(calls[0]).toEqual({ method: 'PUT', path: BASE, body: { guest_right: 'read' } });
    expect(saved).not.toHaveBeenCalled();

    answer = [200, { id: 's1', guest_right: 'read' }];
    fireEvent.click(button);
    await waitFor(() => expect(saved).toHaveBeenCalledWith('read'));
  });
});

describe('StorageDetailPage', () => {
  const share = { id: 's1', nas_id: 'n1', pool_id: null, name: 'projects', guest_right: 'read', created_at: '2026-01-01T00:00:00Z' };
  const common: Handler = ({ path }) => {
    if (path.startsWith('/nas?')) return [200, { count: 1, nas: [{ id: 'n1', name: 'filer-01', type: 'nfs_v4' }] }];
    if (path.startsWith('/nas_shares?')) return [200, { count: 1, nas_shares: [share] }];
    if (path.startsWith('/cloud_buckets?')) return [200, { count: 0, cloud_buckets: [] }];
    if (path.startsWith('/pools?')) return [200, { count: 0, pools: [] }];
    if (path === '/nas_shares/s1/mount') return [200, { mounted: true, readable: true, writable: true, error: null }];
    return undefined;
  };

  async function renderAs(isAdmin: boolean, body: Record<string, unknown>) {
    setToken('t');
    serve(({ path }) => (path === '/users/me' ? [200, { id: 'u1', username: isAdmin ? 'admin' : 'alice', is_admin: isAdmin, email: null, groups: [] }] : path === '/nas_shares/s1' ? [200, body] : undefined), common, privilegeApi([]));
    await act(async () => {
      render(<SessionProvider><StorageDetailPage kind="nas_shares" id="s1" /></SessionProvider>);
    });
    await screen.findByRole('heading', { name: 'projects', level: 1 });
  }

  it('shows a non-admin the share without its path and without access controls', async () => {
    await renderAs(false, share);
    await screen.findByText('filer-01');
    expect(screen.queryByText('Mount path')).toBeNull();
    expect(screen.getByText('Read')).toBeTruthy();
    expect(screen.queryByRole('button', { name: '+ Add privilege' })).toBeNull();
    expect(screen.queryByLabelText('Every signed-in user')).toBeNull();
    expect(calls.some((c) => c.path.includes('/privileges'))).toBe(false);
  });

  it('gives an admin the path, the guest right and the privileges', async () => {
    await renderAs(true, { ...share, path: '/mnt/filer-01/projects' });
    await screen.findByText('/mnt/filer-01/projects');
    expect((screen.getByLabelText('Every signed-in user') as HTMLSelectElement).value).toBe('read');
    await screen.findByText('No privileges');
    expect(screen.getByRole('button', { name: '+ Add privilege' })).toBeTruthy();
    expect(screen.queryByLabelText('Quota')).toBeNull(); // the API gave no quota_bytes: nothing to edit
  });

  it('gives an admin the share’s cache quota, shown and editable', async () => {
    await renderAs(true, { ...share, path: '/mnt/filer-01/projects', quota_bytes: 2 * 1024 ** 4 });
    await screen.findByText('2 TiB');
    expect((screen.getByLabelText('Quota') as HTMLInputElement).value).toBe('2T');
  });
});
