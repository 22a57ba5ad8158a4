/**
 * Benchmark: does adding movers add bandwidth? Movers (`barge mover`) run in network namespaces — one
 * per "host", each behind a veth pair whose egress is limited to 200 Mbit/s by `tc tbf` (each host's
 * NIC) — and copy 2 GiB in 16 MiB files from a NAS share to the local RGW, with 1, 2 and 4 movers.
 * The API (engine off) and a `barge dispatcher` run in the root namespace on one SQLite store (the
 * namespaces share the file system); RGW (and Redis) are reached through TCP relays on the bridge's
 * address (bench/lib/netns.ts). Batches travel through the store (`sql`) or through BullMQ on Redis
 * (`bullmq`, `BARGE_REDIS_URL` on the dispatcher and the movers); every row says which.
 * Targets: ≥ 1.8× the one-mover rate with 2 movers, ≥ 3.4× with 4.
 *
 * Besides the rate, each row gives CPU milliseconds per MiB moved (user + system from /proc over the
 * run) of the movers (their sum; each mover in the detail line), of RGW (radosgw + ceph-osd), of the
 * relays (this process) and of the dispatcher + API: unlike MiB/s, it does not depend much on what else
 * the machine runs. The movers of each row first copy a few small files (a warm-up, see `warmUp`), so
 * that their start-up is not counted. Every run is checked at the destination: object count, total bytes and each object's size.
 *
 *   sudo npm run bench:scale-out      (= node --import tsx bench/scale-out.ts; needs root for `ip netns`)
 *
 * Environment: BENCH_SCALE_FILES (default 128), BENCH_SCALE_MB (MiB per file, default 16),
 * BENCH_SCALE_RATE (per mover, default 200mbit), BENCH_SCALE_MOVERS (default 1,2,4), BENCH_TRANSPORT
 * (`sql`, `bullmq` or `both`, default sql), BENCH_REDIS_URL (default redis://127.0.0.1:6379/7: the
 * benchmark FLUSHDBs that database, and only it, before and after), BENCH_SCALE_CHECKSUM (a task
 * `file_checksum`, e.g. md5 or xxhash64: verified copies; default none), BENCH_SCALE_WARMUP (0: no warm-up), BENCH_MOVER_NODE_ARGS (Node
 * flags of the movers, e.g. `--cpu-prof --cpu-prof-dir=DIR`; summarise with bench/lib/cpu-profile-summary.ts), BENCH_S3_URL, BENCH_S3_ACCESS_KEY,
 * BENCH_S3_SECRET_KEY (default: the RGW of scripts/s3-rgw-up.sh). Namespaces, links, buckets and
 * processes are removed at the end, also on Ctrl-C. It exits 0 once measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { startBarge, type BargeChild } from './lib/barge-main.js';
import { call, signIn } from './lib/barge-copy.js';
import { makeLargeFiles } from './lib/trees.js';
import { BenchBuckets, s3EndpointFromEnv } from './lib/s3-endpoint.js';
import { envNumber, fmt, machineLine, met, MiB, runBenchmark, track, workDir } from './lib/session.js';
import { table, markdownTable } from './lib/load.js';
import { HOST_IP, namespaceOf, network, relay, throughRelay } from './lib/netns.js';
import { CpuWindow, pidsByName, type CpuGroup } from './lib/proc-cpu.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'bench-admin-password';
const S3_RELAY_PORT = 7481;
const REDIS_RELAY_PORT = 7482;

type Transport = 'sql' | 'bullmq';
const transportSetting = process.env.BENCH_TRANSPORT || 'sql';
if (!['sql', 'bullmq', 'both'].includes(transportSetting)) throw new Error(`BENCH_TRANSPORT=${transportSetting} must be sql, bullmq or both`);

const settings = {
  files: Math.round(envNumber('BENCH_SCALE_FILES', 128, 1)),
  mb: Math.round(envNumber('BENCH_SCALE_MB', 16, 1)),
  rate: process.env.BENCH_SCALE_RATE || '200mbit',
  movers: (process.env.BENCH_SCALE_MOVERS || '1,2,4').split(',').map(Number).filter((n) => n > 0),
  transports: (transportSetting === 'both' ? ['sql', 'bullmq'] : [transportSetting]) as Transport[],
  redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/7',
  checksum: process.env.BENCH_SCALE_CHECKSUM || undefined,
  warmup: process.env.BENCH_SCALE_WARMUP !== '0',
};

/** Node flags of the movers (BENCH_MOVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: written when a mover stops). */
const moverNodeArgs = (process.env.BENCH_MOVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

function startRole(args: string[], env: Record<string, string>, ns?: string): Promise<ChildProcess> {
  const node = [process.execPath, ...(args[0] === 'mover' ? moverNodeArgs : []), join(ROOT, 'bin', 'barge.js'), ...args];
  const cmd = ns ? 'ip' : process.execPath;
  const argv = ns ? ['netns', 'exec', ns, ...node] : node.slice(1);
  const child = spawn(cmd, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BARGE_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  track({ stop: async () => void child.kill('SIGTERM'), kill: () => void child.kill('SIGKILL') });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${out}`)), 60_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('started')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${out}`)));
  });
}

