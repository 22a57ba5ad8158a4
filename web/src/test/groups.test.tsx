// @vitest-environment jsdom
/** The Groups page against a fake API: members picked from the users, the API's refusals in place. */
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { setToken } from '../lib/api';
import { SessionProvider } from '../lib/session';
import { GroupsPage } from '../pages/groups';
import type { Group } from '../lib/types';
import { dialogNamed, installFakeApi } from './fake-api';

const api = installFakeApi();
const group = (name: string, users: string[]): Group => ({ id: `g-${name}`, name, comment: null, users, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });

async function renderAs(isAdmin: boolean, groups: Group[]) {
  setToken('t');
  api.serve(({ method, path, body }) => {
    if (path === '/users/me') return [200, { id: 'u1', username: 'admin', is_admin: isAdmin, email: null, groups: [] }];
    if (path.startsWith('/users?')) return [200, { count: 3, users: [{ username: 'admin' }, { username: 'jane.doe' }, { username: 'omar' }] }];
    if (method === 'GET' && path.startsWith('/groups?')) return [200, { count: groups.length, groups }];
    if (method === 'POST' && path === '/groups') {
      const g = (body as { group: { name: string; users: string[] } }).group;
      if (groups.some((x) => x.name === g.name)) return [422, { messages: ['Group name has already been taken'], details: { name: [{ error: 'taken' }] } }];
      groups.push(group(g.name, g.users));
      return [201, groups[groups.length - 1]];
    }
    if (method === 'PUT' && path.startsWith('/groups/')) {
      const g = groups.find((x) => `/groups/${x.id}` === path) as Group;
      Object.assign(g, (body as { group: Partial<Group> }).group);
      return [200, g];
    }
    return undefined;
  });
  await act(async () => {
    render(<SessionProvider><GroupsPage /></SessionProvider>);
  });
}

describe('GroupsPage', () => {
  it('lists groups with their members, creates one with the members ticked', async () => {
    await renderAs(true, [group('post-production', ['jane.doe'])]);
    const table = await screen.findByRole('table', { name: 'groups' });
    await within(table).findByText('post-production');
    expect(within(table).getByText('jane.doe')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: '+ Add group' }));
    const dialog = dialogNamed('Add a group');
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'post-production' } });
    fireEvent.click(await within(dialog).findByLabelText('omar'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add group', hidden: true }));
    await within(dialog).findByText('Group name has already been taken');
    expect(within(dialog).getByText('is already taken').closest('.field-invalid')).not.toBeNull();
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'colorists' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add group', hidden: true }));
    await within(table).findByText('colorists');
    expect(api.calls.filter((c) => c.method === 'POST').pop()?.body).toEqual({ group: { name: 'colorists', users: ['omar'] } });
  });

  it('edits the members: saving replaces them', async () => {
    await renderAs(true, [group('post-production', ['jane.doe'])]);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit post-production' }));
    const dialog = dialogNamed('Edit post-production');
    expect((within(dialog).getByLabelText('jane.doe') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(within(dialog).getByLabelText('jane.doe'));
    fireEvent.click(await within(dialog).findByLabelText('omar'));
    fireEvent.change(within(dialog).getByLabelText('Comment'), { target: { value: 'Night shift' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save', hidden: true }));
    await screen.findByText('Night shift');
    expect(api.calls.find((c) => c.method === 'PUT')).toEqual({ method: 'PUT', path: '/groups/g-post-production', body: { group: { name: 'post-production', comment: 'Night shift', users: ['omar'] } } });
  });

  it('tells a non-admin that only administrators manage groups', async () => {
    await renderAs(false, []);
    await screen.findByText('Only administrators manage groups.');
    expect(api.calls.some((c) => c.path.startsWith('/groups'))).toBe(false);
  });
});
