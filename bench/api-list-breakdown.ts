/**
 * Where the time of `GET /api/v2/tasks?limit=50` goes, one part at a time, on the same data as
 * bench/api-list.ts (100,000 seeded tasks). No concurrency: each part runs alone, many times, so
 * the figures are per-request costs. It explains the load benchmark; it does not replace it.
 *
 * A request that hits the cache costs the generation read, auth from the principal cache and the
 * cache lookup; a miss (after any write) costs the page build as well: count from the per-owner
 * counter, page query, endpoints, last executions, views and JSON.stringify.
 *
 *   node --import tsx bench/api-list-breakdown.ts      (BENCH_TASKS, BENCH_ITERATIONS optional)
 *
 * SQL is timed three ways: through the real repositories on an instrumented Kysely (its query log
 * gives each statement's prepare+run time), the builder overhead around it (wall minus SQL), and
 * the bare SQLite engine on a statement prepared once — the floor any query layer can reach.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { createBarge } from '../src/compose.js';
import { createLogger } from '../src/lib/logger.js';
import type { Database } from '../src/store/schema.js';
import { TaskRepository } from '../src/store/task-repository.js';
import { ExecutionRepository } from '../src/store/execution-repository.js';
import { parseListQuery } from '../src/domain/list-query.js';
import { TASK_LIST } from '../src/services/task-service.js';
import { taskView } from '../src/services/views.js';
import { seedTasks } from './lib/seed-tasks.js';
import { table } from './lib/load.js';

const PASSWORD = 'bench-admin-password';
const TASKS = Number(process.env.BENCH_TASKS || 100_000);
const N = Number(process.env.BENCH_ITERATIONS || 300);

interface Timing {
  mean: number;
  p50: number;
  p99: number;
}

/** Runs `fn` N times after a short warm-up; milliseconds. */
async function time(fn: () => unknown): Promise<Timing> {
  for (let i = 0; i < Math.min(30, N); i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return { mean: ms.reduce((a, b) => a + b, 0) / ms.length, p50: at(0.5), p99: at(0.99) };
}

const rows: string[][] = [];
function record(part: string, t: Timing, note = ''): void {
  rows.push([part, t.mean.toFixed(3), t.p50.toFixed(3), t.p99.toFixed(3), note]);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'barge-breakdown-'));
  const config = loadConfig({ BARGE_DATA_DIR: join(dir, 'data'), BARGE_ADMIN_PASSWORD: PASSWORD, BARGE_LOG_LEVEL: 'silent' });
  const barge = await createBarge(config, { logger: createLogger('silent') });
  const sqlite = new SQLite(config.database.kind === 'sqlite' ? config.database.file : ':memory:');
  try {
    const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    const post = async (url: string, payload: unknown) => {
      const r = await barge.app.inject({ method: 'POST', url: `/api/v2${url}`, headers: { authorization: basic }, payload: payload as object });
      if (r.statusCode !== 201) throw new Error(`POST ${url} → ${r.statusCode}: ${r.body}`);
      return r.json();
    };
    const nas = await post('/nas', { name: 'bench-nas', type: 'local' });
    const shareIds: string[] = [];
    for (const name of ['bench-src', 'bench-dst']) {
      await mkdir(join(dir, name));
      shareIds.push((await post(`/nas/${nas.id}/nas_shares`, { name, path: join(dir, name) })).id);
    }
    const key = await post('/users/me/api_keys', { name: 'bench', api_key_scopes: [{ controller: 'tasks', action: 'index' }] });
    const bearer = `Bearer ${key.key}`;
    const admin = await barge.store.db.selectFrom('users').select(['id', 'username']).where('username', '=', 'admin').executeTakeFirstOrThrow();
    console.log(`seeding ${TASKS} tasks…`);
    await seedTasks(barge.store.db, { count: TASKS, owner: admin, shares: { source: shareIds[0] as string, destination: shareIds[1] as string } });

    // An instrumented Kysely on its own connection: the repositories' statements, timed by Kysely.
    const sqlMs = new Map<string, number[]>();
    let lastSql: CompiledQuery[] = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: sqlite }),
      log: (e) => {
        if (e.level !== 'query') return;
        lastSql.push(e.query);
        const k = e.query.sql.slice(0, 60);
        sqlMs.set(k, [...(sqlMs.get(k) ?? []), e.queryDurationMillis]);
      },
    });
    const taskRepo = new TaskRepository(db, 'sqlite');
    const execRepo = new ExecutionRepository(db, 'sqlite');
    const query = parseListQuery({ limit: 50 }, TASK_LIST);
    const scope = { userId: admin.id, all: false };

    const principal = await barge.services.auth.authenticate(bearer);
    const generations = await barge.services.generations.current();
    record('generation read (once per request)', await time(() => barge.services.generations.current()));
    record('auth: API key, cached principal', await time(() => barge.services.auth.authenticate(bearer, generations.auth)));
    record('auth: Basic, cached principal', await time(() => barge.services.auth.authenticate(basic, generations.auth)));
    record('auth: API key, after any credential change (2 lookups)', await time(() => barge.services.auth.authenticate(bearer, Math.random())));
    record('list cache hit (parse query, scope, lookup)', await time(() => barge.services.taskLists.body(principal, { limit: '50' }, generations.tasks)));
    record('list cache miss (page built and serialized)', await time(() => barge.services.taskLists.body(principal, { limit: '50' }, Math.random())));
    const exactCount = await time(() => db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', admin.id).executeTakeFirstOrThrow());
    record('  (COUNT(*) of the owner, no longer run unfiltered)', exactCount);

    lastSql = [];
    const page = await taskRepo.list(query, scope);
    const listSql = lastSql;
    const ids = page.rows.map((r) => r.id);
    lastSql = [];
    const endpoints = await taskRepo.endpointsFor(ids);
    const last = await execRepo.lastForTasks(ids);
    const viewSql = lastSql;
    sqlMs.clear();
    const tList = await time(() => taskRepo.list(query, scope));
    const tEndpoints = await time(() => taskRepo.endpointsFor(ids));
    const tLast = await time(() => execRepo.lastForTasks(ids));
    const sqlMean = (q: CompiledQuery) => {
      const v = sqlMs.get(q.sql.slice(0, 60)) ?? [];
      return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    };
    const [countQ, pageQ] = listSql;
    const [endQ, lastQ] = viewSql;
    record('repo.list (count + page)', tList);
    if (countQ) rows.push(['  SQL: count from task_owner_stats (Kysely prepare+run)', sqlMean(countQ).toFixed(3), '', '', '']);
    if (pageQ) rows.push(['  SQL: page of 50 (Kysely prepare+run)', sqlMean(pageQ).toFixed(3), '', '', '']);
    record('repo.endpointsFor(50 ids)', tEndpoints, endQ ? `SQL ${sqlMean(endQ).toFixed(3)}` : '');
    record('repo.lastForTasks(50 ids)', tLast, lastQ ? `SQL ${sqlMean(lastQ).toFixed(3)}` : '');

    // The engine alone: each statement prepared once, then only run.
    for (const [label, q] of [['count', countQ], ['page', pageQ], ['endpoints', endQ], ['last_execution', lastQ]] as const) {
      if (!q) continue;
      const stmt = sqlite.prepare(q.sql);
      const params = q.parameters as unknown[];
      record(`  SQLite only: ${label} (prepared once)`, await time(() => stmt.all(...params)));
      record(`  SQLite only: ${label} prepare`, await time(() => sqlite.prepare(q.sql)));
    }

    const byTask = new Map<string, typeof endpoints>();
    for (const e of endpoints) byTask.set(e.task_id, [...(byTask.get(e.task_id) ?? []), e]);
    const views = page.rows.map((r) => taskView(r, r.owner, byTask.get(r.id) ?? [], last.get(r.id)));
    record('views: rows → JSON objects (50 tasks)', await time(() => page.rows.map((r) => taskView(r, r.owner, byTask.get(r.id) ?? [], last.get(r.id)))));
    record('JSON.stringify of the page', await time(() => JSON.stringify({ count: page.count, tasks: views })));
    record('service: tasks.list (all of the above but auth)', await time(() => barge.services.tasks.list(principal, { limit: '50' })));
    const get = (auth: string) => async () => {
      const r = await barge.app.inject({ method: 'GET', url: '/api/v2/tasks?limit=50', headers: { authorization: auth } });
      if (r.statusCode !== 200) throw new Error(`GET → ${r.statusCode}`);
    };
    record('full request, API key (app.inject)', await time(get(bearer)));
    record('full request, Basic (app.inject)', await time(get(basic)));

    console.log(`\nGET /api/v2/tasks?limit=50, ${TASKS} tasks, ${N} sequential runs per part, Node ${process.version}\n`);
    console.log(table(['part', 'mean ms', 'p50 ms', 'p99 ms', ''], rows));
    console.log('\nQuery plans:');
    for (const q of [countQ, pageQ, endQ, lastQ]) {
      if (!q) continue;
      console.log(`\n${q.sql}`);
      for (const p of sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{ detail: string }>) console.log(`  ${p.detail}`);
    }
    await db.destroy();
  } finally {
    if (sqlite.open) sqlite.close();
    await barge.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
