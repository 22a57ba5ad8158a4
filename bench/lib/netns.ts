/**
 * The "hosts" of the scale-out benchmark (bench/scale-out.ts): a bridge in the root namespace and, per
 * mover, a network namespace wired to it through a veth pair whose egress `tc tbf` limits (each host's
 * NIC), plus TCP relays from the bridge's address to services that listen on loopback only (RGW, Redis,
 * PostgreSQL): a namespace's 127.0.0.1 is its own, so movers reach those through the relays.
 *
 * Why relays rather than DNAT to 127.0.0.1: that needs `route_localnet` and firewall rules on a machine
 * other work shares; a relay lives and dies with the benchmark. Its CPU (the benchmark process) is
 * reported apart, so it is not mistaken for Barge's.
 */
import { spawnSync } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';

/** Name of the bridge and address of the root namespace on it. */
export const BRIDGE = 'brg-bench';
export const HOST_IP = '10.77.0.1';

function sh(cmd: string, args: string[], allowFail = false): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** Namespace of mover `i` (1-based). */
export const namespaceOf = (i: number): string => `barge-m${i}`;

/** Builds the bridge and `count` rate-limited namespaces; returns their teardown (idempotent). */
export function network(count: number, rate: string): () => void {
  const teardown = () => {
    for (let i = 1; i <= count; i++) sh('ip', ['netns', 'del', namespaceOf(i)], true);
    sh('ip', ['link', 'del', BRIDGE], true);
  };
  teardown();
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  for (let i = 1; i <= count; i++) {
    const ns = namespaceOf(i);
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
    sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', `bm${i}n`, 'root', 'tbf', 'rate', rate, 'burst', '256kb', 'latency', '50ms']);
  }
  return teardown;
}

/** A TCP relay from `HOST_IP:port` to `host:targetPort` (a service listening on loopback only). */
export async function relay(port: number, host: string, targetPort: number): Promise<Server> {
  const server = createServer((c) => {
    const up = connect(targetPort, host);
    c.pipe(up).pipe(c);
    const close = () => { c.destroy(); up.destroy(); };
    c.on('error', close);
    up.on('error', close);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, HOST_IP, () => resolve()));
  return server;
}

/**
 * `url` as the namespaces reach it: through a relay on `HOST_IP:relayPort` when it names a loopback
 * host (returned with the relay to start), unchanged otherwise.
 */
export function throughRelay(url: string, relayPort: number): { url: string; target?: { host: string; port: number } } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') return { url };
  const defaults: Record<string, number> = { 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432, 'http:': 80, 'https:': 443 };
  const port = u.port === '' ? (defaults[u.protocol] ?? 80) : Number(u.port);
  u.hostname = HOST_IP;
  u.port = String(relayPort);
  return { url: u.toString(), target: { host, port } };
}
