import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebhookAllow } from './webhook-allow.js';
import { ConfigError, loadConfig } from './config.js';

describe('BARGE_WEBHOOK_ALLOW', () => {
  it('reads hosts, *.suffixes, addresses and CIDR networks (IPv4, IPv6, bracketed)', () => {
    const problems: string[] = [];
    const a = parseWebhookAllow(' hooks.Corp.example. , *.lab.example,10.0.0.0/8, 127.0.0.1, [::1], fd00::/8 ,', problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(a.hosts, ['hooks.corp.example', '*.lab.example']);
    assert.deepEqual(a.networks, [{ address: '10.0.0.0', prefix: 8 }, { address: '127.0.0.1', prefix: 32 }, { address: '::1', prefix: 128 }, { address: 'fd00::', prefix: 8 }]);
    assert.deepEqual(parseWebhookAllow(undefined, problems), { hosts: [], networks: [] });
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.hosts));
  });

  it('lists every bad entry at boot', () => {
    assert.throws(() => loadConfig({ BARGE_WEBHOOK_ALLOW: '10.0.0.0/33,fd00::/129,host:8080,bad_/8,-x.example,1.2.3.4/8/1' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const e of ['10.0.0.0/33', 'fd00::/129', 'host:8080', 'bad_/8', '-x.example', '1.2.3.4/8/1']) assert.ok(err.problems.some((p) => p.includes(JSON.stringify(e))), e);
      return true;
    });
  });

  it('the delivery settings: defaults (10 s backoff base, 10 s timeout, 24 h of retries) and bounds', () => {
    const d = loadConfig({});
    assert.deepEqual([d.webhookBackoffMs, d.webhookTimeoutSeconds, d.webhookRetrySeconds, d.webhookAllow.networks.length], [10_000, 10, 86_400, 0]);
    const c = loadConfig({ BARGE_WEBHOOK_BACKOFF_MS: '50', BARGE_WEBHOOK_TIMEOUT_SECONDS: '2', BARGE_WEBHOOK_RETRY_SECONDS: '60' });
    assert.deepEqual([c.webhookBackoffMs, c.webhookTimeoutSeconds, c.webhookRetrySeconds], [50, 2, 60]);
    assert.throws(() => loadConfig({ BARGE_WEBHOOK_BACKOFF_MS: '0' }), /BARGE_WEBHOOK_BACKOFF_MS/);
  });
});
