import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressBytes, addressProblem, guardedLookup, hostListed, refusedRange, webhookTargetProblem, type AllowList, type ResolveAll } from './webhook-target.js';

const NONE: AllowList = { hosts: [], networks: [] };
const allow = (hosts: string[], networks: Array<[string, number]> = []): AllowList => ({ hosts, networks: networks.map(([address, prefix]) => ({ address, prefix })) });

describe('webhook targets: address ranges', () => {
  it('parses IPv4, IPv6 (compressed, with an IPv4 tail, a zone, brackets) to bytes', () => {
    assert.deepEqual([...addressBytes('10.1.2.3')!], [10, 1, 2, 3]);
    assert.deepEqual([...addressBytes('::1')!], [...Array(15).fill(0), 1]);
    assert.deepEqual([...addressBytes('[fe80::1%eth0]')!], [0xfe, 0x80, ...Array(13).fill(0), 1]);
    assert.deepEqual([...addressBytes('::ffff:127.0.0.1')!], [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]);
    assert.deepEqual([...addressBytes('2001:db8:0:0:1::2')!], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
    assert.equal(addressBytes('example.com'), undefined);
    assert.equal(addressBytes('1.2.3.256'), undefined);
  });

  it('refuses private, loopback, link-local, unique-local and other non-public IPv4 and IPv6 ranges', () => {
    const refused: Record<string, RegExp> = {
      '127.0.0.1': /loopback/, '127.255.255.254': /loopback/, '10.0.0.1': /private/, '172.16.0.1': /private/, '172.31.255.255': /private/,
      '192.168.1.1': /private/, '169.254.169.254': /link-local/, '100.64.0.1': /carrier-grade/, '0.0.0.0': /unspecified/, '224.0.0.1': /multicast/,
      '255.255.255.255': /reserved/, '::1': /loopback/, '::': /unspecified/, 'fe80::1': /link-local/, 'fc00::1': /unique-local/, 'fd12:3456::1': /unique-local/,
      'ff02::1': /multicast/, '::127.0.0.1': /IPv4-compatible/,
    };
    for (const [a, what] of Object.entries(refused)) assert.match(refusedRange(a) ?? 'public', what, a);
    for (const a of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '2606:4700::1111']) {
      assert.equal(refusedRange(a), undefined, a);
    }
  });

  it('sees IPv4 inside IPv6: mapped, NAT64 and 6to4 forms of refused addresses are refused', () => {
    assert.match(refusedRange('::ffff:127.0.0.1')!, /loopback/);
    assert.match(refusedRange('::ffff:7f00:1')!, /loopback/);
    assert.match(refusedRange('::ffff:10.0.0.5')!, /private/);
    assert.match(refusedRange('::ffff:169.254.169.254')!, /link-local/);
    assert.match(refusedRange('64:ff9b::192.168.0.1')!, /private/);
    assert.match(refusedRange('2002:7f00:1::')!, /loopback/);
    assert.equal(refusedRange('::ffff:8.8.8.8'), undefined);
    assert.equal(refusedRange('64:ff9b::8.8.8.8'), undefined);
  });

  it('the allow-list opens networks (IPv4, IPv6, an IPv4 network for its mapped form too) and hosts (exact or *.suffix)', () => {
    const a = allow(['hooks.corp.example', '*.lab.example'], [['10.0.0.0', 8], ['fd00::', 8], ['127.0.0.1', 32], ['::ffff:192.168.0.0', 112]]);
    assert.equal(addressProblem('10.9.9.9', '10.9.9.9', a), undefined);
    assert.equal(addressProblem('::ffff:10.9.9.9', 'x', a), undefined, 'mapped form of a listed IPv4 network');
    assert.equal(addressProblem('fd00::7', 'x', a), undefined);
    assert.equal(addressProblem('127.0.0.1', 'x', a), undefined);
    assert.equal(addressProblem('192.168.3.4', 'x', a), undefined, 'a network written as mapped IPv6 is its IPv4 network');
    assert.match(addressProblem('127.0.0.2', 'x', a)!, /loopback.*BARGE_WEBHOOK_ALLOW/);
    assert.match(addressProblem('fe80::1', 'x', a)!, /link-local/);
    assert.match(addressProblem('172.16.0.1', 'svc.internal', a)!, /^svc\.internal resolves to a private address; webhooks may call it only when BARGE_WEBHOOK_ALLOW lists it$/);
    assert.equal(addressProblem('172.16.0.1', 'hooks.corp.example', a), undefined, 'a listed host may resolve anywhere');
    assert.equal(addressProblem('172.16.0.1', 'HOOKS.corp.example.', a), undefined, 'case and trailing dot');
    assert.equal(hostListed('a.b.lab.example', a), true);
    assert.equal(hostListed('lab.example', a), false, '*.suffix is the names under it');
    assert.equal(hostListed('evillab.example', a), false);
    assert.equal(addressProblem('8.8.8.8', 'dns.google', NONE), undefined, 'public addresses need no entry');
  });
});

