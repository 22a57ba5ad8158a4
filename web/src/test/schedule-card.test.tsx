// @vitest-environment jsdom
/** The task's Schedule card against a fake API: the rule in words, occurrences in its zone, set/change/remove, the API's reason in place. */
import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { setToken } from '../lib/api';
import { ScheduleCard } from '../components/schedule-card';
import { formatInZone, starterRule, type Schedule } from '../lib/schedule';
import { dialogNamed, installFakeApi } from './fake-api';

const api = installFakeApi();

const RULE = 'DTSTART;TZID=Europe/Brussels:20260105T020000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
const weekdays: Schedule = {
  id: 's1', task_id: 't1', rrule: RULE, done: false, next: '2026-03-27T01:00:00.000Z', catch_up: false,
  missed_count: 2, skipped_count: 1, refused_count: 1, missed_first: '2026-03-20T01:00:00.000Z', missed_last: '2026-03-23T01:00:00.000Z',
  last_error: 'Task t cannot run: no right to write share dst', last_error_at: '2026-03-26T01:00:00.000Z',
  description: 'every weekday at 02:00, Europe/Brussels', time_zone: 'Europe/Brussels',
  upcoming: ['2026-03-27T01:00:00.000Z', '2026-03-30T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-04-01T00:00:00.000Z', '2026-04-02T00:00:00.000Z'],
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

async function renderWith(initial: Schedule | null) {
  setToken('t');
  let current = initial;
  api.serve(({ method, path, body }) => {
    if (path !== '/tasks/t1/task_schedule') return undefined;
    if (method === 'GET') return current ? [200, current] : [404, { messages: ['Task schedule not found'], details: { id: [{ error: 'not_found' }] } }];
    if (method === 'DELETE') {
      current = null;
      return [204, undefined];
    }
    const b = body as { rrule?: string; catch_up?: boolean };
    if (b.rrule !== undefined && !b.rrule.includes('RRULE:')) {
      return [422, { messages: ['Rrule is invalid: the rule has no RRULE line (e.g. RRULE:FREQ=DAILY)'], details: { rrule: [{ error: 'invalid', reason: 'invalid_rule' }] } }];
    }
    current = { ...weekdays, ...(current ?? {}), ...b, id: method === 'POST' ? 's2' : (current?.id ?? 's2') };
    return [method === 'POST' ? 201 : 200, current];
  });
  await act(async () => {
    render(<ScheduleCard taskId="t1" />);
  });
}

describe('ScheduleCard', () => {
  it('shows the rule as a sentence, the next five occurrences in the rule’s zone, and what was missed, skipped, refused', async () => {
    await renderWith(weekdays);
    expect(await screen.findByText('every weekday at 02:00, Europe/Brussels')).toBeTruthy();
    const next = screen.getByRole('list', { name: 'Next occurrences' });
    const items = within(next).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toHaveLength(5);
    // 01:00Z before the March change is 02:00 in Brussels; 00:00Z after it is 02:00 too.
    expect(items[0]).toMatch(/Fri.*27 Mar 2026.*02:00/);
    expect(items[1]).toMatch(/Mon.*30 Mar 2026.*02:00/);
    expect(screen.getByText(/no engine was running/)).toBeTruthy();
    expect(screen.getByText(/previous run was still going/)).toBeTruthy();
    expect(screen.getByText('Task t cannot run: no right to write share dst')).toBeTruthy();
  });

  it('a task without a schedule says so; setting one POSTs the rule and shows it', async () => {
    await renderWith(null);
    expect(await screen.findByText(/runs when started by hand/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Set a schedule' }));
    const dialog = dialogNamed('Set a schedule');
    const field = within(dialog).getByLabelText('Rule (RFC 5545)') as HTMLTextAreaElement;
    expect(field.value).toMatch(/^DTSTART.*T020000Z?\nRRULE:FREQ=DAILY$/);
    fireEvent.change(field, { target: { value: 'DTSTART:20260105T020000Z' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save schedule', hidden: true }));
    expect(await within(dialog).findByText(/has no RRULE line/)).toBeTruthy();
    fireEvent.change(field, { target: { value: RULE } });
    fireEvent.click(within(dialog).getByLabelText(/Catch up/));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save schedule', hidden: true }));
    expect(await screen.findByText('every weekday at 02:00, Europe/Brussels')).toBeTruthy();
    expect(api.calls.filter((c) => c.method === 'POST').pop()?.body).toEqual({ rrule: RULE, catch_up: true });
  });

  it('changing only catch-up PUTs just that; removing asks first, then DELETEs', async () => {
    await renderWith({ ...weekdays, refused_count: 0, last_error: undefined });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit schedule' }));
    const dialog = dialogNamed('Change the schedule');
    fireEvent.click(within(dialog).getByLabelText(/Catch up/));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save schedule', hidden: true }));
    await screen.findByText(/Yes: missed occurrences run once/);
    expect(api.calls.find((c) => c.method === 'PUT')?.body).toEqual({ catch_up: true });

    fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(dialogNamed('Remove the schedule?')).getByRole('button', { name: 'Remove schedule', hidden: true }));
    expect(await screen.findByText(/runs when started by hand/)).toBeTruthy();
    expect(api.calls.some((c) => c.method === 'DELETE' && c.path === '/tasks/t1/task_schedule')).toBe(true);
  });
});

describe('schedule helpers', () => {
  it('formats an instant in the rule’s zone', () => {
    expect(formatInZone('2026-10-25T00:30:00.000Z', 'Europe/Brussels')).toMatch(/Sun.*25 Oct 2026.*02:30/);
    expect(formatInZone('2026-10-26T01:30:00.000Z', 'Europe/Brussels')).toMatch(/Mon.*26 Oct 2026.*02:30/);
  });

  it('starts a new rule tomorrow at 02:00 in the browser’s zone', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    expect(starterRule('Europe/Brussels', now)).toBe('DTSTART;TZID=Europe/Brussels:20260502T020000\nRRULE:FREQ=DAILY');
    expect(starterRule('UTC', now)).toBe('DTSTART:20260502T020000Z\nRRULE:FREQ=DAILY');
  });
});
