/**
 * Shared pieces of the console's browser tests: building the console once when web/dist is missing
 * or older than its sources, launching the system's Debian Chromium with playwright-core (never a
 * downloaded browser), signing in, and saving screenshots to docs/screenshots when BARGE_SCREENSHOTS
 * is set.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, type Client } from './helpers/barge.js';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const SHOTS = join(ROOT, 'docs', 'screenshots');

export function chromiumSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium): console browser tests skipped`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds web/dist with vite's JS API unless an up-to-date build is there. */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = join(WEB, 'dist', 'index.html');
  const sources = Math.max(newestMtime(join(WEB, 'src')), statSync(join(WEB, 'index.html')).mtimeMs, statSync(join(WEB, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ root: WEB, configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Problems the page reported: uncaught errors and CSP violations (network 4xx lines are expected). */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !text.startsWith('Failed to load resource')) problems.push(`console: ${text}`);
  });
  return problems;
}

export async function signIn(page: Page, baseUrl: string, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
}

export const screenshotsOn = (): boolean => Boolean(process.env.BARGE_SCREENSHOTS);

/** Saves docs/screenshots/<name>.png when BARGE_SCREENSHOTS is set (settled: no spinner showing). */
export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (!screenshotsOn()) return;
  await page.locator('.spinner').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  // From the top, with no focus ring: a full-page capture of a scrolled page shifts the sticky sidebar.
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: opts.fullPage ?? false, animations: 'disabled' });
}

export interface Share {
  id: string;
  path: string;
}

/**
 * A small, realistic storage registry (the screenshots show it): a production NAS with project,
 * archive, render and incoming shares, a local scratch disk, an archive pool, an S3 connector with a
 * bucket. Share directories are fresh temp dirs.
 */
export async function seedWorkspace(admin: Client): Promise<Record<'projects' | 'archive' | 'renders' | 'incoming' | 'scratch', Share>> {
  const created = async (path: string, body: unknown) => {
    const r = await admin.post(path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body as { id: string };
  };
  const pool = await created('/pools', { name: 'archive-tier', type: 'active_archive', content: 'nas', comment: 'Long-term project storage' });
  const filer = await created('/nas', { name: 'filer-01', type: 'nfs_v4', host: 'filer-01.lab.internal', comment: 'Production NAS, rack B2' });
  const local = await created('/nas', { name: 'mover-local', type: 'local', comment: 'Local disk of the mover' });
  const share = async (nasId: string, name: string, extra: Record<string, unknown> = {}): Promise<Share> => {
    const path = await mkdtemp(join(tmpdir(), `barge-console-${name}-`));
    return { id: (await created(`/nas/${nasId}/nas_shares`, { name, path, ...extra })).id, path };
  };
  const out = {
    projects: await share(filer.id, 'projects'),
    archive: await share(filer.id, 'archive', { pool_id: pool.id }),
    renders: await share(filer.id, 'renders'),
    incoming: await share(filer.id, 'incoming'),
    scratch: await share(local.id, 'scratch'),
  };
  const ceph = await created('/cloud_connectors', { name: 'ceph-east', url: 'http://127.0.0.1:9', provider: 'generic_s3', region: 'eu-west-1', access_key: 'AKIAEXAMPLE', secret_key: 'not-a-real-secret' });
  await created(`/cloud_connectors/${ceph.id}/cloud_buckets`, { name: 'media-archive', location: 'eu-west-1' });
  return out;
}
