import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { StorageError } from '../errors.js';
import { classifyS3Error } from './s3-errors.js';

/** An SDK service error as the client throws it (name = S3 code, $metadata.httpStatusCode). */
function serviceError(name: string, status: number, message = 'UnknownError'): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

describe('s3 error mapping', () => {
  it('maps S3 codes to storage codes with their retry policy', () => {
    const cases: [string, number, string, boolean][] = [
      ['NoSuchKey', 404, 'not_found', false],
      ['NotFound', 404, 'not_found', false],
      ['NoSuchBucket', 404, 'not_found', false],
      ['NoSuchUpload', 404, 'not_found', false],
      ['AccessDenied', 403, 'permission_denied', false],
      ['InvalidAccessKeyId', 403, 'permission_denied', false],
      ['SignatureDoesNotMatch', 403, 'permission_denied', false],
      ['SlowDown', 503, 'busy', true],
      ['ServiceUnavailable', 503, 'busy', true],
      ['Throttling', 400, 'busy', true],
      ['TooManyRequests', 429, 'busy', true],
      ['PreconditionFailed', 412, 'busy', true],
      ['InternalError', 500, 'io', true],
      ['RequestTimeout', 400, 'io', true],
      ['BadDigest', 400, 'io', true],
      ['InvalidStorageClass', 400, 'invalid_argument', false],
      ['InvalidArgument', 400, 'invalid_argument', false],
      ['InvalidRequest', 400, 'invalid_argument', false],
      ['MetadataTooLarge', 400, 'invalid_argument', false],
      ['KeyTooLongError', 400, 'invalid_path', false],
      ['EntityTooLarge', 400, 'too_large', false],
      ['QuotaExceeded', 403, 'no_space', false],
      ['NotImplemented', 501, 'unsupported', false],
      ['InvalidObjectState', 403, 'unsupported', false],
    ];
    for (const [name, status, code, retryable] of cases) {
      const err = classifyS3Error(serviceError(name, status), 'a/b');
      assert.equal(err.code, code, name);
      assert.equal(err.retryable, retryable, `${name} retryable`);
      assert.equal(err.path, 'a/b');
      assert.equal(err.sysCode, name);
      assert.match(err.message, new RegExp(name));
    }
  });

  it('falls back on the HTTP status for codes it does not know', () => {
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 503)).code, 'busy');
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 502)).retryable, true);
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 404)).code, 'not_found');
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 403)).code, 'permission_denied');
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 507)).code, 'no_space');
    assert.equal(classifyS3Error(serviceError('WeirdVendorError', 418)).code, 'io', 'unknown client status: unexplained, retryable io');
  });

  it('maps network errors, timeouts and aborts', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(classifyS3Error(reset).code, 'io');
    assert.equal(classifyS3Error(reset).retryable, true);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(classifyS3Error(refused).code, 'io');
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    assert.equal(classifyS3Error(timeout).code, 'io');
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    assert.equal(classifyS3Error(abort).code, 'aborted');
  });

  it('passes StorageErrors through and keeps a server message when there is one', () => {
    const own = new StorageError('exists', 'x');
    assert.equal(classifyS3Error(own), own);
    const err = classifyS3Error(serviceError('AccessDenied', 403, 'forbidden by object lock'));
    assert.match(err.message, /forbidden by object lock/);
    assert.match(err.message, /HTTP 403/);
    assert.ok(!/UnknownError/.test(classifyS3Error(serviceError('AccessDenied', 403)).message), 'RGW\'s empty "UnknownError" is not shown');
  });
});