describe('webhook targets: URLs at create/update', () => {
  it('refuses what is wrong before any lookup, and names why', () => {
    assert.equal(webhookTargetProblem('https://hooks.example.com/x?y=1', NONE), undefined);
    assert.equal(webhookTargetProblem('http://hooks.example.com:8080/', NONE), undefined);
    assert.match(webhookTargetProblem('not a url', NONE)!, /not a valid URL/);
    assert.match(webhookTargetProblem('ftp://h/x', NONE)!, /http/);
    assert.match(webhookTargetProblem('https://u:p@hooks.example.com/', NONE)!, /user name or password/);
    assert.match(webhookTargetProblem('http://127.0.0.1:9000/', NONE)!, /127\.0\.0\.1 is a loopback address/);
    assert.match(webhookTargetProblem('http://2130706433/', NONE)!, /loopback/, 'the URL parser normalizes a decimal IPv4');
    assert.match(webhookTargetProblem('http://[::ffff:127.0.0.1]/', NONE)!, /loopback/);
    assert.match(webhookTargetProblem('http://[fd00::1]/', NONE)!, /unique-local/);
    assert.match(webhookTargetProblem('http://localhost:3000/', NONE)!, /this machine/);
    assert.match(webhookTargetProblem('http://api.localhost/', NONE)!, /this machine/);
    assert.equal(webhookTargetProblem('http://127.0.0.1:9000/', allow([], [['127.0.0.1', 32]])), undefined);
    assert.equal(webhookTargetProblem('http://localhost/', allow(['localhost'])), undefined);
  });
});

describe('webhook targets: the lookup a delivery connects through', () => {
  const fake = (table: Record<string, string[]>): ResolveAll => (host, _family, cb) => {
    const list = table[host];
    if (!list) return cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    cb(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const call = (lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean) =>
    new Promise<{ err: (Error & { code?: string }) | null; address: unknown; family?: number }>((resolve) =>
      (lookup as any)(host, { all }, (err: Error | null, address: unknown, family?: number) => resolve({ err, address, family })));
  const dns = fake({ 'public.example': ['93.184.216.34', '2606:2800:220:1::1'], 'rebind.example': ['93.184.216.34', '127.0.0.1'], 'mapped.example': ['::ffff:10.0.0.1'], 'hooks.corp': ['10.1.1.1'] });

  it('hands the socket exactly the addresses it checked (one, or all for autoSelectFamily)', async () => {
    const lookup = guardedLookup(NONE, dns);
    const one = await call(lookup, 'public.example', false);
    assert.equal(one.err, null);
    assert.deepEqual([one.address, one.family], ['93.184.216.34', 4]);
    const all = await call(lookup, 'public.example', true);
    assert.deepEqual(all.address, [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]);
  });

  it('refuses a name when any address it resolves to is refused (DNS rebinding, mapped forms), unless listed', async () => {
    const lookup = guardedLookup(NONE, dns);
    const rebind = await call(lookup, 'rebind.example', true);
    assert.equal(rebind.err?.code, 'EWEBHOOKREFUSED');
    assert.match(rebind.err!.message, /rebind\.example resolves to a loopback address/);
    assert.equal((await call(lookup, 'mapped.example', false)).err?.code, 'EWEBHOOKREFUSED');
    assert.equal((await call(lookup, 'nowhere.example', false)).err?.code, 'ENOTFOUND', 'a resolution error stays one');
    const listed = await call(guardedLookup(allow(['hooks.corp']), dns), 'hooks.corp', false);
    assert.deepEqual([listed.err, listed.address], [null, '10.1.1.1']);
    const byNetwork = await call(guardedLookup(allow([], [['10.0.0.0', 8]]), dns), 'mapped.example', false);
    assert.equal(byNetwork.err, null, 'mapped address opened by its IPv4 network');
  });
});
