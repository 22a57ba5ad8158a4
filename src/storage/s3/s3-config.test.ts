import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rejectsWithCode } from '../conformance/helpers.js';
import { StorageError } from '../errors.js';
import { createDriver, driverKinds } from '../registry.js';
import { parseS3Config } from './s3-config.js';

const BASE = { endpoint: 'http://127.0.0.1:7480', accessKeyId: 'AK', secretAccessKey: 'very-secret-value', bucket: 'my-bucket' };

function problems(config: unknown): string {
  try {
    parseS3Config(config);
  } catch (err) {
    assert.ok(err instanceof StorageError && err.code === 'invalid_argument', String(err));
    return err.message;
  }
  assert.fail('config was accepted');
}

describe('s3 config', () => {
  it('applies the documented defaults', () => {
    const { settings, credentials } = parseS3Config(BASE);
    assert.equal(settings.region, 'us-east-1');
    assert.equal(settings.forcePathStyle, true);
    assert.equal(settings.keyPrefix, '');
    assert.equal(settings.partSize, 16 << 20);
    assert.equal(settings.queueSize, 4);
    assert.equal(settings.maxAttempts, 5);
    assert.deepEqual(settings.storageClasses, ['STANDARD', 'STANDARD_IA', 'GLACIER']);
    assert.equal(settings.objectLock, false);
    assert.equal(settings.lockMode, 'GOVERNANCE');
    assert.equal(settings.restoreFromCold, false);
    assert.equal(settings.listPageSize, 1000);
    assert.equal(settings.listMetadata, true);
    assert.equal(settings.multipartCopyThreshold, 5 * 1024 ** 3);
    assert.equal(credentials.secretAccessKey, 'very-secret-value');
    assert.ok(!JSON.stringify(settings).includes('very-secret-value'), 'settings never hold the secret');
  });

  it('normalizes the prefix into a key prefix and refuses escapes', () => {
    assert.equal(parseS3Config({ ...BASE, prefix: '/a//b/' }).settings.keyPrefix, 'a/b/');
    assert.equal(parseS3Config({ ...BASE, prefix: '' }).settings.keyPrefix, '');
    assert.match(problems({ ...BASE, prefix: '../x' }), /prefix/);
  });

  it('lists every problem and never echoes the secret', () => {
    const msg = problems({
      endpoint: 'ftp://x', accessKeyId: '', secretAccessKey: 42, bucket: 'No_Such', partSize: 1024, queueSize: 0, maxAttempts: 99,
      storageClasses: ['standard'], lockMode: 'STRICT', listPageSize: 5000, objectLock: 'yes', bucketName: 'typo',
    });
    for (const part of ['endpoint', 'accessKeyId', 'secretAccessKey', 'bucket', 'partSize', 'queueSize', 'maxAttempts', 'storageClasses', 'lockMode', 'listPageSize', 'objectLock', '"bucketName"']) {
      assert.ok(msg.includes(part), `${part} in: ${msg}`);
    }
    const withSecret = problems({ ...BASE, secretAccessKey: 'hunter2-secret', partSize: -1 });
    assert.ok(!withSecret.includes('hunter2-secret'), withSecret);
    assert.match(problems({ ...BASE, endpoint: 'http://user:pw@host' }), /must not embed credentials/);
    assert.match(problems('nope'), /must be an object/);
  });

  it('is registered as kind s3 and validated by the registry factory', async () => {
    assert.ok(driverKinds().includes('s3'));
    await rejectsWithCode(() => createDriver('s3', { bucket: 'x' }), 'invalid_argument', 'incomplete config');
    const d = await createDriver('s3', { ...BASE, objectLock: true, storageClasses: ['STANDARD'] });
    assert.equal(d.kind, 's3');
    assert.equal(d.features.objectLock, true);
    assert.deepEqual(d.features.storageClasses, ['STANDARD']);
    assert.equal(d.restore, undefined, 'restore exists only with restoreFromCold');
    await d.close();
    const cold = await createDriver('s3', { ...BASE, restoreFromCold: true });
    assert.equal(typeof cold.restore, 'function');
    await cold.close();
  });
});
