import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has safe defaults: loopback, 8080, ./data, SQLite, no admin password, CORS off', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, resolve('./data'));
    assert.deepEqual(c.database, { kind: 'sqlite', file: resolve('./data/barge.sqlite') });
    assert.equal(c.adminPassword, undefined);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.copyWorkers, 4);
    assert.equal(c.copyNice, 0);
    assert.equal(c.posixSyncfs, true);
    assert.ok(Object.isFrozen(c));
  });

  it('BARGE_POSIX_SYNCFS turns the group commit of small posix copies off, and refuses anything but on/off', () => {
    assert.equal(loadConfig({ BARGE_POSIX_SYNCFS: 'off' }).posixSyncfs, false);
    assert.equal(loadConfig({ BARGE_POSIX_SYNCFS: '0' }).posixSyncfs, false);
    assert.equal(loadConfig({ BARGE_POSIX_SYNCFS: 'on' }).posixSyncfs, true);
    assert.throws(() => loadConfig({ BARGE_POSIX_SYNCFS: 'sometimes' }), (err: unknown) => err instanceof ConfigError && /BARGE_POSIX_SYNCFS/.test(err.message));
  });

  it('BARGE_NATIVE_COPY is on by default, turns off, and refuses anything but on/off', () => {
    assert.equal(loadConfig({}).nativeCopy, true);
    assert.equal(loadConfig({ BARGE_NATIVE_COPY: 'off' }).nativeCopy, false);
    assert.equal(loadConfig({ BARGE_NATIVE_COPY: '0' }).nativeCopy, false);
    assert.throws(() => loadConfig({ BARGE_NATIVE_COPY: 'fast' }), (err: unknown) => err instanceof ConfigError && /BARGE_NATIVE_COPY/.test(err.message));
  });

  it('BARGE_METRICS is on by default, turns off, and refuses anything but on/off', () => {
    assert.equal(loadConfig({}).metrics, true);
    assert.equal(loadConfig({ BARGE_METRICS: 'off' }).metrics, false);
    assert.throws(() => loadConfig({ BARGE_METRICS: 'maybe' }), (err: unknown) => err instanceof ConfigError && /BARGE_METRICS/.test(err.message));
  });

  it('reads PORT when BARGE_PORT is unset, and a postgres URL switches the store', () => {
    assert.equal(loadConfig({ PORT: '9000' }).port, 9000);
    assert.equal(loadConfig({ PORT: '9000', BARGE_PORT: '9001' }).port, 9001);
    assert.deepEqual(loadConfig({ BARGE_DATABASE_URL: 'postgres://u@h/db' }).database, { kind: 'postgres', url: 'postgres://u@h/db' });
  });

  it('the scale-out variables: mover name, storages, drain, lease, Redis, secret key — validated, secrets never echoed', () => {
    const d = loadConfig({});
    assert.deepEqual([d.moverName, d.moverStorages, d.moverDrainSeconds, d.leaseSeconds, d.redisUrl, d.redisPrefix, d.secretKey], [undefined, '*', 60, 30, undefined, 'barge', undefined]);
    const key = Buffer.alloc(32, 7).toString('base64url');
    const c = loadConfig({
      BARGE_MOVER_NAME: 'mover-a', BARGE_MOVER_STORAGES: 'src, dst', BARGE_MOVER_DRAIN_SECONDS: '5', BARGE_LEASE_SECONDS: '3',
      BARGE_REDIS_URL: 'rediss://:pw@redis.example:6380/2', BARGE_REDIS_PREFIX: 'site-a', BARGE_SECRET_KEY: key,
    });
    assert.deepEqual([c.moverName, c.moverStorages, c.moverDrainSeconds, c.leaseSeconds, c.redisUrl, c.redisPrefix], ['mover-a', ['src', 'dst'], 5, 3, 'rediss://:pw@redis.example:6380/2', 'site-a']);
    assert.deepEqual(c.secretKey, Buffer.alloc(32, 7));
    assert.equal(loadConfig({ BARGE_MOVER_STORAGES: 'src,*' }).moverStorages, '*');
    assert.throws(() => loadConfig({ BARGE_REDIS_URL: 'http://:hunter2@redis', BARGE_SECRET_KEY: 'c2hvcnQ', BARGE_MOVER_NAME: 'a b', BARGE_LEASE_SECONDS: '1' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of ['BARGE_REDIS_URL', 'BARGE_SECRET_KEY', 'BARGE_MOVER_NAME', 'BARGE_LEASE_SECONDS']) assert.match(err.message, new RegExp(name));
      assert.ok(!err.message.includes('hunter2') && !err.message.includes('c2hvcnQ'), 'no secret in the message');
      return true;
    });
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ BARGE_PORT: 'eighty', BARGE_DATABASE_URL: 'mysql://x', BARGE_ADMIN_PASSWORD: 'short', BARGE_LOG_LEVEL: 'loud', BARGE_JWT_SECRET: 'tiny', BARGE_COPY_WORKERS: '0', BARGE_COPY_NICE: '20' });
      assert.fail('expected ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 7, err.message);
      for (const name of ['BARGE_PORT', 'BARGE_DATABASE_URL', 'BARGE_ADMIN_PASSWORD', 'BARGE_LOG_LEVEL', 'BARGE_JWT_SECRET', 'BARGE_COPY_WORKERS', 'BARGE_COPY_NICE']) assert.match(err.message, new RegExp(name));
    }
  });
});
