/**
 * `barge schedule set|show|rm|list`, the real binary against a real server (engine off: the schedule
 * stays where the API put it): the rule on one command line, by task name, with `--json` and as text,
 * and the API's 422 reason on a bad rule.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { assertFailure, signedInSandbox, type CliSandbox } from './helpers/cli.js';
import { rfc5545Utc } from './helpers/schedules.js';
import { ruleText } from '../src/cli/commands/schedule.js';

describe('barge CLI: schedule', () => {
  let b: Booted;
  let cli: CliSandbox;
  let task: { id: string; name: string };
  before(async () => {
    b = await boot();
    cli = await signedInSandbox(b.url);
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id));
    assert.equal(t.status, 201, JSON.stringify(t.body));
    task = { id: t.body.id, name: t.body.name };
  });
  after(async () => {
    await cli?.cleanup();
    await b?.stop();
  });

  it('reads a rule typed on one line: \\n written out, or spaces before RRULE/EXDATE/RDATE', () => {
    const want = 'DTSTART;TZID=Europe/Brussels:20260105T020000\nRRULE:FREQ=DAILY\nEXDATE;TZID=Europe/Brussels:20260106T020000';
    assert.equal(ruleText('DTSTART;TZID=Europe/Brussels:20260105T020000\\nRRULE:FREQ=DAILY\\nEXDATE;TZID=Europe/Brussels:20260106T020000'), want);
    assert.equal(ruleText('DTSTART;TZID=Europe/Brussels:20260105T020000 RRULE:FREQ=DAILY EXDATE;TZID=Europe/Brussels:20260106T020000'), want);
  });

  it('set (by task name), show, list, rm; --json prints the API bodies', async () => {
    const start = rfc5545Utc(new Date(Date.now() + 86_400_000)).slice(0, 15);
    const set = await cli.json(['schedule', 'set', task.name, `DTSTART;TZID=Europe/Brussels:${start} RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR`, '--catch-up', '--json']);
    assert.equal(set.task_id, task.id);
    assert.equal(set.catch_up, true);
    assert.equal(set.rrule, `DTSTART;TZID=Europe/Brussels:${start}\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR`);
    assert.match(set.description, /^every weekday at .+, Europe\/Brussels$/);

    const text = await cli.ok(['schedule', 'show', task.id]);
    assert.match(text, /rule\s+every weekday at .+, Europe\/Brussels/);
    assert.match(text, /upcoming\s+\S/);
    assert.match(text, /catch_up\s+yes/);
    assert.deepEqual(await cli.json(['schedule', 'show', task.name, '--json']), set);

    const list = await cli.json(['schedule', 'list', '--json', '--filter', `task_id=${task.id}`]);
    assert.equal(list.count, 1);
    assert.equal(list.task_schedules[0].id, set.id);
    const table = await cli.ok(['schedule', 'list']);
    assert.match(table, /task\s+rule\s+next\s+missed\s+skipped/i);
    assert.ok(table.includes(task.id));

    assert.match(await cli.ok(['schedule', 'rm', task.name]), /Removed the schedule/);
    assertFailure(await cli.run(['schedule', 'show', task.id]), 1, /not found/i);
  });

  it('a bad rule fails with the API\'s reason', async () => {
    assertFailure(await cli.run(['schedule', 'set', task.id, 'DTSTART:20260105T020000Z RRULE:FREQ=MILLISECONDLY']), 1, /finer than one second/);
    assertFailure(await cli.run(['schedule', 'set', task.id, 'RRULE:FREQ=DAILY']), 1, /no DTSTART/);
  });
});
