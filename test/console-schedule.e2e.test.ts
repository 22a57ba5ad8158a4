/**
 * The task page's schedule, end to end in headless Debian Chromium against a real Barge with its
 * engine: set a rule in the editor (the API's refusal shows under the field first), read it back as a
 * sentence with the next five occurrences in the rule's zone, watch a SECONDLY rule run by the
 * dispatcher until it is done, change catch-up, remove it. Rules start from the process clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { rfc5545Utc, wholeSecondIn } from './helpers/schedules.js';
import { chromiumSkipReason, ensureConsoleBuilt, launchChromium, shot, signIn, watchProblems } from './console-e2e-helpers.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

describe('web console: a task’s schedule (browser)', { skip }, () => {
  let b: Booted;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let taskId: string;

  before(async () => {
    await ensureConsoleBuilt();
    b = await boot({ engine: true });
    const s = await nasWithShares(b.admin, ['src', 'dst']);
    await makeTree(s.src!.path, { 'plates/shot-010.exr': 4096, 'notes.txt': 'nightly' });
    const t = await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id, { name: 'Nightly plates' }));
    assert.equal(t.status, 201, JSON.stringify(t.body));
    taskId = t.body.id;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    problems = watchProblems(page);
    await signIn(page, b.url);
  });
  after(async () => {
    await browser?.close();
    await b?.stop();
  });

  const card = () => page.locator('.schedule-card');
  const dialog = (name: string) => page.getByRole('dialog', { name });

  it('sets a weekday rule in Europe/Brussels: the sentence and the next five occurrences in that zone', async () => {
    await page.goto(`${b.url}/console/tasks/${taskId}`);
    await card().getByText('runs when started by hand').waitFor();
    await card().getByRole('button', { name: 'Set a schedule' }).click();
    const editor = dialog('Set a schedule');
    const field = editor.getByLabel('Rule (RFC 5545)');
    assert.match(await field.inputValue(), /^DTSTART.*\nRRULE:FREQ=DAILY$/, 'a starting rule is offered');
    // A rule without RRULE: the API's reason under the field, nothing saved.
    await field.fill('DTSTART;TZID=Europe/Brussels:20260105T020000');
    await editor.getByRole('button', { name: 'Save schedule' }).click();
    await editor.getByText(/no RRULE line/).waitFor();
    const day = rfc5545Utc(new Date(Date.now() + 86_400_000)).slice(0, 8);
    await field.fill(`DTSTART;TZID=Europe/Brussels:${day}T020000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR`);
    await editor.getByRole('button', { name: 'Save schedule' }).click();
    await card().getByText('every weekday at 02:00, Europe/Brussels').waitFor();
    const next = await card().getByRole('list', { name: 'Next occurrences' }).getByRole('listitem').allTextContents();
    assert.equal(next.length, 5);
    for (const n of next) assert.match(n, /^(Mon|Tue|Wed|Thu|Fri), .* 02:00$/, `${n}: a weekday at 02:00 in Brussels`);
    await shot(page, 'console-schedule', { fullPage: true });
    const api = (await b.admin.get(`/tasks/${taskId}/task_schedule`)).body;
    assert.equal(api.description, 'every weekday at 02:00, Europe/Brussels');
    assert.equal(api.catch_up, false);
  });

  it('a SECONDLY rule set in the editor is run by the dispatcher until done; catch-up changes; remove', async () => {
    await page.goto(`${b.url}/console/tasks/${taskId}`);
    await card().getByRole('button', { name: 'Edit schedule' }).click();
    const editor = dialog('Change the schedule');
    const start = wholeSecondIn(5000);
    await editor.getByLabel('Rule (RFC 5545)').fill(`DTSTART:${rfc5545Utc(start)}\nRRULE:FREQ=SECONDLY;INTERVAL=2;COUNT=2`);
    await editor.getByRole('button', { name: 'Save schedule' }).click();
    await card().getByText('every 2 seconds for 2 times, UTC').waitFor();
    // The card reads the schedule again while it is live; the dispatcher runs both occurrences.
    await card().getByText('Done: the rule has no occurrence left').waitFor({ timeout: 30_000 });
    const runs = await waitFor(async () => {
      const list = (await b.admin.get(`/tasks/${taskId}/task_executions`)).body.task_executions as any[];
      return list.length === 2 && list.every((e) => e.status === 'done') && list;
    }, 'two scheduled runs done', 30_000);
    assert.deepEqual(runs.map((e) => e.trigger.type), ['schedule', 'schedule']);
    await card().getByRole('link').first().waitFor(); // the last scheduled run, linked

    await card().getByRole('button', { name: 'Edit schedule' }).click();
    await dialog('Change the schedule').getByLabel(/Catch up/).check();
    await dialog('Change the schedule').getByRole('button', { name: 'Save schedule' }).click();
    await card().getByText(/Yes: missed occurrences run once/).waitFor();
    assert.equal((await b.admin.get(`/tasks/${taskId}/task_schedule`)).body.catch_up, true);

    await card().getByRole('button', { name: 'Remove' }).click();
    await dialog('Remove the schedule?').getByRole('button', { name: 'Remove schedule' }).click();
    await card().getByText('runs when started by hand').waitFor();
    assert.equal((await b.admin.get(`/tasks/${taskId}/task_schedule`)).status, 404);
    assert.deepEqual(problems, []);
  });
});
