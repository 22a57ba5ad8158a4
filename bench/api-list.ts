/**
 * Benchmark: `GET /api/v2/tasks?limit=50` on a store of 100,000 tasks, side by side with a bare
 * fastify 5 sending the very same bytes — the ratio says how much of the floor Barge keeps.
 *
 *   npm run bench:api        (= node --import tsx bench/api-list.ts)
 *
 * Environment (all optional):
 *   BENCH_DURATION     measured seconds per row (default 10)
 *   BENCH_WARMUP       unmeasured seconds of load before each row (default 2)
 *   BENCH_CONNECTIONS  concurrent connections (default 50)
 *   BENCH_TASKS        tasks seeded (default 100000)
 *   BENCH_CPU_PROF     a directory: the Barge child runs with --cpu-prof and writes its profile there
 *   BENCH_WRITES       writes per second in the "with writes" row (default 10; 0 skips the row)
 *
 * Barge and the bare server each run in a child process (bench/lib/*-server.ts), so autocannon, in
 * this process, does not share their event loop. Each row also reports the server's CPU time per
 * response (user + system, from /proc): on a shared machine req/s swing with other work, CPU per
 * request much less. The "writes/s" row keeps changing a task of the measured page through another
 * connection to the store while it measures, then checks that the list shows the last write (the
 * list cache must never serve a stale page). Targets: Barge/bare req/s ≥ 0.5 and Barge p99
 * < 25 ms. It exits 0 once it has measured (it is a benchmark, not a test), unless a list was stale.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openStore } from '../src/store/db.js';
import { startServer, type ServerChild } from './lib/children.js';
import { seedTasks } from './lib/seed-tasks.js';
import { markdownTable, measure, statusText, table, type Measured } from './lib/load.js';
import { cpuSecondsOf } from './lib/rss.js';

const PASSWORD = 'bench-admin-password';
const PATH = '/api/v2/tasks?limit=50';
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 25;

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${raw} must be a number ≥ ${min}`);
  return n;
}

const settings = {
  duration: envNumber('BENCH_DURATION', 10, 1),
  warmup: envNumber('BENCH_WARMUP', 2, 0),
  connections: Math.round(envNumber('BENCH_CONNECTIONS', 50, 1)),
  tasks: Math.round(envNumber('BENCH_TASKS', 100_000, 1)),
  cpuProfDir: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
  writes: envNumber('BENCH_WRITES', 10, 0),
};

// --- cleanup: children and the temp dir go away on normal exit, on errors and on Ctrl-C.

const children: ServerChild[] = [];
let workDir: string | undefined;
const interrupted = new AbortController();

async function cleanup(): Promise<void> {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  if (workDir) await rm(workDir, { recursive: true, force: true });
  workDir = undefined;
}

process.on('exit', () => {
  // Last resort (synchronous): whatever cleanup() did not get to.
  for (const c of children) c.process.kill('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted.abort();
    console.error(`\n${signal}: stopping servers and removing ${workDir ?? 'nothing'}`);
    void cleanup().finally(() => process.exit(130));
  });
}

// --- a few API calls for the set-up (not measured)

async function call(base: string, auth: string, method: string, path: string, body?: unknown): Promise<{ status: number; bytes: Buffer; json: any }> {
  const headers: Record<string, string> = { authorization: auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const bytes = Buffer.from(await r.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: r.status, bytes, json };
}

async function expectCreated(base: string, auth: string, path: string, body: unknown): Promise<any> {
  const r = await call(base, auth, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path} → ${r.status}: ${r.bytes.toString('utf8')}`);
  return r.json;
}

/** A NAS with two shares (on directories in the work dir) and a tasks/index API key. */
async function setUpThroughApi(api: string, basic: string, dir: string): Promise<{ shares: { source: string; destination: string }; apiKey: string }> {
  const nas = await expectCreated(api, basic, '/nas', { name: 'bench-nas', type: 'local' });
  const shares: string[] = [];
  for (const name of ['bench-src', 'bench-dst']) {
    const path = join(dir, 'shares', name);
    await mkdir(path, { recursive: true });
    shares.push((await expectCreated(api, basic, `/nas/${nas.id}/nas_shares`, { name, path })).id);
  }
  const key = await expectCreated(api, basic, '/users/me/api_keys', { name: 'bench', api_key_scopes: [{ controller: 'tasks', action: 'index' }] });
  return { shares: { source: shares[0] as string, destination: shares[1] as string }, apiKey: key.key };
}

