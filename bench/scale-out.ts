/**
 * Benchmark: does adding movers add bandwidth? Movers (`barge mover`) run in network namespaces — one
 * per "host", each behind a veth pair whose egress is limited to 200 Mbit/s by `tc tbf` (each host's
 * NIC) — and copy 2 GiB in 16 MiB files from a NAS share to the local RGW, with 1, 2 and 4 movers.
 * The API (engine off) and a `barge dispatcher` run in the root namespace on one SQLite store (the
 * namespaces share the file system); RGW is reached through a TCP relay on the bridge's address.
 * Targets: ≥ 1.8× the one-mover rate with 2 movers, ≥ 3.4× with 4.
 *
 *   sudo npm run bench:scale-out      (= node --import tsx bench/scale-out.ts; needs root for `ip netns`)
 *
 * Environment: BENCH_SCALE_FILES (default 128), BENCH_SCALE_MB (MiB per file, default 16),
 * BENCH_SCALE_RATE (per mover, default 200mbit), BENCH_SCALE_MOVERS (default 1,2,4), BENCH_S3_URL,
 * BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY (default: the RGW of scripts/s3-rgw-up.sh). Namespaces,
 * links, buckets and processes are removed at the end, also on Ctrl-C. It exits 0 once measured.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { startBarge, type BargeChild } from './lib/barge-main.js';
import { call, signIn } from './lib/barge-copy.js';
import { makeLargeFiles } from './lib/trees.js';
import { BenchBuckets, s3EndpointFromEnv } from './lib/s3-endpoint.js';
import { envNumber, fmt, machineLine, met, MiB, runBenchmark, track, workDir } from './lib/session.js';
import { table, markdownTable } from './lib/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'bench-admin-password';
const BRIDGE = 'brg-bench';
const HOST_IP = '10.77.0.1';
const RELAY_PORT = 7481;

const settings = {
  files: Math.round(envNumber('BENCH_SCALE_FILES', 128, 1)),
  mb: Math.round(envNumber('BENCH_SCALE_MB', 16, 1)),
  rate: process.env.BENCH_SCALE_RATE || '200mbit',
  movers: (process.env.BENCH_SCALE_MOVERS || '1,2,4').split(',').map(Number).filter((n) => n > 0),
};

function sh(cmd: string, args: string[], allowFail = false): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** The "hosts": a bridge in the root namespace, and per mover a namespace wired to it through a rate-limited veth pair. */
function network(count: number): () => void {
  const teardown = () => {
    for (let i = 1; i <= count; i++) sh('ip', ['netns', 'del', `barge-m${i}`], true);
    sh('ip', ['link', 'del', BRIDGE], true);
  };
  teardown();
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  for (let i = 1; i <= count; i++) {
    const ns = `barge-m${i}`;
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', `bm${i}h`, 'type', 'veth', 'peer', 'name', `bm${i}n`]);
    sh('ip', ['link', 'set', `bm${i}h`, 'master', BRIDGE]);
    sh('ip', ['link', 'set', `bm${i}h`, 'up']);
    sh('ip', ['link', 'set', `bm${i}n`, 'netns', ns]);
    sh('ip', ['-n', ns, 'addr', 'add', `10.77.0.${10 + i}/24`, 'dev', `bm${i}n`]);
    sh('ip', ['-n', ns, 'link', 'set', `bm${i}n`, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', HOST_IP]);
    // The host's NIC: what leaves the namespace (the uploads) at most `rate`.
    sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', `bm${i}n`, 'root', 'tbf', 'rate', settings.rate, 'burst', '256kb', 'latency', '50ms']);
  }
  return teardown;
}

/** A TCP relay from the bridge's address to RGW on loopback (RGW listens on 127.0.0.1 only). */
async function relay(target: URL): Promise<Server> {
  const server = createServer((c) => {
    const up = connect(Number(target.port || 80), target.hostname);
    c.pipe(up).pipe(c);
    const close = () => { c.destroy(); up.destroy(); };
    c.on('error', close);
    up.on('error', close);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(RELAY_PORT, HOST_IP, () => resolve()));
  return server;
}

function startRole(args: string[], env: Record<string, string>, ns?: string): Promise<ChildProcess> {
  const cmd = ns ? 'ip' : process.execPath;
  const argv = ns ? ['netns', 'exec', ns, process.execPath, join(ROOT, 'bin', 'barge.js'), ...args] : [join(ROOT, 'bin', 'barge.js'), ...args];
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

const stopped = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:scale-out needs root (ip netns, tc)');
  const s3 = s3EndpointFromEnv();
  const buckets = new BenchBuckets(s3);
  await buckets.check();
  const work = await workDir('barge-bench-scale-');
  const src = join(work, 'src');
  await makeLargeFiles(src, settings.files, settings.mb * MiB);
  const teardown = network(Math.max(...settings.movers));
  track({ stop: async () => teardown(), kill: () => teardown() });
  const relayServer = await relay(new URL(s3.url));
  track({ stop: async () => void relayServer.close(), kill: () => void relayServer.close() });
  const dataDir = join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  const server: BargeChild = await startBarge({ dataDir, password: PASSWORD, env: { BARGE_ENGINE: 'off' } });
  await signIn(server, PASSWORD);
  const roleEnv = { BARGE_DATA_DIR: dataDir, BARGE_MOVER_SLOTS: '4' };
  const dispatcher = await startRole(['dispatcher'], roleEnv);
  const nas = await call(server, 'POST', '/nas', { name: 'bench', type: 'local' });
  const share = await call(server, 'POST', `/nas/${nas.id}/nas_shares`, { name: 'src', path: src });
  const conn = await call(server, 'POST', '/cloud_connectors', { name: 'rgw', provider: 'generic_s3', url: `http://${HOST_IP}:${RELAY_PORT}`, access_key: s3.accessKey, secret_key: s3.secretKey, region: 'us-east-1' });
  console.log(`# Scale-out: ${settings.files} × ${settings.mb} MiB NAS → S3 (RGW through ${HOST_IP}:${RELAY_PORT}), movers in network namespaces at ${settings.rate} each; ${machineLine()}`);
  const rows: Array<{ movers: number; seconds: number; mibs: number }> = [];
  for (const n of settings.movers) {
    const bucket = await buckets.create(`m${n}`);
    const b = await call(server, 'POST', `/cloud_connectors/${conn.id}/cloud_buckets`, { name: bucket });
    const movers: ChildProcess[] = [];
    for (let i = 1; i <= n; i++) movers.push(await startRole(['mover'], { ...roleEnv, BARGE_MOVER_NAME: `m${i}` }, `barge-m${i}`));
    const task = await call(server, 'POST', '/tasks', {
      name: `scale-${n}`, workflow_type: 'data_migration', workflow_action: 'copy',
      sources: [{ type: 'nas', storage_id: share.id, node_paths: ['/'] }], destinations: [{ type: 'cloud', storage_id: b.id, node_paths: ['/'] }],
    });
    const t0 = Date.now();
    const { execution_id: id } = await call(server, 'PUT', `/tasks/${task.id}/action/run`);
    let e;
    for (;;) {
      e = await call(server, 'GET', `/task_executions/${id}`);
      if (e.finished_at) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (e.status !== 'done') throw new Error(`the run with ${n} mover(s) ended ${e.status}: ${JSON.stringify(e).slice(0, 800)}`);
    const seconds = (Date.parse(e.finished_at) - t0) / 1000;
    await buckets.checkCopy(`${n} mover(s)`, bucket, { files: settings.files, bytes: settings.files * settings.mb * MiB });
    rows.push({ movers: n, seconds, mibs: (settings.files * settings.mb) / seconds });
    console.log(`- ${n} mover(s): ${fmt(seconds, 1)} s, ${fmt((settings.files * settings.mb) / seconds, 1)} MiB/s (movers: ${e.movers.join(', ')})`);
    await Promise.all(movers.map(stopped));
    await call(server, 'DELETE', `/cloud_buckets/${b.id}`, undefined, [204, 422]).catch(() => undefined);
    await buckets.remove(bucket);
  }
  await stopped(dispatcher);
  await server.stop();
  const base = rows[0]!.mibs;
  const head = ['movers', 'seconds', 'MiB/s', 'vs 1 mover', 'target'];
  const targets: Record<number, number> = { 2: 1.8, 4: 3.4 };
  const body = rows.map((r) => [String(r.movers), fmt(r.seconds, 1), fmt(r.mibs, 1), `${fmt(r.mibs / base, 2)}×`, targets[r.movers] ? `≥ ${targets[r.movers]}× ${met(r.mibs / base >= targets[r.movers]!)}` : '']);
  console.log(`\n${table(head, body)}\n\nMarkdown:\n${markdownTable(head, body)}`);
}

runBenchmark(main);
