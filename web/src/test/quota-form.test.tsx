// @vitest-environment jsdom
/**
 * A share's cache quota in the console: typed as a size (the CLI's parser), refused on the field
 * before anything is sent when unreadable, saved with PUT (null for none), the API's 422 shown.
 */
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QuotaForm, quotaText } from '../components/quota-form';
import { installFakeApi } from './fake-api';

const api = installFakeApi();
const BASE = '/nas_shares/s1';

describe('quotaText', () => {
  it('gives back the largest unit that is exact, bytes otherwise, empty for none', () => {
    expect(quotaText(null)).toBe('');
    expect(quotaText(500 * 1024 ** 3)).toBe('500G');
    expect(quotaText(1.5 * 1024 ** 4)).toBe('1536G');
    expect(quotaText(4097)).toBe('4097');
  });
});

describe('QuotaForm', () => {
  it('refuses an unreadable size on the field, saves a size as bytes, and none as null', async () => {
    let answer: [number, unknown] = [200, { id: 's1', quota_bytes: 500 * 1024 ** 3 }];
    api.serve(({ method, path }) => (method === 'PUT' && path === BASE ? answer : undefined));
    const saved = vi.fn();
    const { rerender } = render(<QuotaForm base={BASE} value={null} onSaved={saved} />);
    const button = screen.getByRole('button', { name: 'Save quota' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true); // nothing changed

    fireEvent.change(screen.getByLabelText('Quota'), { target: { value: '12 apples' } });
    await screen.findByText(/"12 apples" is not a size/);
    expect(button.disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Quota'), { target: { value: '500G' } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await waitFor(() => expect(saved).toHaveBeenCalledWith(500 * 1024 ** 3));
    expect(api.calls.at(-1)).toEqual({ method: 'PUT', path: BASE, body: { quota_bytes: 500 * 1024 ** 3 } });

    rerender(<QuotaForm base={BASE} value={500 * 1024 ** 3} onSaved={saved} />);
    answer = [422, { messages: ['Quota bytes must be greater than 0'], details: { quota_bytes: [{ error: 'greater_than', count: 0 }] } }];
    fireEvent.change(screen.getByLabelText('Quota'), { target: { value: '0' } });
    fireEvent.click(button);
    await screen.findByText(/must be greater than 0/);
    expect(saved).toHaveBeenCalledTimes(1);

    answer = [200, { id: 's1', quota_bytes: null }];
    fireEvent.change(screen.getByLabelText('Quota'), { target: { value: '' } });
    fireEvent.click(button);
    await waitFor(() => expect(saved).toHaveBeenLastCalledWith(null));
    expect(api.calls.at(-1)).toEqual({ method: 'PUT', path: BASE, body: { quota_bytes: null } });
  });
});
