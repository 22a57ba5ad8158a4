/**
 * `barge schedule set TASK RRULE [--catch-up] | show TASK | rm TASK | list`: a task's schedule (one
 * per task; `set` replaces it). TASK is the task's id or its unique name, as the API resolves it.
 * RRULE is RFC 5545 text; on a command line its lines may be separated by `\n` written out, or by
 * spaces before `RRULE:`/`EXDATE`/`RDATE` (`"DTSTART;TZID=Europe/Brussels:20260105T020000 RRULE:FREQ=DAILY"`).
 */
import type { Command } from 'commander';
import type { Context, Runner } from '../context.js';
import type { components } from '../../api/openapi/types.js';
import { addListFlags, listQuery, type ListFlags } from '../flags.js';
import { formatDate, printList, renderKeyValues, type Column } from '../output.js';

type Schedule = components['schemas']['task_schedule'];

const COLUMNS: Column<Schedule>[] = [
  { head: 'task', get: (s) => s.task_id },
  { head: 'rule', get: (s) => s.description ?? s.rrule },
  { head: 'next', get: (s) => (s.done ? 'done' : formatDate(s.next)) },
  { head: 'missed', get: (s) => s.missed_count },
  { head: 'skipped', get: (s) => s.skipped_count },
  { head: 'refused', get: (s) => s.refused_count },
  { head: 'catch-up', get: (s) => (s.catch_up ? 'yes' : 'no') },
];

/** The rule as typed on one command line, as RFC 5545 lines. */
export function ruleText(arg: string): string {
  return arg.replace(/\\n/g, '\n').replace(/\s+(?=(RRULE|EXDATE|RDATE)[:;])/gi, '\n').trim();
}

function printSchedule(ctx: Context, s: Schedule): void {
  if (ctx.json) return ctx.printJson(s);
  const pairs: Array<[string, unknown]> = [
    ['id', s.id], ['task', s.task_id], ['rule', s.description], ['rrule', s.rrule?.replace(/\n/g, ' ')],
    ['next', s.done ? 'done (no occurrence left)' : formatDate(s.next)],
    ['upcoming', (s.upcoming ?? []).map((d) => formatDate(d)).join(', ') || '-'],
    ['catch_up', s.catch_up ? 'yes' : 'no'],
    ['missed', `${s.missed_count ?? 0}${s.missed_first ? ` (${formatDate(s.missed_first)} – ${formatDate(s.missed_last)})` : ''}`],
    ['skipped', s.skipped_count], ['refused', s.refused_count],
  ];
  if (s.last_execution_id) pairs.push(['last run', `${s.last_execution_id} (${formatDate(s.last_run_at)})`]);
  if (s.last_error) pairs.push(['last error', `${s.last_error} (${formatDate(s.last_error_at)})`]);
  ctx.out(renderKeyValues(pairs));
}

const path = (task: string) => `/tasks/${encodeURIComponent(task)}/task_schedule`;

/** Registers `barge schedule …`. */
export function registerSchedule(program: Command, run: Runner): void {
  const schedule = program.command('schedule').description("a task's schedule: an RFC 5545 rule whose occurrences start runs");

  schedule
    .command('set <task> <rrule>')
    .description('set (or replace) the schedule of a task (id or name), e.g. "DTSTART;TZID=Europe/Brussels:20260105T020000\\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"; without TZID and without Z the time is UTC')
    .option('--catch-up', 'after occurrences were missed (no dispatcher running), run once at once for them')
    .action(
      run.action<{ catchUp?: boolean }>(async (ctx, [task, rrule], f) => {
        const s = await (await ctx.client()).post<Schedule>(path(task), { rrule: ruleText(rrule), catch_up: f.catchUp === true });
        printSchedule(ctx, s);
      }),
    );

  schedule.command('show <task>').description('show the schedule of a task: the rule in words, the next occurrences, what was missed or skipped').action(
    run.action(async (ctx, [task]) => printSchedule(ctx, await (await ctx.client()).get<Schedule>(path(task)))),
  );

  schedule.command('rm <task>').description('remove the schedule of a task (the task stays)').action(
    run.action(async (ctx, [task]) => {
      await (await ctx.client()).delete(path(task));
      if (ctx.json) ctx.printJson({ deleted: task });
      else ctx.out(`Removed the schedule of task ${task}`);
    }),
  );

  addListFlags(schedule.command('list').description('list the schedules of your tasks (filters: task_id, done, next, rrule)'), 'schedules').action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/task_schedules', listQuery(f)), 'task_schedules', COLUMNS, f.offset)),
  );
}
