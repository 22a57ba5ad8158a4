// @vitest-environment jsdom
/** The Movers page against a fake API: every column an operator reads, the refresh, admins only. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import { Shell } from '../components/layout';
import { setToken } from '../lib/api';
import { SessionProvider } from '../lib/session';
import { MOVERS_REFRESH_MS, MoversPage } from '../pages/movers';
import type { Mover } from '../lib/types';
import { installFakeApi } from './fake-api';

const api = installFakeApi();
afterEach(() => vi.useRealTimers());

const mover = (name: string, patch: Partial<Mover> = {}): Mover => ({
  name, host: `${name}.lan`, pid: 4242, slots: 8, storages: '*', state: 'online', started_at: '2026-01-01T00:00:00Z',
  last_heartbeat_at: new Date().toISOString(), bandwidth: 0, files_done: 0, bytes_done: 0, ...patch,
});

/** Serves `/movers` from `list()` (read at each call, so a test can change what the next refresh sees). */
async function renderAs(isAdmin: boolean, list: () => Mover[], ui = <MoversPage />) {
  setToken('t');
  api.serve(({ method, path }) => {
    if (path === '/users/me') return [200, { id: 'u1', username: 'admin', is_admin: isAdmin, email: null, groups: [] }];
    if (method === 'GET' && path.startsWith('/movers?')) return [200, { count: list().length, movers: list() }];
    return undefined;
  });
  await act(async () => {
    render(<SessionProvider>{ui}</SessionProvider>);
  });
}

/** The cells of the row whose first cell is `name`, by column header. */
function row(table: HTMLElement, name: string): Record<string, string> {
  const heads = within(table).getAllByRole('columnheader').map((h) => h.textContent?.replace(/[▲▼↕]/g, '').trim() ?? '');
  const tr = within(table).getByText(name).closest('tr') as HTMLElement;
  const cells = within(tr).getAllByRole('cell').map((c) => c.textContent ?? '');
  return Object.fromEntries(heads.map((h, i) => [h, cells[i] as string]));
}

describe('MoversPage', () => {
  it('shows each mover: state badge, host:pid, slots, what it reaches, bandwidth, files, bytes, last heartbeat', async () => {
    await renderAs(true, () => [
      mover('mover-a', { bandwidth: 1.5 * 1024 * 1024, files_done: 12345, bytes_done: 2 * 1024 ** 3 }),
      mover('mover-b', { state: 'draining', storages: ['projects', 'archive-bucket'], slots: 4, host: 'filer-02', pid: 77 }),
      mover('mover-c', { state: 'offline', storages: [], last_heartbeat_at: new Date(Date.now() - 5 * 60_000).toISOString() }),
    ]);
    const table = await screen.findByRole('table', { name: 'movers' });
    await within(table).findByText('mover-a');
    expect(row(table, 'mover-a')).toEqual({
      Name: 'mover-a', State: 'Online', Host: 'mover-a.lan:4242', Slots: '8', Reaches: 'All storages',
      Bandwidth: '1.5 MiB/s', Files: '12,345', Moved: '2 GiB', 'Last heartbeat': 'just now',
    });
    expect(row(table, 'mover-b')).toMatchObject({ State: 'Draining', Host: 'filer-02:77', Slots: '4', Reaches: 'projectsarchive-bucket', Bandwidth: '0 B/s' });
    expect(within(table).getByText('archive-bucket').className).toBe('chip');
    expect(row(table, 'mover-c')).toMatchObject({ State: 'Offline', Reaches: 'None', 'Last heartbeat': '5 min ago' });
    // Badges carry their state (for e2e tests) and their tone.
    expect(table.querySelector('[data-mover-state="online"] .badge-green')).not.toBeNull();
    expect(table.querySelector('[data-mover-state="draining"] .badge-amber')).not.toBeNull();
    expect(table.querySelector('[data-mover-state="offline"] .badge-gray')).not.toBeNull();
    expect(api.calls.find((c) => c.path.startsWith('/movers'))?.path).toBe('/movers?limit=25&sort_by=name%3Aasc');
  });

  it('refreshes on its own every few seconds: a mover that stops shows offline', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let state: Mover['state'] = 'online';
    await renderAs(true, () => [mover('mover-a', { state, files_done: state === 'online' ? 1 : 2 })]);
    const table = await screen.findByRole('table', { name: 'movers' });
    await within(table).findByText('Online');
    state = 'offline';
    await act(async () => {
      vi.advanceTimersByTime(MOVERS_REFRESH_MS);
    });
    await within(table).findByText('Offline');
    expect(row(table, 'mover-a').Files).toBe('2');
    expect(api.calls.filter((c) => c.path.startsWith('/movers')).length).toBeGreaterThanOrEqual(2);
  });

  it('says when no mover ever started', async () => {
    await renderAs(true, () => []);
    await screen.findByText('No movers yet');
  });

  it('tells a non-admin that only administrators see the movers, and asks the API nothing about them', async () => {
    await renderAs(false, () => [mover('mover-a')]);
    await screen.findByText('Only administrators see the movers.');
    expect(api.calls.some((c) => c.path.startsWith('/movers'))).toBe(false);
  });

  it('is in the navigation for administrators only', async () => {
    await renderAs(true, () => [], <Shell><p>page</p></Shell>);
    expect((await screen.findByRole('link', { name: 'Movers' })).getAttribute('href')).toBe('/console/movers');
  });

  it('is not in the navigation of other users', async () => {
    await renderAs(false, () => [], <Shell><p>page</p></Shell>);
    await screen.findByText('page');
    await screen.findByText('User');
    expect(screen.queryByRole('link', { name: 'Movers' })).toBeNull();
  });
});
