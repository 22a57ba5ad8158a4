/**
 * Schemas of task schedules: Nodeum's `task_schedule` (ids are strings in Barge) with Barge's
 * additions — `catch_up` (writable), and read-only `refused_count`, the last run and error, and the
 * rule as a sentence with its zone and next occurrences (so a client needs no recurrence library).
 */
import { ref } from './helpers.js';

type Json = Record<string, unknown>;

const ro = (s: Json): Json => ({ ...s, readOnly: true });
const date = (description: string): Json => ro({ type: 'string', format: 'date-time', description });
const count = (description: string): Json => ro({ type: 'integer', format: 'int64', description });

export const SCHEDULE_SCHEMAS: Record<string, unknown> = {
  task_schedule: {
    type: 'object',
    description: 'A task\'s schedule. Values that have none (no missed occurrence yet, no next one once done…) are absent.',
    properties: {
      id: ro({ type: 'string' }),
      task_id: ro({ type: 'string' }),
      rrule: {
        type: 'string', maxLength: 16384,
        description: 'RFC 5545 text: a `DTSTART` line (`DTSTART;TZID=Europe/Brussels:20260105T020000`; without TZID and without `Z` the time is read as UTC), one `RRULE` line, and optional `EXDATE`/`RDATE` lines, separated by newlines. Occurrences are computed in DTSTART\'s zone, right across DST changes (a local time that does not exist that day is no occurrence; one that exists twice occurs once). Returned normalized.',
      },
      catch_up: { type: 'boolean', description: 'Barge: when occurrences were missed (no dispatcher was running), start one execution for them at once. Default false.' },
      done: ro({ type: 'boolean', description: 'The rule has no occurrence left.' }),
      next: date('The first occurrence not yet handled.'),
      missed_count: count('Occurrences that passed while no dispatcher was running (seen later than the grace, BARGE_SCHEDULE_GRACE_SECONDS).'),
      skipped_count: count('Occurrences that came while the task\'s previous execution was still active (never run twice).'),
      missed_first: date('The first missed occurrence.'),
      missed_last: date('The last missed occurrence.'),
      refused_count: count('Barge: due occurrences whose run was refused because the task could not run (rights, endpoints); see last_error.'),
      last_run_at: date('Barge: the occurrence of the last execution the schedule started.'),
      last_execution_id: ro({ type: 'string', description: 'Barge: the last execution the schedule started.' }),
      last_error: ro({ type: 'string', description: 'Barge: why the last refused run could not start; absent once a run starts again.' }),
      last_error_at: date('Barge: when last_error was recorded.'),
      description: ro({ type: 'string', description: 'Barge: the rule as an English sentence with its zone ("every weekday at 02:00, Europe/Brussels").' }),
      time_zone: ro({ type: 'string', description: 'Barge: the IANA zone the occurrences are computed in.' }),
      upcoming: ro({ type: 'array', items: { type: 'string', format: 'date-time' }, description: 'Barge: the next 5 occurrences from `next` (empty once done).' }),
      created_at: date('When the schedule was set.'),
      updated_at: date('Last change (by the API or a dispatcher).'),
    },
  },
  task_schedule_collection: {
    type: 'object',
    properties: { count: { type: 'integer' }, task_schedules: { type: 'array', items: ref('task_schedule') } },
  },
};
