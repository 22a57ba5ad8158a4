/**
 * The web console end to end: a real Barge (with its engine) serving the built console, driven in
 * headless Debian Chromium. Everything goes through the UI the way an operator would; the API and
 * the file system are only read to check the result. BARGE_SCREENSHOTS=1 also refreshes
 * docs/screenshots/*.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { hashTree, makeTree } from './helpers/trees.js';
import { nasWithShares } from './helpers/fixtures.js';
import { chromiumSkipReason, ensureConsoleBuilt, launchChromium, seedWorkspace, shot, signIn, watchProblems, type Share } from './console-e2e-helpers.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

describe('web console (browser)', { skip }, () => {
  let b: Booted;
  let shares: Awaited<ReturnType<typeof seedWorkspace>>;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let page: Page;
  let problems: string[];

  before(async () => {
    await ensureConsoleBuilt();
    b = await boot({ engine: true });
    shares = await seedWorkspace(b.admin);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await b?.stop();
  });

  async function freshPage(): Promise<void> {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    problems = watchProblems(page);
  }

  /** A copy task made through the API (the UI path is covered by the first browser test). */
  async function apiTask(name: string, action: string, src: Share, dst: Share | undefined, options: Record<string, unknown> = {}, comment?: string): Promise<string> {
    const r = await b.admin.post('/tasks', {
      name, comment, workflow_type: action === 'copy' ? 'data_migration' : 'data_enrichment', workflow_action: action, options,
      sources: [{ type: 'nas', storage_id: src.id, node_paths: ['/'] }], destinations: dst ? [{ type: 'nas', storage_id: dst.id, node_paths: ['/'] }] : [],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  }

  async function runToEnd(taskId: string): Promise<string> {
    const run = await b.admin.put(`/tasks/${taskId}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    return waitFor(async () => {
      const r = await b.admin.get(`/task_executions/${run.body.execution_id}`);
      return r.body.finished_at ? (r.body.status as string) : null;
    }, `task ${taskId} finished`, 30_000);
  }

  it('serves the console with its own CSP, redirects / and falls back to the app for client routes', async () => {
    const root = await fetch(`${b.url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
    const deep = await fetch(`${b.url}/console/tasks/anything`);
    assert.equal(deep.status, 200);
    assert.match(deep.headers.get('content-type') ?? '', /text\/html/);
    assert.match(deep.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal((await fetch(`${b.url}/console/assets/missing.js`)).status, 404);
    // The console's calls get no Basic challenge (it would open the browser's password dialog); others do.
    const challenge = async (h: Record<string, string>) => (await fetch(`${b.api.base}/tasks`, { headers: { authorization: 'Bearer expired', ...h } })).headers.get('www-authenticate');
    assert.equal(await challenge({ 'x-requested-with': 'XMLHttpRequest' }), null);
    assert.match((await challenge({})) ?? '', /^Basic/);
  });

  it('signs in, creates a copy task between two shares, runs it to done and shows the file ledger', async () => {
    await makeTree(shares.projects.path, { 'apollo/brief.txt': 'alpha', 'apollo/notes.txt': 'bravo', 'apollo/plates/shot-010.exr': 300_000, 'README.md': '# projects' });
    await freshPage();

    await page.goto(`${b.url}/console/`);
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await shot(page, 'sign-in');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Invalid username or password').waitFor();
    await signIn(page, b.url);

    await page.getByRole('button', { name: '+ New task' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    const name = 'Projects to archive';
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Comment').fill('Weekly copy of finished projects to the archive tier');
    await page.locator('#sources-0-storage').selectOption(`share:${shares.projects.id}`);
    await page.locator('#destinations-0-storage').selectOption(`share:${shares.archive.id}`);
    await page.getByLabel('File checksum').selectOption('xxhash64');
    await page.getByLabel('When the destination exists').selectOption('rename');
    await page.locator('input[name="options.full_report"]').check();
    // The API's 422 lands next to the field it concerns.
    await page.getByLabel('Parallel transfers').fill('0');
    await page.getByRole('button', { name: 'Create task' }).first().click();
    await page.locator('.field-invalid', { hasText: 'Parallel transfers' }).getByText('must be greater than 0').waitFor();
    await page.getByLabel('Parallel transfers').fill('4');
    await page.locator('.field-invalid', { hasText: 'Parallel transfers' }).waitFor({ state: 'detached' });
    await shot(page, 'task-editor', { fullPage: true });
    await page.getByRole('button', { name: 'Create task' }).first().click();

    await page.getByRole('heading', { name }).waitFor();
    await page.locator('button[data-action="run"]').click();
    await page.waitForURL(/\/console\/executions\//);
    await page.locator('h1 [data-status="done"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('files').getByText('4 / 4').waitFor();
    assert.equal(await page.getByTestId('percent').textContent(), '100%');
    assert.deepEqual(await hashTree(shares.archive.path), await hashTree(shares.projects.path));

    await page.getByRole('tab', { name: 'All files' }).click();
    const ledger = page.getByRole('table', { name: 'files' });
    for (const p of ['/apollo/brief.txt', '/apollo/notes.txt', '/apollo/plates/shot-010.exr', '/README.md']) await ledger.getByRole('cell', { name: p, exact: true }).first().waitFor();
    await page.getByRole('tab', { name: 'Failed files' }).click();
    await page.getByText('No failed files').waitFor();

    await page.getByRole('link', { name: name }).first().click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Comment').fill('Weekly copy of finished projects to the archive tier (verified)');
    await page.locator('input[name="options.full_report"]').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).first().click();
    await page.getByText('Weekly copy of finished projects to the archive tier (verified)', { exact: true }).waitFor();
    const edited = await b.admin.get(`/tasks/${encodeURIComponent(page.url().split('/').pop() as string)}`);
    assert.equal(edited.body.options.full_report, false);
    assert.equal(edited.body.sources[0].storage_id, shares.projects.id);
    await page.getByRole('table', { name: 'executions' }).locator('[data-status="done"]').waitFor();
    await shot(page, 'task-detail', { fullPage: true });

    await page.getByRole('link', { name: 'Tasks', exact: true }).first().click();
    await page.getByPlaceholder('Search by name…').fill('to arch');
    await page.locator(`tr:has-text("${name}") [data-status="done"]`).waitFor();
    assert.deepEqual(problems, []);
  });

  it('pauses and resumes a running execution from the live view', async () => {
    const FRAMES = 4000;
    const files: Record<string, number> = {};
    // Enough files, one at a time, that the run lasts a few seconds even with the posix fast path.
    for (let i = 0; i < FRAMES; i++) files[`frames-${i % 8}/frame-${String(i).padStart(4, '0')}.exr`] = 16 * 1024;
    await makeTree(shares.renders.path, files);
    const taskId = await apiTask('Render farm nightly copy', 'copy', shares.renders, shares.scratch, { parallel: 1, file_checksum: 'xxhash64' }, 'Frames of the night to the mover scratch disk');
    await freshPage();
    await signIn(page, b.url);
    await page.goto(`${b.url}/console/tasks/${taskId}`);
    await page.locator('button[data-action="run"]').click();
    await page.waitForURL(/\/console\/executions\//);
    const executionId = page.url().split('/').pop() as string;

    await page.locator('h1 [data-status="in_progress"]').waitFor({ timeout: 20_000 });
    await page.locator('button[data-action="pause"]:enabled').click();
    await page.locator('h1 [data-status="paused"]').waitFor();
    assert.equal((await b.admin.get(`/task_executions/${executionId}`)).body.status, 'paused');
    assert.ok(await page.locator('button[data-action="pause"]').isDisabled(), 'pause is disabled while paused');

    await page.locator('button[data-action="resume"]:enabled').click();
    await page.locator('h1 [data-status="in_progress"], h1 [data-status="done"]').first().waitFor();
    await page.locator('svg.chart polyline').first().waitFor({ timeout: 20_000 });
    // Some way into the run, so the chart has a history (the screenshot shows it).
    await page.waitForFunction(() => document.querySelector('h1 [data-status="done"]') !== null || Number.parseFloat(document.querySelector('[data-testid="percent"]')?.textContent ?? '0') >= 45, undefined, { timeout: 60_000 });
    await shot(page, 'live-execution', { fullPage: true });
    await page.locator('h1 [data-status="done"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('files').getByText(`${FRAMES.toLocaleString('en-US')} / ${FRAMES.toLocaleString('en-US')}`).waitFor();
    const done = await b.admin.get(`/task_executions/${executionId}`);
    assert.equal(done.body.status, 'done');
    assert.equal(done.body.nodes_done, FRAMES);
    assert.deepEqual(problems, []);
  });

  it('lists tasks by status, and browses storages, users and API keys', async () => {
    // A few more tasks, so the list shows every kind of outcome.
    await runToEnd(await apiTask('Verify archive checksums', 'check_consistency', shares.projects, shares.archive, { file_checksum: 'xxhash64' }));
    await makeTree(shares.incoming.path, { 'manifest.csv': 'card,files\nA,2\n', 'cards/DCIM/IMG_0001.JPG': 120_000, 'cards/DCIM/IMG_0002.JPG': 80_000 });
    await writeFile(join(shares.archive.path, 'cards'), 'a file where the import needs a folder');
    const warned = await runToEnd(await apiTask('Import camera cards', 'copy', shares.incoming, shares.archive, {}, 'Cards dropped by the field team'));
    assert.equal(warned, 'finished_with_warnings');
    await apiTask('Purge scratch', 'erase', shares.scratch, undefined, { soft_erase: true });
    await freshPage();
    await signIn(page, b.url);
    const tasks = page.getByRole('table', { name: 'tasks' });
    await tasks.locator('tr:has-text("Import camera cards") [data-status="finished_with_warnings"]').waitFor();
    await tasks.locator('tr:has-text("Purge scratch")').getByText('Never run').waitFor();
    await page.getByLabel('Filter by action').selectOption('copy');
    await tasks.locator('tr:has-text("Purge scratch")').waitFor({ state: 'detached' });
    await page.getByLabel('Filter by action').selectOption('');
    await tasks.locator('tr:has-text("Purge scratch")').waitFor();
    await shot(page, 'tasks');

    await page.getByRole('link', { name: 'NAS & shares' }).click();
    await page.getByRole('heading', { name: 'NAS & shares' }).waitFor();
    await page.locator('[data-mount="ok"]').nth(4).waitFor();
    await shot(page, 'storages');

    await page.getByRole('link', { name: 'Cloud' }).click();
    const connectors = page.getByRole('table', { name: 'connectors' });
    await connectors.getByRole('button', { name: 'Test' }).first().click();
    await connectors.getByText('Failed').first().waitFor({ timeout: 30_000 });
    await page.getByRole('table', { name: 'buckets' }).getByText('media-archive').waitFor();
    await shot(page, 'storages-cloud');

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: '+ Add user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('operator');
    await dialog.getByLabel('Email').fill('operator@lab.internal');
    await dialog.getByLabel('Password').fill('short');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.locator('.field-error').first().waitFor();
    await dialog.getByLabel('Password').fill('a-long-enough-password');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('table', { name: 'users' }).getByText('operator@lab.internal').waitFor();
    await shot(page, 'users');

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: '+ New API key' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('nightly-report-script');
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    assert.match(key, /^brg_/);
    const me = await fetch(`${b.api.base}/users/me`, { headers: { authorization: key } });
    assert.equal(me.status, 200, 'the key shown once works');
    await shot(page, 'api-keys');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('edits who may use a share: a user privilege added, changed and removed, the guest right, groups', async () => {
    const password = 'a-long-enough-password';
    assert.equal((await b.admin.post('/users', { user: { username: 'jane.doe', email: 'jane@lab.internal', password } })).status, 201);
    const team = await b.admin.post('/groups', { group: { name: 'post-production', comment: 'Editors and colorists', users: ['jane.doe'] } });
    assert.equal(team.status, 201, JSON.stringify(team.body));
    const share = shares.incoming;
    const base = `/nas_shares/${share.id}`;
    assert.equal((await b.admin.post(`${base}/privileges`, { name: 'post-production', type: 'group', privilege: 'read' })).status, 201);
    const privileges = async () => ((await b.admin.get(`${base}/privileges`)).body.privileges as Array<{ name: string; type: string; privilege: string }>).map((p) => `${p.type}:${p.name}:${p.privilege}`).sort();
    await freshPage();
    await signIn(page, b.url);

    await page.getByRole('link', { name: 'NAS & shares' }).click();
    await page.getByRole('table', { name: 'shares' }).getByRole('link', { name: 'incoming', exact: true }).click();
    await page.getByRole('heading', { name: 'incoming', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'privileges' });
    await table.getByText('post-production').waitFor();

    // Added: the API's refusal of an unknown name first, in its words and under the field.
    await page.getByRole('button', { name: '+ Add privilege' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('jane');
    await dialog.getByRole('button', { name: 'Add privilege' }).click();
    await dialog.getByText('No user named jane').waitFor();
    await dialog.locator('.field-invalid', { hasText: 'Name' }).waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill('jane.doe');
    await dialog.getByLabel('Right', { exact: true }).selectOption('read');
    await dialog.getByRole('button', { name: 'Add privilege' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await table.getByText('jane.doe').waitFor();
    assert.deepEqual(await privileges(), ['group:post-production:read', 'user:jane.doe:read']);

    // Changed in place.
    await page.getByLabel('Right of user jane.doe').selectOption('read_write');
    await table.getByText('Saved', { exact: true }).waitFor();
    assert.deepEqual(await privileges(), ['group:post-production:read', 'user:jane.doe:read_write']);

    // The guest right, saved with its button.
    await page.getByLabel('Every signed-in user').selectOption('read');
    await page.getByRole('button', { name: 'Save guest right' }).click();
    await page.getByText('Saved: read for every signed-in user.').waitFor();
    assert.equal((await b.admin.get(base)).body.guest_right, 'read');
    await shot(page, 'storage-privileges', { fullPage: true });

    // Removed, after a confirmation.
    await page.getByRole('button', { name: 'Remove user jane.doe' }).click();
    await page.getByRole('dialog', { name: 'Delete the privilege of jane.doe?' }).getByRole('button', { name: 'Delete' }).click();
    await table.getByText('jane.doe').waitFor({ state: 'detached' });
    assert.deepEqual(await privileges(), ['group:post-production:read']);
    assert.equal((await b.admin.get(base)).body.guest_right, 'read');

    // Buckets and pools have the same page.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Cloud' }).click();
    await page.getByRole('table', { name: 'buckets' }).getByRole('link', { name: 'media-archive' }).click();
    await page.getByText('Cloud bucket on ceph-east').waitFor();
    await page.getByText('No privileges', { exact: true }).waitFor();
    await nav.getByRole('link', { name: 'Pools' }).click();
    await page.getByRole('table', { name: 'pools' }).getByRole('link', { name: 'archive-tier' }).click();
    await page.locator('.fact', { hasText: 'Members' }).getByRole('link', { name: 'archive' }).waitFor();
    await page.getByRole('button', { name: 'Save guest right' }).waitFor();

    // Groups: one made with a member, listed with the user's groups.
    await nav.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('table', { name: 'groups' }).getByText('Editors and colorists').waitFor();
    await page.getByRole('button', { name: '+ Add group' }).click();
    await page.getByRole('dialog').getByLabel('Name', { exact: true }).fill('colorists');
    await page.getByRole('dialog').getByLabel('jane.doe').check();
    await page.getByRole('dialog').getByRole('button', { name: 'Add group' }).click();
    await page.getByRole('table', { name: 'groups' }).getByText('colorists', { exact: true }).waitFor();
    const made = (await b.admin.get('/groups?name=colorists')).body.groups[0];
    assert.deepEqual(made.users, ['jane.doe']);
    await shot(page, 'groups');
    await nav.getByRole('link', { name: 'Users' }).click();
    const janeRow = page.getByRole('table', { name: 'users' }).locator('tr', { hasText: 'jane.doe' });
    await janeRow.getByText('colorists').waitFor();
    await janeRow.getByText('post-production').waitFor();
    assert.deepEqual(problems, []);

    // A user who is not an admin reads the share (guest right) without its path or any access control.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, b.url, 'jane.doe', password);
    await page.getByRole('link', { name: 'NAS & shares' }).click();
    const visible = page.getByRole('table', { name: 'shares' });
    await visible.getByRole('link', { name: 'incoming', exact: true }).click();
    await page.getByRole('heading', { name: 'incoming', level: 1 }).waitFor();
    await page.getByText('NAS share on filer-01').waitFor();
    assert.equal(await page.getByText('Mount path').count(), 0);
    assert.equal(await page.getByText(share.path).count(), 0);
    assert.equal(await page.getByRole('button', { name: '+ Add privilege' }).count(), 0);
    assert.equal(await page.getByLabel('Every signed-in user').count(), 0);
    assert.deepEqual(problems, []);
  });

  it("shows the movers: the server's own engine has one, online", async () => {
    await freshPage();
    await signIn(page, b.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Movers' }).click();
    await page.getByRole('heading', { name: 'Movers', level: 1 }).waitFor();
    // The in-process engine's mover is named host:pid of this process (BARGE_MOVER_NAME unset).
    const name = `${hostname()}:${process.pid}`;
    const row = page.getByRole('table', { name: 'movers' }).locator('tr', { hasText: name });
    await row.locator('[data-mover-state="online"]').waitFor();
    await row.getByText('All storages').waitFor();
    assert.equal(await page.getByRole('table', { name: 'movers' }).locator('tbody tr').count(), 1);
    assert.deepEqual(problems, []);
  });

  it('previews a task: a dry run shows what each file would become and the totals, and writes nothing', async () => {
    const s = await nasWithShares(b.admin, ['cut', 'delivery']);
    const src = s.cut as Share;
    const dst = s.delivery as Share;
    await makeTree(src.path, { 'reel/edit.mov': 200_000, 'reel/notes.txt': 'second cut', 'poster.png': 5_000 });
    await makeTree(dst.path, { 'reel/notes.txt': 'first cut' });
    const older = new Date(1_500_000_000_000);
    await utimes(join(dst.path, 'reel/notes.txt'), older, older);
    const before = await hashTree(dst.path);
    const taskId = await apiTask('Cut to delivery', 'copy', src, dst, { conflict_resolution: 'rename' }, 'Final reel to the delivery share');
    await freshPage();
    await signIn(page, b.url);
    await page.goto(`${b.url}/console/tasks/${taskId}`);
    await page.locator('button[data-action="dry_run"]').click();
    const dialog = page.getByRole('dialog', { name: 'Preview of a run' });
    await dialog.getByTestId('plan-totals').waitFor({ timeout: 30_000 });
    assert.match((await dialog.getByTestId('plan-totals').textContent()) ?? '', /^3 files · 200 KiB$/);
    const rename = dialog.locator('tr[data-operation="rename"]');
    await rename.getByRole('cell', { name: '/reel/notes (1).txt', exact: true }).waitFor();
    await rename.getByRole('cell', { name: '/reel/notes.txt', exact: true }).waitFor();
    assert.equal(await dialog.locator('tr[data-operation="copy"]').count(), 2);
    await dialog.getByTestId('plan-eta').getByText('Unknown').waitFor();
    await shot(page, 'task-preview');
    await dialog.locator('.modal-footer').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('table', { name: 'executions' }).getByText('Preview').waitFor();
    assert.deepEqual(await hashTree(dst.path), before, 'a preview writes nothing');

    // From the task editor: "Save and preview" saves, then the task page runs the preview at once.
    await page.goto(`${b.url}/console/tasks/${taskId}/edit`);
    await page.getByRole('button', { name: 'Save and preview' }).first().click();
    const again = page.getByRole('dialog', { name: 'Preview of a run' });
    await again.getByTestId('plan-totals').waitFor({ timeout: 30_000 });
    assert.match((await again.getByTestId('plan-totals').textContent()) ?? '', /^3 files · 200 KiB$/);
    assert.equal(new URL(page.url()).pathname, `/console/tasks/${taskId}`);
    assert.equal(new URL(page.url()).searchParams.get('preview'), null, 'a reload does not preview again');
    const previews = await b.admin.get(`/tasks/${taskId}/task_executions`);
    assert.equal(previews.body.task_executions.filter((e: any) => e.dry_run === true).length, 2);
    assert.deepEqual(await hashTree(dst.path), before, 'a preview writes nothing');
    assert.deepEqual(problems, []);
  });
});