/** Seeds through a second connection to the same SQLite file (WAL: the server's stays valid). */
async function seed(env: Record<string, string>, shares: { source: string; destination: string }): Promise<void> {
  const store = await openStore(loadConfig(env).database);
  try {
    const admin = await store.db.selectFrom('users').select(['id', 'username']).where('username', '=', 'admin').executeTakeFirstOrThrow();
    const t0 = performance.now();
    const n = await seedTasks(store.db, { count: settings.tasks, owner: admin, shares, signal: interrupted.signal });
    // Fold the WAL back into the database file so the server does not start by reading a big WAL.
    if (store.dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
    console.log(`  seeded ${n.tasks} tasks + ${n.endpoints} endpoints in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await store.close();
  }
}

/** Checks the page is what a client would get: 200, the full count, 50 tasks with their sources. */
function checkPage(r: { status: number; json: any; bytes: Buffer }): void {
  if (r.status !== 200) throw new Error(`GET ${PATH} → ${r.status}: ${r.bytes.toString('utf8').slice(0, 500)}`);
  const { count, tasks } = r.json as { count: number; tasks: Array<{ sources: unknown[] }> };
  if (count !== settings.tasks) throw new Error(`count is ${count}, expected ${settings.tasks}`);
  const expected = Math.min(50, settings.tasks);
  if (tasks.length !== expected) throw new Error(`page has ${tasks.length} tasks, expected ${expected}`);
  if (tasks.some((t) => t.sources.length === 0)) throw new Error('a task of the page has no sources');
}

/**
 * Writes `perSecond` times a second, through its own connection to the store (as the engine or
 * another Barge would), to the comment of a task on the measured page: every write changes the
 * body, so every write must be seen by the next request. Returns a stop function that resolves to
 * the last comment written.
 */
async function startWriter(env: Record<string, string>, taskId: string, perSecond: number): Promise<() => Promise<string>> {
  const store = await openStore(loadConfig(env).database);
  let n = 0;
  let last = '';
  let writing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    n += 1;
    const comment = `bench write ${n}`;
    writing = store.db.updateTable('tasks').set({ comment, updated_at: new Date().toISOString() }).where('id', '=', taskId).execute().then(() => (last = comment));
  }, 1000 / perSecond);
  return async () => {
    clearInterval(timer);
    await writing;
    await store.close();
    return last;
  };
}

// --- report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function report(rows: Measured[], bare: Measured, bodyBytes: number): void {
  const head = ['', 'req/s', 'p50 ms', 'p99 ms', 'avg ms', 'vs bare', 'server CPU µs/req', 'non-2xx', 'errors', 'per conn. min–max', 'warm-up s'];
  const cells = rows.map((m) => [
    m.label, fmt(m.reqPerSec), fmt(m.p50, 1), fmt(m.p99, 1), fmt(m.avg, 1),
    m === bare ? '1.00' : fmt(m.reqPerSec / bare.reqPerSec, 2), m.cpuUsPerRequest === undefined ? '–' : fmt(m.cpuUsPerRequest), fmt(m.non2xx), fmt(m.errors),
    `${fmt(m.perConnection.min)}–${fmt(m.perConnection.max)}`, fmt(m.warmupUsed, 1),
  ]);
  console.log(`\n${table(head, cells)}`);
  for (const m of rows) {
    if (m.non2xx + m.errors > 0) console.log(`  ! ${m.label}: ${m.non2xx} non-2xx (${statusText(m.statuses)}), ${m.errors} errors of which ${m.timeouts} timeouts (10 s)`);
  }
  console.log(`  body: ${fmt(bodyBytes)} bytes per response; errors = socket errors + timeouts; per conn. = responses per connection in the window;\n  the window opens after the warm-up once every connection has been answered (warm-up s = time that took);\n  server CPU = user + system time of the server process in the window (/proc, 10 ms ticks) per response:\n  unlike req/s it does not depend on what else the machine runs`);
  console.log(`\nMarkdown:\n\n${markdownTable(head.map((h, i) => (i === 0 ? 'server' : h)), cells)}\n`);
}

function verdict(m: Measured, bare: Measured): void {
  const ratio = m.reqPerSec / bare.reqPerSec;
  const failed = m.non2xx + m.errors;
  const ok = (b: boolean) => (b ? 'MET   ' : 'MISSED');
  console.log(`Targets, ${m.label}:`);
  console.log(`  ${ok(ratio >= TARGET_RATIO)} req/s ratio Barge/bare = ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO})`);
  console.log(`  ${ok(m.p99 < TARGET_P99_MS)} p99 = ${m.p99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms)`);
  if (failed > 0) console.log(`  !      ${failed} failed requests: these figures are not trustworthy`);
}

// --- main

async function main(): Promise<void> {
  const { duration, warmup, connections } = settings;
  console.log(`GET ${PATH} — ${fmt(settings.tasks)} tasks, ${connections} connections, ${warmup} s warm-up + ${duration} s per row, Node ${process.version}`);
  // Server and load generator share the machine: anything else running skews both. Say so.
  const load1 = loadavg()[0] ?? 0;
  console.log(`  ${availableParallelism()} CPUs, load average ${load1.toFixed(2)}${load1 > 0.5 ? ' — the machine is busy: expect noisy figures' : ''}`);
  workDir = await mkdtemp(join(tmpdir(), 'barge-bench-'));
  // Log level `error`: unexpected errors (500s) still reach stderr, boot chatter does not.
  const env = { BARGE_DATA_DIR: join(workDir, 'data'), BARGE_ADMIN_PASSWORD: PASSWORD, BARGE_LOG_LEVEL: 'error', BARGE_DATABASE_URL: '' };

  console.log('- booting Barge (child process)');
  const prof = settings.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
  const barge = await startServer('./barge-server.ts', env, prof);
  children.push(barge);
  const api = `${barge.url}/api/v2`;
  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  const { shares, apiKey } = await setUpThroughApi(api, basic, workDir);
  const bearer = `Bearer ${apiKey}`;

  console.log(`- seeding ${fmt(settings.tasks)} tasks through the store`);
  await seed(env, shares);

  const page = await call(api, bearer, 'GET', '/tasks?limit=50');
  checkPage(page);
  const viaBasic = await call(api, basic, 'GET', '/tasks?limit=50');
  checkPage(viaBasic);
  if (!viaBasic.bytes.equals(page.bytes)) throw new Error('Basic and API-key pages differ');
  const bodyFile = join(workDir, 'body.json');
  await writeFile(bodyFile, page.bytes);

  console.log('- booting bare fastify (child process)');
  const bare = await startServer('./bare-server.ts', { BENCH_BODY_FILE: bodyFile });
  children.push(bare);
  const bareBody = await call(bare.url, '', 'GET', PATH);
  if (!bareBody.bytes.equals(page.bytes)) throw new Error('bare server does not send the captured bytes');

  const load = { connections, duration, warmup };
  console.log('- measuring');
  const rows: Measured[] = [];
  const run = async (label: string, server: ServerChild, auth: string | undefined): Promise<Measured> => {
    process.stdout.write(`  ${label}… `);
    const pid = server.process.pid;
    const cpuSeconds = () => (pid === undefined ? undefined : cpuSecondsOf(pid));
    const m = await measure(label, { ...load, url: server.url + PATH, headers: auth ? { authorization: auth } : {}, cpuSeconds });
    console.log(`${fmt(m.reqPerSec)} req/s`);
    rows.push(m);
    return m;
  };
  await run('Barge, API key', barge, bearer);
  await run('Barge, Basic (cached)', barge, basic);
  if (settings.writes > 0) {
    const target = (page.json as { tasks: Array<{ id: string }> }).tasks[0]?.id as string;
    const stop = await startWriter(env, target, settings.writes);
    await run(`Barge, API key, ${fmt(settings.writes)} writes/s`, barge, bearer);
    const last = await stop();
    // Exactness under load: the next answer carries the last write.
    const after = await call(api, bearer, 'GET', '/tasks?limit=50');
    const seen = (after.json as { tasks: Array<{ id: string; comment: string | null }> }).tasks.find((t) => t.id === target)?.comment;
    if (seen !== last) throw new Error(`stale list after the writes: comment is ${JSON.stringify(seen)}, last write was ${JSON.stringify(last)}`);
    console.log(`  (after the writes the list shows the last one: ${JSON.stringify(last)})`);
  }
  const bareRow = await run('bare fastify', bare, undefined);
  report(rows, bareRow, page.bytes.length);
  for (const m of rows) if (m !== bareRow) verdict(m, bareRow);
  console.log(`\n(${new Date().toISOString()}, ${process.platform} ${process.arch})`);
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    if (settings.cpuProfDir) console.log(`CPU profile of the Barge child written to ${settings.cpuProfDir}`);
  });
