/**
 * A task's schedule as the console reads it (the generated `task_schedule` type: the contract, not a
 * copy), and the few words around it: occurrences shown in the rule's own zone, and a starting rule
 * for the editor. The sentence and the next occurrences come from the API (`description`,
 * `upcoming`), so the console carries no recurrence library.
 */
import type { components } from '../../../src/api/openapi/types';

export type Schedule = components['schemas']['task_schedule'];

/** `Mon 5 Jan 2026, 02:00` in `zone` (the rule's), or the ISO text when the browser lacks the zone. */
export function formatInZone(iso: string, zone: string | undefined): string {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: zone ?? 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: undefined, hourCycle: 'h23',
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** The browser's zone (what a new rule starts in). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A starting rule: every day at 02:00 in `zone`, from tomorrow (`now` is the browser's clock). */
export function starterRule(zone: string, now: Date = new Date()): string {
  const tomorrow = new Date(now.getTime() + 86_400_000);
  const day = `${tomorrow.getUTCFullYear()}${String(tomorrow.getUTCMonth() + 1).padStart(2, '0')}${String(tomorrow.getUTCDate()).padStart(2, '0')}`;
  return zone === 'UTC' ? `DTSTART:${day}T020000Z\nRRULE:FREQ=DAILY` : `DTSTART;TZID=${zone}:${day}T020000\nRRULE:FREQ=DAILY`;
}
