/**
 * The engine's roles as processes of their own (#10), on a real PostgreSQL: the API in this process
 * (engine off), dispatchers and three movers as child processes (`barge dispatcher`, `barge mover`),
 * sharing nothing but the store. Movers are killed with kill -9 at random moments while files are
 * copied, a dispatcher is killed mid-run and its standby takes over, a mover drains on SIGTERM, and a
 * mover that reaches one share only never works on another: every run ends `done`, the trees are
 * equal by content, and no temporary file is left.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { boot, waitFor, PG_URL, type Booted } from './helpers/barge.js';
import { nasWithShares, unique } from './helpers/fixtures.js';
import { hashTree, makeTree, partFiles } from './helpers/trees.js';
import { startRole, type RoleProcess } from './helpers/role-process.js';
import { parseExposition } from './helpers/prometheus.js';

const REDIS_URL = process.env.BARGE_TEST_REDIS_URL;
const skipPg = PG_URL ? false : 'BARGE_TEST_PG_URL is not set: scale-out tests (dispatcher and movers as processes on PostgreSQL) skipped';
const skipRedis = skipPg || (REDIS_URL ? false : 'BARGE_TEST_REDIS_URL is not set: the BullMQ variant of the scale-out tests skipped');
if (skipPg) console.log(`# ${skipPg}`);
else if (skipRedis) console.log(`# ${skipRedis}`);

/** A database of the test Redis of its own (FLUSHDB in a test must not touch anything else). */
function testRedisUrl(): string {
  const u = new URL(REDIS_URL as string);
  u.pathname = '/9';
  return u.toString();
}

const SMALL = 2000;
/** A few large files: a kill then often lands in the middle of writing one (a temporary file left). */
const LARGE = 6;
const FILES = SMALL + LARGE;

