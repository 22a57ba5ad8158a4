// @vitest-environment jsdom
/**
 * The Tape page against a fake API: the library's facts, what each drive is doing, every cartridge
 * with its fill bar, place and flags, Eject only where it can work (and what it sends), admins only,
 * and Format where the cartridge can be written (it runs the `format` workflow action through a task).
 */
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { setToken } from '../lib/api';
import { formatBlocker, formatTaskBody } from '../components/tape-format-dialog';
import { SessionProvider } from '../lib/session';
import { TapePage, tapePlace } from '../pages/tape';
import type { Tape, TapeDrive, TapeLibrary } from '../lib/tape-types';
import { dialogNamed, installFakeApi } from './fake-api';

const api = installFakeApi();
const MiB = 1024 * 1024;

const lib: TapeLibrary = {
  id: 'lib1', name: 'vault-a', type: 'virtual', path: '/srv/tape/vault-a', comment: null, slots: 6, drives: 3, mailslots: 1, tape_type: 'data_lto8', capacity_bytes: 4 * MiB,
  load_seconds: 0, seek_mb_per_second: 0, barcode_prefix: 'BRG', status: 'online', storage_slots: 6, io_slots: 1, vendor: 'Barge', product: 'Virtual tape library (data_lto8)',
  serial: 'BARGE-VTL-LIB1', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

const drive = (index: number, patch: Partial<TapeDrive> = {}): TapeDrive => ({
  id: `d${index}`, tape_library_id: 'lib1', name: `vault-a drive ${index}`, index, serial: `SER-${index}`, vendor: 'Barge', product: 'Virtual LTO8 drive', status: 'online',
  barcode: null, task_id: null, execution_id: null, mount_count: 0, bandwidth: 0, bytes_written: 0, bytes_read: 0, created_at: '', updated_at: '', ...patch,
});

const tape = (n: number, patch: Partial<Tape> = {}): Tape => ({
  id: `t${n}`, tape_library_id: 'lib1', pool_id: null, tape_pool_id: null, barcode: `BRG00${n}L8`, location: 'slot', location_index: n - 1, type: 'data_lto8',
  locked: false, scratch: true, cleaning: false, write_protect: false, mounted: false, ejected: false, known: true, mount_count: 0, date_in: '', date_move: '',
  free: 4 * MiB, max: 4 * MiB, used: 0, last_size_update: null, hash: null, sessions: 0, secondary_of: null, created_at: '', updated_at: '', ...patch,
});

async function renderAs(isAdmin: boolean, tapes: () => Tape[]) {
  setToken('t');
  api.serve(({ method, path }) => {
    if (path === '/users/me') return [200, { id: 'u1', username: 'admin', is_admin: isAdmin, email: null, groups: [] }];
    if (method === 'GET' && path.startsWith('/tape_libraries?')) return [200, { count: 1, tape_libraries: [lib] }];
    if (method === 'GET' && path.startsWith('/tape_libraries/lib1/tape_drives?')) {
      return [200, { count: 3, tape_drives: [drive(0, { barcode: 'BRG003L8', execution_id: 'exec-1234567890', task_id: 'task-abcdefgh', bandwidth: 2 * MiB, mount_count: 4 }), drive(1, { barcode: 'BRG002L8' }), drive(2)] }];
    }
    if (method === 'GET' && path.startsWith('/tape_libraries/lib1/tapes?')) return [200, { count: tapes().length, tapes: tapes() }];
    if (method === 'POST' && path === '/tape_libraries/lib1/eject') return [200, { count: 1, tapes: [] }];
    return undefined;
  });
  await act(async () => {
    render(<SessionProvider><TapePage /></SessionProvider>);
  });
}

function row(table: HTMLElement, text: string): HTMLElement {
  return within(table).getByText(text).closest('tr') as HTMLElement;
}

describe('TapePage', () => {
  it('shows the library, what each drive is doing, and the cartridges with fill bars, places and flags', async () => {
    await renderAs(true, () => [
      tape(1, { used: 3 * MiB, free: MiB, scratch: false, sessions: 2, pool_id: 'pool-123456789' }),
      tape(2, { location: 'drive', location_index: 1, mounted: true }),
      tape(3, { location: 'drive', location_index: 0, mounted: true, used: MiB, scratch: false, sessions: 1 }),
      tape(4, { location: 'offline', location_index: null, ejected: true, locked: true, write_protect: true }),
    ]);
    expect(await screen.findByText('vault-a')).toBeTruthy();
    expect(screen.getByText('6 slots · 3 drives · 1 mailslot')).toBeTruthy();
    expect(screen.getByText('LTO8, 4 MiB each')).toBeTruthy();

    const drives = await screen.findByRole('table', { name: 'drives' });
    const d0 = row(drives, 'vault-a drive 0');
    expect(d0.querySelector('[data-drive-state="in_use"]')?.textContent).toBe('In use');
    expect(within(d0).getByText('BRG003L8')).toBeTruthy();
    expect(within(d0).getByRole('link', { name: 'exec-123' }).getAttribute('href')).toContain('/executions/exec-1234567890');
    expect(within(d0).getByRole('link', { name: 'task-abc' }).getAttribute('href')).toContain('/tasks/task-abcdefgh');
    expect(row(drives, 'vault-a drive 1').querySelector('[data-drive-state="loaded"]')?.textContent).toBe('Loaded');
    expect(row(drives, 'vault-a drive 2').querySelector('[data-drive-state="idle"]')?.textContent).toBe('Idle');

    const carts = await screen.findByRole('table', { name: 'cartridges' });
    await within(carts).findByText('BRG001L8');
    const r1 = row(carts, 'BRG001L8');
    expect(within(r1).getByRole('progressbar', { name: 'BRG001L8 used' }).getAttribute('aria-valuenow')).toBe('75');
    expect(r1.querySelector('.progress-amber')).not.toBeNull();
    expect(within(r1).getByText('3 MiB of 4 MiB · 75%')).toBeTruthy();
    expect(within(r1).getByText('Slot 0')).toBeTruthy();
    expect(within(row(carts, 'BRG003L8')).getByText('Drive 0')).toBeTruthy();
    const r4 = row(carts, 'BRG004L8');
    expect(within(r4).getByText('Offline')).toBeTruthy();
    expect([...r4.querySelectorAll('[data-flag]')].map((f) => f.getAttribute('data-flag'))).toEqual(['locked', 'write_protect', 'scratch', 'ejected']);
    // Eject only where the changer can do it: not in a drive, not already out.
    expect((within(r1).getByRole('button', { name: 'Eject BRG001L8' }) as HTMLButtonElement).disabled).toBe(false);
    expect((within(row(carts, 'BRG002L8')).getByRole('button', { name: 'Eject BRG002L8' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(r4).getByRole('button', { name: 'Eject BRG004L8' }) as HTMLButtonElement).disabled).toBe(true);
    // Format where the cartridge can be written: in the library, no write-protect tab.
    expect((within(r1).getByRole('button', { name: 'Format BRG001L8' }) as HTMLButtonElement).disabled).toBe(false);
    expect((within(r4).getByRole('button', { name: 'Format BRG004L8' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('a format is a one-off maintenance task naming the cartridge; erasing data is asked for explicitly', () => {
    const at = new Date(Date.UTC(2031, 4, 6, 7, 8, 9, 123));
    expect(formatTaskBody('BRG001L8', false, at)).toEqual({
      name: 'Format BRG001L8 2031-05-06T07:08:09Z', comment: "Created by the console's Format action",
      workflow_type: 'maintenance', workflow_action: 'format', options: { barcodes: ['BRG001L8'] },
    });
    expect(formatTaskBody('BRG001L8', true, at).options).toEqual({ barcodes: ['BRG001L8'], overwrite: true });
    expect(formatBlocker({ location: 'slot', write_protect: false, ejected: false })).toBeUndefined();
    expect(formatBlocker({ location: 'drive', write_protect: false, ejected: false })).toBeUndefined();
    expect(formatBlocker({ location: 'slot', write_protect: true, ejected: false })).toMatch(/Write protected/);
    expect(formatBlocker({ location: 'offline', write_protect: false, ejected: true })).toMatch(/import it first/);
  });

  it('Eject asks first, then sends the barcode to the library\'s eject and reloads the cartridges', async () => {
    let ejected = false;
    await renderAs(true, () => [tape(1, ejected ? { location: 'offline', location_index: null, ejected: true } : {})]);
    const carts = await screen.findByRole('table', { name: 'cartridges' });
    await within(carts).findByText('BRG001L8');
    fireEvent.click(within(carts).getByRole('button', { name: 'Eject BRG001L8' }));
    const dialog = dialogNamed('Eject BRG001L8?');
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);
    ejected = true;
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Eject', hidden: true }));
    });
    expect(api.calls.filter((c) => c.method === 'POST')).toEqual([{ method: 'POST', path: '/tape_libraries/lib1/eject', body: { barcodes: ['BRG001L8'] } }]);
    await waitFor(() => expect(within(row(carts, 'BRG001L8')).getByText('Offline')).toBeTruthy());
  });

  it('is for administrators only', async () => {
    await renderAs(false, () => []);
    expect(await screen.findByText('Only administrators see the tape libraries.')).toBeTruthy();
    expect(api.calls.some((c) => c.path.startsWith('/tape_libraries'))).toBe(false);
  });

  it('names places as people say them', () => {
    expect([tapePlace({ location: 'slot', location_index: 3 }), tapePlace({ location: 'mailslot', location_index: 0 }), tapePlace({ location: 'offline', location_index: null })]).toEqual(['Slot 3', 'Mailslot 0', 'Offline']);
  });
});
