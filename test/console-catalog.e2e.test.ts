/**
 * The console's views of what is stored (#13), end to end in headless Debian Chromium against a real
 * Barge with its engine: the task editor's folder browser fills node paths (and shows the API's
 * refusal), a share's Files tab browses it, and after a real scan the dashboard charts the catalog
 * and the executions, and its search finds the scanned files. The API and the file system are only
 * read to check the result; every wait is playwright's or a poll with a deadline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { nasWithShares } from './helpers/fixtures.js';
import { makeTree, stampTree } from './helpers/trees.js';
import { chromiumSkipReason, ensureConsoleBuilt, launchChromium, shot, signIn, watchProblems } from './console-e2e-helpers.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

describe('web console: browse, dashboard and catalog (browser)', { skip }, () => {
  let b: Booted;
  let s: Record<'src' | 'dst', { id: string; path: string }>;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let page: Page;
  let problems: string[];

  before(async () => {
    await ensureConsoleBuilt();
    b = await boot({ engine: true });
    s = (await nasWithShares(b.admin, ['src', 'dst'])) as typeof s;
    const tree = {
      'projects/apollo/brief.txt': 'alpha', 'projects/apollo/notes.txt': 'bravo charlie', 'projects/apollo/plates/shot-010.exr': 20_000,
      'projects/gemini/plan.md': '# plan', 'README.txt': 'read me',
    };
    await makeTree(s.src.path, tree);
    await stampTree(s.src.path, tree); // ages are charted against the process's clock
    await makeTree(s.dst.path, { 'incoming/2026/.keep': '', 'outgoing/.keep': '' });
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

  it('picks source and destination paths in the folder browser and saves them in the task', async () => {
    await freshPage();
    await signIn(page, b.url);
    await page.getByRole('button', { name: '+ New task' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Apollo to incoming');
    assert.ok(await page.getByRole('button', { name: 'Browse source 1' }).isDisabled(), 'no storage chosen yet: nothing to browse');
    await page.locator('#sources-0-storage').selectOption(`share:${s.src.id}`);
    await page.locator('#destinations-0-storage').selectOption(`share:${s.dst.id}`);

    // Source: down into /projects, folders first, then pick apollo from its row.
    await page.getByRole('button', { name: 'Browse source 1' }).click();
    const dialog = page.getByRole('dialog', { name: /^Browse src-/ });
    const root = dialog.getByRole('table', { name: 'Contents of /' });
    await root.locator('tr[data-entry="/README.txt"]').waitFor();
    assert.deepEqual(await root.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry'))), ['/projects', '/README.txt']);
    await dialog.getByRole('button', { name: 'Open projects' }).click();
    const projects = dialog.getByRole('table', { name: 'Contents of /projects' });
    await projects.locator('tr[data-entry="/projects/gemini"]').waitFor();
    await shot(page, 'browse-folder');
    await dialog.getByRole('button', { name: 'Select /projects/apollo' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.locator('#sources-0-paths').inputValue(), '/projects/apollo');

    // Destination: a path that does not exist is the API's 404, shown in the dialog; the crumbs lead back.
    await page.locator('#destinations-0-paths').fill('/nowhere');
    await page.getByRole('button', { name: 'Browse destination 1' }).click();
    const dest = page.getByRole('dialog', { name: /^Browse dst-/ });
    await dest.getByRole('alert').getByText('Path /nowhere not found').waitFor();
    await dest.getByRole('button', { name: 'Root' }).click();
    await dest.getByRole('button', { name: 'Open incoming' }).click();
    await dest.getByRole('button', { name: 'Open 2026' }).click();
    await dest.locator('.browser[data-path="/incoming/2026"]').waitFor();
    await dest.getByRole('button', { name: 'Choose this folder' }).click();
    await dest.waitFor({ state: 'detached' });
    assert.equal(await page.locator('#destinations-0-paths').inputValue(), '/incoming/2026');

    await page.getByRole('button', { name: 'Create task' }).first().click();
    await page.getByRole('heading', { name: 'Apollo to incoming' }).waitFor();
    const saved = await b.admin.get(`/tasks/${encodeURIComponent(page.url().split('/').pop() as string)}`);
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body.sources.map((e: any) => [e.storage_id, e.node_paths]), [[s.src.id, ['/projects/apollo']]]);
    assert.deepEqual(saved.body.destinations.map((e: any) => [e.storage_id, e.node_paths]), [[s.dst.id, ['/incoming/2026']]]);
    assert.deepEqual(problems, []);
  });

  it('browses a share in its Files tab', async () => {
    await freshPage();
    await signIn(page, b.url);
    await page.goto(`${b.url}/console/storages/nas/shares/${s.src.id}`);
    await page.getByRole('tab', { name: 'Files' }).click();
    await page.getByRole('button', { name: 'Open projects' }).click();
    await page.getByRole('button', { name: 'Open apollo' }).click();
    const apollo = page.getByRole('table', { name: 'Contents of /projects/apollo' });
    await apollo.locator('tr[data-entry="/projects/apollo/notes.txt"]').getByText('13 B').waitFor();
    // The folder is in the URL: a reload comes back to it.
    assert.match(page.url(), /tab=files&path=%2Fprojects%2Fapollo$/);
    await page.reload();
    await page.getByRole('table', { name: 'Contents of /projects/apollo' }).locator('tr[data-entry="/projects/apollo/plates"]').waitFor();
    assert.deepEqual(problems, []);
  });

  it('charts a scan on the dashboard and searches the catalog', async () => {
    await freshPage();
    await signIn(page, b.url);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByText('No scan yet', { exact: true }).waitFor();

    const task = await b.admin.post('/tasks', {
      name: 'Scan src', workflow_type: 'data_migration', workflow_action: 'scan', sources: [{ type: 'nas', storage_id: s.src.id, node_paths: ['/'] }],
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    const run = await b.admin.put(`/tasks/${task.body.id}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const status = await waitFor(async () => {
      const e = await b.admin.get(`/task_executions/${run.body.execution_id}`);
      return e.body.finished_at ? (e.body.status as string) : null;
    }, 'the scan to finish', 30_000);
    assert.equal(status, 'done');

    await page.getByRole('button', { name: 'Refresh' }).click();
    const ext = page.locator('svg[data-chart="by-extension"]');
    await ext.locator('rect[data-label="txt"]').waitFor();
    assert.equal(await ext.locator('rect[data-label="txt"]').getAttribute('data-value'), '3');
    assert.equal(await ext.locator('rect[data-label="md"]').getAttribute('data-value'), '1');
    assert.equal(await ext.locator('rect[data-label="exr"]').getAttribute('data-value'), '1');
    // Read out as a list of bars, each naming its label and count.
    await page.getByRole('list', { name: /Files by extension/ }).getByRole('listitem', { name: /^txt: 3 files · 25 B$/ }).waitFor();
    const sized = page.locator('svg[data-chart="by-size"] rect[data-label="< 100 kB"]');
    assert.equal(await sized.getAttribute('data-value'), '5');
    assert.equal(await page.locator('svg[data-chart="by-age"] rect[data-label="< 1 week"]').getAttribute('data-value'), '5');
    assert.equal(await page.locator('svg[data-chart="by-owner"] rect').count(), 1);
    assert.equal(await page.locator(`svg[data-chart="by-storage"] rect`).first().getAttribute('data-value'), String(5 + 13 + 20_000 + 6 + 7));
    assert.equal(await page.locator('svg[data-chart="by-status"] rect[data-label="Done"]').getAttribute('data-value'), '1');
    assert.equal(await page.locator('svg[data-chart="by-workflow"] rect[data-label="Scan"]').getAttribute('data-value'), '1');
    await shot(page, 'dashboard', { fullPage: true });

    // The catalog search (refreshed with the charts): name contains, then the file's folder in the share's Files tab.
    const results = page.getByRole('table', { name: 'catalog files' });
    await results.locator('tbody tr').filter({ hasText: 'README.txt' }).waitFor();
    await page.getByLabel('Search files by name').fill('brief');
    await results.locator('tbody tr').filter({ hasText: 'brief.txt' }).waitFor();
    await results.locator('tbody tr').filter({ hasText: 'README.txt' }).waitFor({ state: 'detached' });
    await results.getByRole('link', { name: '/projects/apollo/brief.txt' }).click();
    await page.getByRole('table', { name: 'Contents of /projects/apollo' }).locator('tr[data-entry="/projects/apollo/brief.txt"]').waitFor();
    assert.deepEqual(problems, []);
  });
});