/** Empties the benchmark's own Redis database (FLUSHDB: that database only). */
async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

const stopped = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))));

/** Runs a task to its end through the API; returns the execution and the milliseconds from `run` to `finished_at`. */
async function runToEnd(server: BargeChild, taskId: string): Promise<{ e: any; ms: number }> {
  const t0 = Date.now();
  const { execution_id: id } = await call(server, 'PUT', `/tasks/${taskId}/action/run`);
  for (;;) {
    const e = await call(server, 'GET', `/task_executions/${id}`);
    if (e.finished_at) return { e, ms: Date.parse(e.finished_at) - t0 };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Before a measured run: 4 × 1 MiB files per mover into a bucket of their own (deleted afterwards). Why:
 * a fresh `barge mover` loads the S3 driver and the SDK on its first file (~1 s of CPU, through tsx),
 * which long-running movers pay once; without this, that start-up would count in the run's CPU per MiB
 * and time. Not a guarantee that every mover got a file, only that most did (BENCH_SCALE_WARMUP=0: none).
 */
async function warmUp(server: BargeChild, buckets: BenchBuckets, connectorId: string, shareId: string, label: string): Promise<void> {
  const bucket = await buckets.create(`warm-${label}`);
  const b = await call(server, 'POST', `/cloud_connectors/${connectorId}/cloud_buckets`, { name: bucket });
  const task = await call(server, 'POST', '/tasks', {
    name: `warm-up-${label}`, workflow_type: 'data_migration', workflow_action: 'copy',
    sources: [{ type: 'nas', storage_id: shareId, node_paths: ['/'] }], destinations: [{ type: 'cloud', storage_id: b.id, node_paths: ['/'] }],
  });
  const { e } = await runToEnd(server, task.id);
  if (e.status !== 'done') throw new Error(`the warm-up (${label}) ended ${e.status}`);
  await call(server, 'DELETE', `/cloud_buckets/${b.id}`, undefined, [204, 422]).catch(() => undefined);
  await buckets.remove(bucket);
}

interface Row {
  transport: Transport;
  movers: number;
  seconds: number;
  mibs: number;
  /** CPU ms per MiB moved. */
  moverMs: number;
  eachMoverMs: number[];
  gatewayMs: number;
  relayMs: number;
  controlMs: number;
  redisMs: number | undefined;
}

const perMiB = (seconds: number, mib: number): number => (seconds * 1000) / mib;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:scale-out needs root (ip netns, tc)');
  const s3 = s3EndpointFromEnv();
  const buckets = new BenchBuckets(s3);
  await buckets.check();
  if (settings.transports.includes('bullmq')) {
    await flushRedis(settings.redisUrl).catch((err: unknown) => {
      throw new Error(`BENCH_TRANSPORT=${transportSetting}: Redis at ${settings.redisUrl} is unreachable (${(err as Error).message})`);
    });
    track({ stop: () => flushRedis(settings.redisUrl).catch(() => undefined), kill: () => undefined });
  }
  const work = await workDir('barge-bench-scale-');
  const src = join(work, 'src');
  await makeLargeFiles(src, settings.files, settings.mb * MiB);
  const warm = join(work, 'warm');
  if (settings.warmup) await makeLargeFiles(warm, 4 * Math.max(...settings.movers), MiB);
  const teardown = network(Math.max(...settings.movers), settings.rate);
  track({ stop: async () => teardown(), kill: () => teardown() });
  const s3Url = new URL(s3.url);
  const relays = [await relay(S3_RELAY_PORT, s3Url.hostname, Number(s3Url.port || 80))];
  const redisPath = throughRelay(settings.redisUrl, REDIS_RELAY_PORT);
  if (settings.transports.includes('bullmq') && redisPath.target) relays.push(await relay(REDIS_RELAY_PORT, redisPath.target.host, redisPath.target.port));
  for (const r of relays) track({ stop: async () => void r.close(), kill: () => void r.close() });
  const dataDir = join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  const server: BargeChild = await startBarge({ dataDir, password: PASSWORD, env: { BARGE_ENGINE: 'off' } });
  await signIn(server, PASSWORD);
  const roleEnv = { BARGE_DATA_DIR: dataDir, BARGE_MOVER_SLOTS: '4' };
  const nas = await call(server, 'POST', '/nas', { name: 'bench', type: 'local' });
  const share = await call(server, 'POST', `/nas/${nas.id}/nas_shares`, { name: 'src', path: src });
  const warmShare = settings.warmup ? await call(server, 'POST', `/nas/${nas.id}/nas_shares`, { name: 'warm', path: warm }) : undefined;
  const conn = await call(server, 'POST', '/cloud_connectors', { name: 'rgw', provider: 'generic_s3', url: `http://${HOST_IP}:${S3_RELAY_PORT}`, access_key: s3.accessKey, secret_key: s3.secretKey, region: 'us-east-1' });
  const mib = settings.files * settings.mb;
  console.log(`# Scale-out: ${settings.files} × ${settings.mb} MiB NAS → S3 (RGW through ${HOST_IP}:${S3_RELAY_PORT}), movers in network namespaces at ${settings.rate} each, ` +
    `transport ${settings.transports.join(' then ')}${settings.checksum ? `, file_checksum ${settings.checksum}` : ''}; ${machineLine()}`);
  const rows: Row[] = [];
  for (const transport of settings.transports) {
    const transportEnv: Record<string, string> = transport === 'bullmq' ? { BARGE_REDIS_URL: settings.redisUrl } : {};
    const moverTransportEnv: Record<string, string> = transport === 'bullmq' ? { BARGE_REDIS_URL: redisPath.url } : {};
    if (transport === 'bullmq') await flushRedis(settings.redisUrl);
    const dispatcher = await startRole(['dispatcher'], { ...roleEnv, ...transportEnv });
    for (const n of settings.movers) {
      const label = `${transport}, ${n} mover(s)`;
      const bucket = await buckets.create(`${transport}-m${n}`);
      const b = await call(server, 'POST', `/cloud_connectors/${conn.id}/cloud_buckets`, { name: bucket });
      const movers: ChildProcess[] = [];
      for (let i = 1; i <= n; i++) movers.push(await startRole(['mover'], { ...roleEnv, ...moverTransportEnv, BARGE_MOVER_NAME: `${transport}-m${i}` }, namespaceOf(i)));
      if (warmShare !== undefined) await warmUp(server, buckets, conn.id, warmShare.id, `${transport}-${n}`);
      const task = await call(server, 'POST', '/tasks', {
        name: `scale-${transport}-${n}`, workflow_type: 'data_migration', workflow_action: 'copy',
        ...(settings.checksum ? { options: { file_checksum: settings.checksum } } : {}),
        sources: [{ type: 'nas', storage_id: share.id, node_paths: ['/'] }], destinations: [{ type: 'cloud', storage_id: b.id, node_paths: ['/'] }],
      });
      const groups: CpuGroup[] = [
        { name: 'movers', pids: movers.map((m) => m.pid as number) },
        { name: 'gateway', pids: [...pidsByName('radosgw'), ...pidsByName('ceph-osd')] },
        { name: 'relays', pids: [], self: true },
        { name: 'control', pids: [dispatcher.pid as number, server.pid] },
        { name: 'redis', pids: transport === 'bullmq' ? pidsByName('redis-server') : [] },
      ];
      const cpu = new CpuWindow(groups);
      const { e, ms: runMs } = await runToEnd(server, task.id);
      const used = new Map(cpu.end().map((g) => [g.name, g]));
      if (e.status !== 'done') throw new Error(`the run (${label}) ended ${e.status}: ${JSON.stringify(e).slice(0, 800)}`);
      const seconds = runMs / 1000;
      await buckets.checkCopy(label, bucket, { files: settings.files, bytes: settings.files * settings.mb * MiB, eachBytes: settings.mb * MiB });
      const ms = (name: string) => perMiB(used.get(name)?.seconds ?? Number.NaN, mib);
      const row: Row = {
        transport, movers: n, seconds, mibs: mib / seconds, moverMs: ms('movers'), eachMoverMs: (used.get('movers')?.each ?? []).map((x) => perMiB(x, mib)),
        gatewayMs: ms('gateway'), relayMs: ms('relays'), controlMs: ms('control'), redisMs: transport === 'bullmq' ? ms('redis') : undefined,
      };
      rows.push(row);
      console.log(`- ${label}: ${fmt(seconds, 1)} s, ${fmt(row.mibs, 1)} MiB/s, objects checked (movers: ${e.movers.join(', ')}); CPU ms per MiB: ` +
        `movers ${fmt(row.moverMs, 2)} (${row.eachMoverMs.map((x) => fmt(x, 2)).join(' + ')}), RGW ${fmt(row.gatewayMs, 2)}, relays ${fmt(row.relayMs, 2)}, ` +
        `dispatcher+API ${fmt(row.controlMs, 2)}${row.redisMs === undefined ? '' : `, redis ${fmt(row.redisMs, 2)}`}`);
      await Promise.all(movers.map(stopped));
      await call(server, 'DELETE', `/cloud_buckets/${b.id}`, undefined, [204, 422]).catch(() => undefined);
      await buckets.remove(bucket);
    }
    await stopped(dispatcher);
  }
  await server.stop();
  const head = ['transport', 'movers', 'seconds', 'MiB/s', 'vs 1 mover', 'target', 'mover CPU ms/MiB', 'RGW CPU ms/MiB', 'relay CPU ms/MiB'];
  const targets: Record<number, number> = { 2: 1.8, 4: 3.4 };
  const body = rows.map((r) => {
    const base = rows.find((x) => x.transport === r.transport && x.movers === 1)?.mibs;
    const ratio = base === undefined ? undefined : r.mibs / base;
    const target = targets[r.movers];
    return [r.transport, String(r.movers), fmt(r.seconds, 1), fmt(r.mibs, 1), ratio === undefined ? '' : `${fmt(ratio, 2)}×`,
      target !== undefined && ratio !== undefined ? `≥ ${target}× ${met(ratio >= target)}` : '', fmt(r.moverMs, 2), fmt(r.gatewayMs, 2), fmt(r.relayMs, 2)];
  });
  console.log(`\n${table(head, body)}\n\nMarkdown:\n${markdownTable(head, body)}`);
}

runBenchmark(main);