for (const transport of ['sql', 'bullmq'] as const) describe(`dispatcher and movers as processes (postgres, batches through ${transport === 'sql' ? 'the store' : 'BullMQ on Redis'})`, { skip: transport === 'sql' ? skipPg : skipRedis }, () => {
  let b: Booted;
  let env: Record<string, string>;
  const running = new Set<RoleProcess>();
  let src: { id: string; path: string };
  let source: Record<string, string>;

  const start = async (role: 'dispatcher' | 'mover', name: string, extra: Record<string, string> = {}) => {
    const p = await startRole(role, name, { ...env, ...extra });
    running.add(p);
    return p;
  };
  const kill = async (p: RoleProcess) => {
    await p.kill();
    running.delete(p);
  };

  before(async () => {
    b = await boot({ dialect: 'postgres' });
    // Short leases: a killed mover's batches come back (and a standby dispatcher takes over) in seconds.
    // Each mover serves its own /metrics on an ephemeral port (printed in its start line).
    env = { BARGE_DATABASE_URL: b.databaseUrl as string, BARGE_DATA_DIR: b.dataDir, BARGE_LEASE_SECONDS: '3', BARGE_MOVER_SLOTS: '2', BARGE_MOVER_DRAIN_SECONDS: '10', BARGE_METRICS_PORT: '0' };
    if (transport === 'bullmq') {
      env.BARGE_REDIS_URL = testRedisUrl();
      env.BARGE_REDIS_PREFIX = `barge-test-${process.pid}`;
    }
    src = (await nasWithShares(b.admin, ['src'])).src!;
    const files: Record<string, number> = {};
    for (let i = 0; i < SMALL; i++) files[`d${i % 20}/f${i}.bin`] = 1024 + (i % 7) * 512;
    for (let i = 0; i < LARGE; i++) files[`d${i * 3}/large-${i}.bin`] = 8 << 20;
    await makeTree(src.path, files);
    source = await hashTree(src.path);
    await start('dispatcher', 'dispatcher-1');
    await start('dispatcher', 'dispatcher-2'); // a standby
    for (const name of ['mover-1', 'mover-2', 'mover-3']) await start('mover', name);
  });

  after(async () => {
    await Promise.all([...running].map((p) => p.kill()));
    await b?.stop();
  });

  async function copyRun(extra: Record<string, unknown> = {}): Promise<{ id: string; dst: string; dstId: string }> {
    const dst = (await nasWithShares(b.admin, ['dst'])).dst!;
    const t = await b.admin.post('/tasks', {
      name: unique('scale'), workflow_type: 'data_migration', workflow_action: 'copy', options: { file_checksum: 'xxhash64', ...extra },
      sources: [{ type: 'nas', storage_id: src.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: dst.id, node_paths: ['/'] }],
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const r = await b.admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { id: r.body.execution_id, dst: dst.path, dstId: dst.id };
  }

  const exec = async (id: string) => (await b.admin.get(`/task_executions/${id}`)).body;

  async function finished(id: string): Promise<any> {
    return waitFor(async () => {
      const e = await exec(id);
      return e.finished_at ? e : undefined;
    }, `execution ${id} to finish`, 120_000, 100);
  }

  async function assertCopied(run: { id: string; dst: string }): Promise<any> {
    const e = await finished(run.id);
    assert.equal(e.status, 'done', JSON.stringify(e));
    assert.equal(e.nodes_done, FILES);
    assert.deepEqual(await partFiles(run.dst), [], 'no temporary file left');
    assert.deepEqual(await hashTree(run.dst), source, 'the destination holds every file, byte for byte');
    return e;
  }

  it('movers killed with kill -9 at random moments: their batches come back, another mover finishes them', async () => {
    for (let round = 0; round < 3; round++) {
      const run = await copyRun();
      const victims = ['mover-1', 'mover-2', 'mover-3'];
      for (let k = 0; k < 2; k++) {
        const at = randomInt(1, Math.floor(FILES * 0.6));
        await waitFor(async () => (await exec(run.id)).nodes_done >= at || undefined, `${at} files done`, 60_000, 20).catch(() => undefined);
        const name = victims[randomInt(0, victims.length)]!;
        const victim = [...running].find((p) => p.name === name);
        if (victim) await kill(victim);
        await start('mover', name); // a mover restarted under the same name (as a service manager does)
      }
      const e = await assertCopied(run);
      assert.ok(e.movers.length >= 1 && e.movers.every((m: string) => m.startsWith('mover-')), JSON.stringify(e.movers));
    }
  });

  it('the dispatcher killed mid-run: the standby takes the lease and finishes the run', async () => {
    const run = await copyRun({ parallel: 2 });
    await waitFor(async () => ['calculating', 'in_progress'].includes((await exec(run.id)).status) || undefined, 'the run to start', 30_000, 10);
    const holder = (await b.barge.store.db.selectFrom('engine_lease').select('owner').executeTakeFirstOrThrow()).owner;
    const active = [...running].find((p) => p.name === holder || holder.endsWith(`:${p.pid}`) || holder === p.name);
    assert.ok(active, `the lease holder ${holder} is one of the dispatchers`);
    await kill(active);
    const e = await assertCopied(run);
    assert.notEqual(e.dispatcher, holder, 'the standby finished it');
    await start('dispatcher', active.name); // back to two for the next tests
  });

  it('a mover that reaches one share only never works on a run of other shares; GET /movers shows each mover and what it reaches', async () => {
    const other = (await nasWithShares(b.admin, ['elsewhere'])).elsewhere!;
    const otherName = (await b.admin.get(`/nas_shares/${other.id}`)).body.name as string;
    const limited = await start('mover', 'mover-limited', { BARGE_MOVER_STORAGES: otherName });
    const run = await copyRun();
    const e = await assertCopied(run);
    assert.ok(!e.movers.includes('mover-limited'), JSON.stringify(e.movers));
    const movers = (await b.admin.get('/movers')).body.movers as Array<{ name: string; state: string; storages: string[] | '*'; files_done: number }>;
    const row = movers.find((m) => m.name === 'mover-limited');
    assert.deepEqual(row?.storages, [otherName]);
    assert.equal(row?.files_done, 0);
    assert.equal(row?.state, 'online');
    assert.ok(movers.filter((m) => m.name.startsWith('mover-') && m.name !== 'mover-limited' && m.state === 'online').length >= 3, JSON.stringify(movers));
    // Each mover's own /metrics: the limited one moved nothing; together the others moved the run.
    const moved = async (p: RoleProcess) => {
      const url = /metrics on (http:\/\/\S+\/metrics);/.exec(p.output())?.[1];
      assert.ok(url, `a metrics address in: ${p.output()}`);
      return parseExposition(await (await fetch(url)).text()).value('barge_mover_files_total', { mover: p.name });
    };
    assert.equal(await moved(limited), 0);
    const others = [...running].filter((p) => p.name.startsWith('mover-') && p !== limited);
    assert.ok((await Promise.all(others.map(moved))).reduce((a, n) => a + n, 0) >= FILES, 'the run\'s files are counted by the movers that moved them');
    // SIGTERM: it drains and says so, then it is offline.
    assert.equal(await limited.stop(), 0);
    running.delete(limited);
    assert.equal((await b.admin.get('/movers/mover-limited')).body.state, 'offline');
  });

  if (transport === 'bullmq') {
    it('Redis restarted empty mid-run (FLUSHDB): every unfinished batch is published again from the store, the run finishes', async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
      try {
        const run = await copyRun({ parallel: 2 });
        await waitFor(async () => (await exec(run.id)).nodes_done >= 200 || undefined, 'copying under way', 60_000, 20);
        assert.equal(await redis.flushdb(), 'OK');
        await assertCopied(run);
      } finally {
        redis.disconnect();
      }
    });

    it('a bad or unreachable BARGE_REDIS_URL: one line on stderr and a non-zero exit', async () => {
      for (const url of ['http://nope', 'redis://127.0.0.1:1']) {
        const err = await startRole('mover', 'mover-bad', { ...env, BARGE_REDIS_URL: url }, 20_000).then(() => undefined, (e: Error) => e.message);
        assert.ok(err?.includes('exited before starting'), String(err));
        assert.match(err!, /BARGE_REDIS_URL/);
        assert.ok(!err!.includes('    at '), `no stack trace: ${err}`);
      }
    });
  }
});
