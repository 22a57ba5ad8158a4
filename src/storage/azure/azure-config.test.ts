import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageError } from '../errors.js';
import { classifyAzureError } from './azure-errors.js';
import { parseAzureConfig } from './azure-config.js';
import { buildAzureMetadata, checkAzureUserMetadata, entryFromBlob, parseAzureMetadata, rehydrationState } from './azure-meta.js';

const KEY = Buffer.from('a secret account key').toString('base64');
const base = { endpoint: 'http://127.0.0.1:10000/devstoreaccount1', accountName: 'devstoreaccount1', accountKey: KEY, container: 'data-1' };

describe('azure config', () => {
  it('applies defaults', () => {
    const { settings, accountKey } = parseAzureConfig({ ...base, prefix: '/projects/a/' });
    assert.equal(accountKey, KEY);
    assert.equal(settings.keyPrefix, 'projects/a/');
    assert.deepEqual(settings.storageClasses, ['Hot', 'Cool', 'Cold', 'Archive']);
    assert.equal(settings.restoreFromCold, true);
    assert.equal(settings.rehydrateTier, 'Hot');
    assert.equal(settings.blockSize, 8 << 20);
    assert.equal(settings.listPageSize, 5000);
  });

  it('lists every problem and never echoes the key', () => {
    const err = (() => {
      try {
        parseAzureConfig({ endpoint: 'ftp://x', accountName: 'Bad_Name', accountKey: 'not base64 !', container: 'Bad--Name', blockSize: 10, bogus: 1, storageClasses: ['GLACIER'], rehydrateTier: 'Archive' });
      } catch (e) {
        return e as StorageError;
      }
      return undefined;
    })();
    assert.ok(err instanceof StorageError);
    assert.equal(err.code, 'invalid_argument');
    for (const part of ['endpoint', 'accountName', 'accountKey', 'container', 'blockSize', '"bogus"', 'storageClasses', 'rehydrateTier']) assert.ok(err.message.includes(part), `${part}: ${err.message}`);
    assert.ok(!err.message.includes('not base64 !'));
    assert.throws(() => parseAzureConfig({ ...base, endpoint: 'http://127.0.0.1:10000/devstoreaccount1?sv=1&sig=x' }), /must not carry a query/);
    assert.throws(() => parseAzureConfig(null), /must be an object/);
  });
});

describe('azure metadata and errors', () => {
  it('round-trips attributes and user metadata (names encoded, values RFC 2047 when not ASCII)', () => {
    const meta = buildAzureMetadata({ owner: 'alice', 'x-note': 'ünïcode' }, { mtimeMs: 1.5, mode: 0o640, uid: 7, gid: 8, checksum: 'xxhash64:00ff' });
    assert.ok(Object.keys(meta).every((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)), Object.keys(meta).join());
    assert.ok(Object.values(meta).every((v) => /^[\x20-\x7e]*$/.test(v)));
    const { user, attrs } = parseAzureMetadata(meta);
    assert.deepEqual(user, { owner: 'alice', 'x-note': 'ünïcode' });
    assert.deepEqual(attrs, { mtimeMs: 1.5, atimeMs: undefined, mode: 0o640, uid: 7, gid: 8, checksum: 'xxhash64:00ff' });
    assert.throws(() => checkAzureUserMetadata({ barge_x: 'y' }, 'p'), /reserved/);
    assert.throws(() => checkAzureUserMetadata({ 'barge-x': 'y' }, 'p'), /reserved/);
    assert.throws(() => checkAzureUserMetadata({ Upper: 'y' }, 'p'), /lower-case/);
    const e = entryFromBlob('f', 'file', { size: 3, lastModified: new Date(5000), metadata: { barge_mode: '999' }, tier: 'Cool', archiveStatus: undefined, contentType: undefined, etag: undefined }, true);
    assert.deepEqual(e, { name: 'f', kind: 'file', size: 3, mtimeMs: 5000, storageClass: 'Cool' }, 'malformed mode ignored, upload time as mtime');
  });

  it('tells archived, rehydrating and available blobs apart', () => {
    assert.equal(rehydrationState({ tier: 'Hot', archiveStatus: undefined }), 'available');
    assert.equal(rehydrationState({ tier: 'Archive', archiveStatus: undefined }), 'archived');
    assert.equal(rehydrationState({ tier: 'Archive', archiveStatus: 'rehydrate-pending-to-hot' }), 'restoring');
    assert.equal(rehydrationState({ tier: 'Archive', archiveStatus: 'rehydrate-pending-to-cool' }), 'restoring');
  });

  it('maps Azure error codes to storage codes', () => {
    const rest = (code: string | undefined, statusCode: number) => Object.assign(new Error('Server said no\nRequestId:1'), { name: 'RestError', code, statusCode, details: code === undefined ? undefined : { errorCode: code } });
    const cases: [string | undefined, number, string, boolean][] = [
      ['BlobNotFound', 404, 'not_found', false], ['ContainerNotFound', 404, 'not_found', false], [undefined, 404, 'not_found', false],
      ['AuthorizationFailure', 403, 'permission_denied', false], ['ServerBusy', 503, 'busy', true], ['ConditionNotMet', 412, 'busy', true],
      ['InvalidBlockList', 400, 'busy', true], ['Md5Mismatch', 400, 'io', true], ['InternalError', 500, 'io', true],
      ['BlobAlreadyExists', 409, 'exists', false], ['BlobArchived', 409, 'unsupported', false], ['BlobBeingRehydrated', 409, 'restoring', false],
      ['InvalidBlobTier', 400, 'invalid_argument', false], ['RequestBodyTooLarge', 413, 'too_large', false], ['SomethingNew', 500, 'io', true],
    ];
    for (const [code, status, expected, retryable] of cases) {
      const e = classifyAzureError(rest(code, status), 'p');
      assert.equal(e.code, expected, `${code} ${status}`);
      assert.equal(e.retryable, retryable, `${code} retryable`);
      assert.ok(!e.message.includes('RequestId'), e.message);
    }
    assert.equal(classifyAzureError(Object.assign(new Error('aborted'), { name: 'AbortError' })).code, 'aborted');
    assert.equal(classifyAzureError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).code, 'io');
  });
});
