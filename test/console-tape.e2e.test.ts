/**
 * The console's Tape page (#12), end to end in headless Debian Chromium against a real Barge: a
 * virtual library created through the API, one cartridge written with a real write session (3 MiB of
 * a 4 MiB cartridge) and another left in a drive through the library itself, the rows following as
 * the engine keeps them. The page shows the drives (one holding a cartridge, one idle) and the
 * cartridges with their fill bars, places and flags; Eject takes a cartridge through the mailslot out
 * of the library — the changer's memory (library.json) and the API say so; Format runs the `format`
 * workflow action through a task and erases a cartridge holding data only once "Erase its data" is
 * ticked. The API and the files are only read to check; every wait is playwright's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { boot, waitFor, type Booted } from './helpers/barge.js';
import { chromiumSkipReason, ensureConsoleBuilt, launchChromium, shot, signIn, watchProblems } from './console-e2e-helpers.js';
import { VirtualTapeLibrary } from '../src/storage/tape/virtual-library.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipped: ${skip}`);
const MiB = 1024 * 1024;

describe('web console: tape (browser)', { skip }, () => {
  let b: Booted;
  let root: string;
  let lib: any;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  /** The tape row of a barcode, as the API shows it. */
  const tapeRow = async (barcode: string) => (await b.admin.get(`/tapes?barcode=${barcode}`)).body.tapes[0];

  before(async () => {
    await ensureConsoleBuilt();
    root = await mkdtemp(join(tmpdir(), 'barge-console-tape-'));
    b = await boot({ env: { BARGE_TAPE_ROOTS: root }, engine: true });
    const r = await b.admin.post('/tape_libraries', {
      name: 'vault-a', path: join(root, 'vault-a'), slots: 8, drives: 2, mailslots: 1, tape_type: 'data_lto8', tapes: 4,
      capacity_bytes: 4 * MiB, load_seconds: 0, seek_mb_per_second: 0,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    lib = r.body;
    // BRG001L8: one write session of 3 MiB; BRG002L8: left in drive 0. The rows are set as the engine sets them.
    const changer = await VirtualTapeLibrary.open(lib.path);
    const lease = await changer.acquireDrive({ owner: 'test', signal: AbortSignal.timeout(10_000) });
    await lease.load('BRG001L8');
    const session = await lease.openWrite();
    await session.writeFile({ path: 'renders/shot-010.exr', size: 3 * MiB, mtimeMs: Date.now(), mode: 0o644 }, [Buffer.alloc(3 * MiB, 7)]);
    await session.close();
    const medium = await lease.medium();
    await lease.unload();
    await lease.load('BRG002L8');
    lease.release();
    const db = b.barge.store.db;
    await db.updateTable('tapes').set({ used_bytes: medium.usedBytes, free_bytes: medium.freeBytes, sessions: medium.sessions.length, scratch: 0, mount_count: 1 }).where('barcode', '=', 'BRG001L8').execute();
    await db.updateTable('tapes').set({ location: 'drive', location_index: 0, mounted: 1, mount_count: 1 }).where('barcode', '=', 'BRG002L8').execute();
    const t4 = await tapeRow('BRG004L8');
    assert.equal((await b.admin.put(`/tapes/${t4.id}`, { locked: true, write_protect: true })).status, 200);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    problems = watchProblems(page);
  });
  after(async () => {
    await browser?.close();
    await b?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('shows the library\'s drives and cartridges with fill bars, places and flags', async () => {
    await signIn(page, b.url);
    await page.getByRole('link', { name: 'Tape' }).click();
    await page.getByRole('heading', { name: 'Tape', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'vault-a' }).waitFor();

    const drives = page.getByRole('table', { name: 'drives' });
    await drives.locator('tr[data-drive="1"]').waitFor();
    assert.equal(await drives.locator('tr[data-drive="0"] [data-drive-state]').getAttribute('data-drive-state'), 'loaded');
    assert.match(await drives.locator('tr[data-drive="0"]').innerText(), /BRG002L8/);
    assert.equal(await drives.locator('tr[data-drive="1"] [data-drive-state]').getAttribute('data-drive-state'), 'idle');

    const carts = page.getByRole('table', { name: 'cartridges' });
    await carts.getByText('BRG004L8').waitFor();
    const rowOf = (barcode: string) => carts.locator('tbody tr', { has: page.getByText(barcode, { exact: true }) });
    const bar = rowOf('BRG001L8').getByRole('progressbar', { name: 'BRG001L8 used' });
    const percent = Number(await bar.getAttribute('aria-valuenow'));
    assert.ok(percent > 74 && percent < 77, `3 MiB and the session's index of 4 MiB: ${percent}%`);
    const fillWidth = await bar.locator('.progress-fill').evaluate((el) => el.getBoundingClientRect().width / (el.parentElement as HTMLElement).getBoundingClientRect().width);
    assert.ok(fillWidth > 0.7 && fillWidth < 0.8, `the bar is drawn three quarters full: ${fillWidth}`);
    assert.match(await rowOf('BRG001L8').innerText(), /3 MiB of 4 MiB · 75%/);
    assert.equal(await rowOf('BRG003L8').getByRole('progressbar').getAttribute('aria-valuenow'), '0');
    assert.deepEqual(await Promise.all(['BRG001L8', 'BRG002L8', 'BRG003L8'].map((c) => rowOf(c).locator('[data-location]').innerText())), ['Slot 0', 'Drive 0', 'Slot 2']);
    assert.deepEqual(await rowOf('BRG004L8').locator('[data-flag]').evaluateAll((els) => els.map((e) => e.getAttribute('data-flag'))), ['locked', 'write_protect', 'scratch']);
    assert.equal(await rowOf('BRG002L8').getByRole('button', { name: 'Eject BRG002L8' }).isDisabled(), true, 'a cartridge in a drive cannot be ejected');
    assert.equal(await rowOf('BRG004L8').getByRole('button', { name: 'Format BRG004L8' }).isDisabled(), true, 'a write-protected cartridge cannot be formatted');
    await shot(page, 'tape', { fullPage: true });
    assert.deepEqual(problems, []);
  });

  it('Eject takes a cartridge through the mailslot out of the library', async () => {
    const carts = page.getByRole('table', { name: 'cartridges' });
    const row = carts.locator('tbody tr', { has: page.getByText('BRG003L8', { exact: true }) });
    await row.getByRole('button', { name: 'Eject BRG003L8' }).click();
    const dialog = page.getByRole('dialog', { name: 'Eject BRG003L8?' });
    await dialog.getByRole('button', { name: 'Eject' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('[data-location="offline"]').waitFor();
    assert.deepEqual(await row.locator('[data-flag]').evaluateAll((els) => els.map((e) => e.getAttribute('data-flag'))), ['scratch', 'ejected']);
    assert.equal(await row.getByRole('button', { name: 'Eject BRG003L8' }).isDisabled(), true);
    const t = await tapeRow('BRG003L8');
    assert.deepEqual([t.location, t.ejected], ['offline', true]);
    const state = JSON.parse(await readFile(join(lib.path, 'library.json'), 'utf8'));
    assert.deepEqual([state.offline, state.mailslots, state.slots[2]], [['BRG003L8'], [null], null], 'out through the mailslot, which is free again');
    assert.deepEqual(problems, []);
  });

  it('Format erases a cartridge holding data only once asked to, through a format task whose execution opens', async () => {
    await page.getByRole('link', { name: 'Tape' }).click();
    const carts = page.getByRole('table', { name: 'cartridges' });
    const row = carts.locator('tbody tr', { has: page.getByText('BRG001L8', { exact: true }) });
    await row.getByRole('button', { name: 'Format BRG001L8' }).click();
    const dialog = page.getByRole('dialog', { name: 'Format BRG001L8?' });
    const go = dialog.getByRole('button', { name: 'Format' });
    assert.equal(await go.isDisabled(), true, 'a cartridge holding a session is not erased without asking');
    await dialog.getByRole('checkbox', { name: /Erase its data/ }).check();
    await go.click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    const execution = page.url().split('/').pop() as string;
    const e = await waitFor(async () => {
      const r = (await b.admin.get(`/task_executions/${execution}`)).body;
      return r.finished_at ? r : undefined;
    }, 'the format to finish', 60_000, 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await b.admin.get(`/task_executions/${execution}`)).body)}`);
    });
    assert.equal(e.status, 'done', JSON.stringify(e));
    await page.locator('h1 [data-status="done"]').waitFor();
    const task = (await b.admin.get(`/tasks/${e.task_id}`)).body;
    assert.equal(task.workflow_action, 'format');
    assert.deepEqual(task.options, { barcodes: ['BRG001L8'], overwrite: true });
    assert.ok((e.log as string[]).some((l) => l.startsWith('formatted BRG001L8: erased 1 session(s)')), JSON.stringify(e.log));
    assert.ok(!(e.log as string[]).some((l) => l.includes('ignored')), `a format's barcodes are its own option: ${JSON.stringify(e.log)}`);
    const t = await tapeRow('BRG001L8');
    assert.deepEqual([t.sessions, t.scratch, t.used], [0, true, 0]);
    assert.equal((await readFile(join(lib.path, 'cartridges', 'BRG001L8.tar'))).length, 1024, 'a blank archive: the two end-of-archive blocks');
    assert.deepEqual(problems, []);
  });
});
