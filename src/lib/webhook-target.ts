/**
 * Where a webhook may go. Why: a task owner chooses the URL, and Barge runs inside a network; without
 * a check anyone who may create a task could make Barge call internal services (SSRF). Addresses in
 * private, loopback, link-local, unique-local and other non-public ranges are refused unless the
 * operator lists them (BARGE_WEBHOOK_ALLOW, parsed by config/webhook-allow.ts): IPv4 and IPv6,
 * including IPv4 written inside IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
 *
 * Checked twice: when a callback is created or updated (`webhookTargetProblem`: a literal address or
 * a name refused outright, so the owner hears of it at once) and at every delivery on the addresses
 * the name resolves to (`guardedLookup`): the connection goes to exactly the addresses checked, so a
 * name that resolves to a public address at creation and to 127.0.0.1 later (DNS rebinding) is refused.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** The operator's exceptions (same shape as config's WebhookAllowList). */
export interface AllowList {
  readonly hosts: readonly string[];
  readonly networks: ReadonlyArray<{ readonly address: string; readonly prefix: number }>;
}

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
type Bytes = Uint8Array;

/** The bytes of an IPv4 or IPv6 address (zone id dropped), or undefined when it is not one. */
export function addressBytes(address: string): Bytes | undefined {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(a);
  if (family === 4) return Uint8Array.from(a.split('.').map(Number));
  if (family !== 6) return undefined;
  let text = a.toLowerCase();
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = dotted[1] as string;
    const [p, q, r, s] = v4.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4.length) + `${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  for (const g of groups) {
    const n = parseInt(g, 16);
    tail.push(n >> 8, n & 0xff);
  }
  return Uint8Array.from(tail);
}

function inNetwork(addr: Bytes, net: Bytes, prefix: number): boolean {
  if (addr.length !== net.length) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((addr[bit / 8] as number) & mask) !== ((net[bit / 8] as number) & mask)) return false;
  }
  return true;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
function mappedIpv4(a: Bytes): Bytes | undefined {
  return a.length === 16 && a.slice(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff ? a.slice(12) : undefined;
}

/** IPv4 held inside an IPv6 address (mapped, NAT64, 6to4), as its 4 bytes. */
function embeddedIpv4(a: Bytes): Bytes | undefined {
  if (a.length !== 16) return undefined;
  const zeros = (from: number, to: number) => a.slice(from, to).every((b) => b === 0);
  const mapped = mappedIpv4(a);
  if (mapped) return mapped;
  if (a[0] === 0x00 && a[1] === 0x64 && a[2] === 0xff && a[3] === 0x9b && zeros(4, 12)) return a.slice(12); // 64:ff9b::/96
  if (a[0] === 0x20 && a[1] === 0x02) return a.slice(2, 6); // 2002:AABB:CCDD::/16
  return undefined;
}

/** The ranges refused unless listed, with the words a refusal uses. */
const REFUSED: ReadonlyArray<{ net: Bytes; prefix: number; what: string }> = [
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['10.0.0.0/8', 'a private address'],
  ['100.64.0.0/10', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.0.0.0/24', 'a reserved (IETF protocol) address'],
  ['192.168.0.0/16', 'a private address'],
  ['198.18.0.0/15', 'a reserved (benchmarking) address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved address'],
  ['::/128', 'an unspecified address'],
  ['::1/128', 'a loopback address'],
  ['::/96', 'a reserved (IPv4-compatible) address'],
  ['100::/64', 'a discard-only address'],
  ['fc00::/7', 'a unique-local address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a site-local address'],
  ['ff00::/8', 'a multicast address'],
].map(([cidr, what]) => {
  const [addr, prefix] = (cidr as string).split('/');
  return { net: addressBytes(addr as string) as Bytes, prefix: Number(prefix), what: what as string };
});

/** Which refused range `address` is in (`"a loopback address"`), or undefined for a public one. */
export function refusedRange(address: string): string | undefined {
  const a = addressBytes(address);
  if (!a) return 'not an IP address';
  const v4 = embeddedIpv4(a);
  for (const candidate of v4 ? [a, v4] : [a]) {
    const hit = REFUSED.find((r) => inNetwork(candidate, r.net, r.prefix));
    if (hit) return hit.what;
  }
  return undefined;
}

/**
 * Whether an allow-list network holds `address`. An IPv4 network also holds the IPv4-mapped IPv6
 * form of its addresses (the same host); NAT64 and 6to4 addresses are opened by their IPv6 network.
 */
function networkAllows(address: string, allow: AllowList): boolean {
  const a = addressBytes(address);
  if (!a) return false;
  const mapped = mappedIpv4(a);
  const forms = mapped ? [a, mapped] : [a];
  return allow.networks.some((n) => {
    let net = addressBytes(n.address);
    let prefix = n.prefix;
    // A network written as IPv4-mapped IPv6 (::ffff:10.0.0.0/104) is the IPv4 network it maps.
    const mapped = net && prefix >= 96 ? mappedIpv4(net) : undefined;
    if (mapped) {
      net = mapped;
      prefix -= 96;
    }
    return net !== undefined && forms.some((f) => inNetwork(f, net as Bytes, prefix));
  });
}

/** Whether the operator listed this host name (exactly, or under a `*.suffix`). */
export function hostListed(host: string, allow: AllowList): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allow.hosts.some((e) => (e.startsWith('*.') ? h.endsWith(e.slice(1)) : h === e));
}

/**
 * Why Barge may not connect to `address` for `host`, or undefined when it may: a listed host may
 * resolve anywhere; otherwise a refused range must be opened by a listed network. For a name the
 * sentence leaves the address out: it is shown to the callback's owner, who should not learn how
 * internal names resolve.
 */
export function addressProblem(address: string, host: string, allow: AllowList): string | undefined {
  if (hostListed(host, allow)) return undefined;
  const range = refusedRange(address);
  if (range === undefined || networkAllows(address, allow)) return undefined;
  const what = host === address ? `${address} is` : `${host} resolves to`;
  return `${what} ${range}; webhooks may call it only when BARGE_WEBHOOK_ALLOW lists it`;
}

/** Names that are this machine whatever DNS says. */
function localName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * What is wrong with a webhook URL before any DNS lookup, or undefined: not an http(s) URL,
 * credentials in it (the secret is the way to authenticate), a literal address in a refused range,
 * or `localhost` — each unless listed. For callbacks' create/update (a 422 on `url` with this
 * sentence) and again at each delivery. A host name that is fine here is checked on its resolved
 * addresses when delivering (guardedLookup).
 */
export function webhookTargetProblem(url: string, allow: AllowList): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (u.username !== '' || u.password !== '') return 'must not carry a user name or password (the webhook secret signs each delivery)';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') return 'has no host';
  if (isIP(host) !== 0) return addressProblem(host, host, allow);
  if (localName(host) && !hostListed(host, allow)) return `${host} is this machine; webhooks may call it only when BARGE_WEBHOOK_ALLOW lists it`;
  return undefined;
}

/** The error a refused address raises in a connection attempt (`code` tells it from network errors). */
export class WebhookTargetRefused extends Error {
  readonly code = 'EWEBHOOKREFUSED';
}

/** Resolves every address of a name (dns.lookup with all: true), injectable for tests. */
export type ResolveAll = (host: string, family: number, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: ResolveAll = (host, family, cb) => dnsLookup(host, { all: true, family: family === 4 || family === 6 ? family : 0 }, cb);

/**
 * A `lookup` for http(s).request / net.connect that resolves the name, refuses it when any of its
 * addresses is refused (WebhookTargetRefused), and hands the socket exactly the addresses it checked.
 * Why any, not some: a name resolving to a public and a private address must not reach the private
 * one when the public one fails to connect.
 */
export function guardedLookup(allow: AllowList, resolve: ResolveAll = systemResolve): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    const family = typeof options?.family === 'number' ? options.family : options?.family === 'IPv6' ? 6 : options?.family === 'IPv4' ? 4 : 0;
    resolve(hostname, family, (err, addresses) => {
      if (err) return callback(err, '', 4);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
      for (const a of addresses) {
        const problem = addressProblem(a.address, hostname, allow);
        if (problem) return callback(new WebhookTargetRefused(problem), '', 4);
      }
      if (options?.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  }) as unknown as LookupFunction;
}
