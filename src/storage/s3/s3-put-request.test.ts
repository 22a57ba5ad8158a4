/**
 * The driver's signed PutObject without a server: the request it builds (URL styles, headers, a signature
 * identical to the SDK's own signer's), its retries and how its errors map. The RGW suites check that the
 * service accepts it (every PUT of the conformance suite and of s3-write-path.test.ts goes this way).
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { rejectsWithCode } from '../conformance/helpers.js';
import { parseS3Config } from './s3-config.js';
import { classifyS3Error } from './s3-errors.js';
import { S3PutRequest } from './s3-put-request.js';
import { S3Objects } from './s3-objects.js';

interface Sent {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}
type Answer = { status: number; headers?: Record<string, string>; body?: string } | Error;

/** A put request over a client whose HTTP handler records requests and answers from `answers`. */
function stubbed(config: Record<string, unknown>, answers: Answer[]): { put: S3PutRequest; sent: Sent[]; objects: S3Objects } {
  const { settings, credentials } = parseS3Config({ endpoint: 'http://127.0.0.1:7480', accessKeyId: 'AKID', secretAccessKey: 'SECRET', bucket: 'bkt', ...config });
  const client = new S3Client({ endpoint: settings.endpoint, region: settings.region, forcePathStyle: settings.forcePathStyle, credentials });
  const sent: Sent[] = [];
  (client.config as unknown as { requestHandler: unknown }).requestHandler = {
    handle: async (request: Sent) => {
      sent.push(request);
      const a = answers.shift() ?? { status: 200 };
      if (a instanceof Error) throw a;
      return { response: { statusCode: a.status, headers: a.headers ?? {}, body: Readable.from(a.body === undefined ? [] : [Buffer.from(a.body)]) } };
    },
  };
  return { put: new S3PutRequest(client, settings), sent, objects: new S3Objects(client, settings) };
}

const HEADERS = { 'content-md5': 'bWQ1', 'content-type': 'application/octet-stream', 'x-amz-meta-barge-mode': '644', 'x-amz-meta-note': '  two  spaces ' };
const errorXml = (code: string): string => `<?xml version="1.0"?><Error><Code>${code}</Code><Message>m &amp; n</Message></Error>`;

describe('s3 signed PutObject (no server)', () => {
  it('signs exactly as the SDK signer does, path style, with the key encoded once', async () => {
    const { put, sent } = stubbed({ endpoint: 'http://127.0.0.1:7480/base/' }, [{ status: 200, headers: { 'x-amz-version-id': 'v1', etag: '"e"' } }]);
    const body = Buffer.from('hello');
    assert.deepEqual(await put.put('dir/a b+c%d(é)~.txt', body, HEADERS), { versionId: 'v1', etag: '"e"' });
    const req = sent[0] as Sent;
    assert.equal(req.method, 'PUT');
    assert.equal(req.hostname, '127.0.0.1');
    assert.equal(req.port, 7480);
    assert.equal(req.path, '/base/bkt/dir/a%20b%2Bc%25d%28%C3%A9%29~.txt');
    assert.equal(req.headers['x-amz-content-sha256'], createHash('sha256').update(body).digest('hex'));
    assert.equal(req.headers['content-length'], '5');
    assert.equal(req.headers.host, '127.0.0.1:7480');
    const amzDate = req.headers['x-amz-date'] as string;
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`);
    const { authorization, ...unsigned } = req.headers;
    type Source = string | ArrayBuffer | ArrayBufferView;
    const bytes = (d: Source): string | Uint8Array => (typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    class Sha256 {
      private readonly h;
      constructor(secret?: Source) { this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret)); }
      update(data: Source): void { this.h.update(bytes(data)); }
      async digest(): Promise<Uint8Array> { return this.h.digest(); }
    }
    const sdk = new SignatureV4({ credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const expected = await sdk.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: 7480, path: req.path, query: {}, headers: unsigned, body }, { signingDate });
    assert.equal(authorization, expected.headers.authorization);
  });

  it('signs over the payload SHA-256 it is given, and a file put carries no second digest (no Content-MD5, no SDK checksum)', async () => {
    const body = Buffer.from('sixteen MiB, say');
    const sha = createHash('sha256').update(body).digest('hex');
    const { objects, sent } = stubbed({}, [{ status: 200 }, { status: 200 }]);
    await objects.put('a', body, { metadata: { note: 'n' }, contentType: 'application/octet-stream' }, 'a', undefined, sha);
    await objects.put('b', body, { metadata: {}, contentType: 'application/octet-stream' }, 'b');
    for (const req of sent) {
      assert.equal(req.headers['x-amz-content-sha256'], sha);
      assert.match(req.headers.authorization ?? '', /SignedHeaders=[^,]*x-amz-content-sha256/);
      const digests = Object.keys(req.headers).filter((h) => h === 'content-md5' || h.startsWith('x-amz-checksum') || h === 'x-amz-sdk-checksum-algorithm');
      assert.deepEqual(digests, [], 'one digest of the body per request');
    }
    // Given a digest that is not the body's, it signs that one: the service then refuses the bytes (s3-write-path.test.ts).
    const { put, sent: wrong } = stubbed({}, [{ status: 200 }]);
    await put.put('c', body, HEADERS, undefined, 'f'.repeat(64));
    assert.equal(wrong[0]?.headers['x-amz-content-sha256'], 'f'.repeat(64));
  });

  it('adds Content-MD5 to a put with Object Lock headers (AWS requires it there)', async () => {
    const body = Buffer.from('locked');
    const { objects, sent } = stubbed({}, [{ status: 200, headers: { 'x-amz-version-id': 'v1' } }, { status: 200 }]);
    await objects.put('k', body, { metadata: {}, contentType: 'application/octet-stream', lock: { mode: 'GOVERNANCE', legalHold: true } }, 'k');
    assert.equal(sent[0]?.headers['content-md5'], createHash('md5').update(body).digest('base64'));
    assert.equal(sent[0]?.headers['x-amz-object-lock-legal-hold'], 'ON');
  });

  it('uses virtual-hosted URLs without forcePathStyle, and the session token', async () => {
    const { put, sent } = stubbed({ endpoint: 'https://s3.example.net', forcePathStyle: false, sessionToken: 'TOKEN' }, [{ status: 200 }]);
    await put.put('k', Buffer.from('x'), HEADERS);
    const req = sent[0] as Sent;
    assert.deepEqual([req.protocol, req.hostname, req.port, req.path, req.headers.host], ['https:', 'bkt.s3.example.net', undefined, '/k', 'bkt.s3.example.net']);
    assert.equal(req.headers['x-amz-security-token'], 'TOKEN');
    assert.match(req.headers.authorization ?? '', /SignedHeaders=[^,]*x-amz-security-token/);
  });

  it('retries throttling, 5xx and network errors with the same bytes, up to maxAttempts', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { put, sent } = stubbed({ maxAttempts: 4 }, [{ status: 503, body: errorXml('SlowDown') }, reset, { status: 500, body: errorXml('InternalError') }, { status: 200 }]);
    await put.put('k', Buffer.from('same bytes'), HEADERS);
    assert.equal(sent.length, 4);
    assert.ok(sent.every((r) => r.body?.toString() === 'same bytes'));
    const { put: once, sent: sentOnce } = stubbed({ maxAttempts: 2 }, [{ status: 503, body: errorXml('SlowDown') }, { status: 503, body: errorXml('SlowDown') }]);
    const err = await once.put('k', Buffer.from('x'), HEADERS).then(() => undefined, (e: unknown) => e);
    assert.equal(sentOnce.length, 2);
    assert.deepEqual([classifyS3Error(err).code, classifyS3Error(err).retryable], ['busy', true]);
  });

  it('does not retry what a retry cannot fix, and maps it like an SDK error', async () => {
    for (const [status, code, expected] of [[403, 'AccessDenied', 'permission_denied'], [404, 'NoSuchBucket', 'not_found'], [400, 'InvalidStorageClass', 'invalid_argument']] as const) {
      const { put, sent } = stubbed({}, [{ status, body: errorXml(code) }, { status: 200 }]);
      await rejectsWithCode(async () => { try { await put.put('k', Buffer.from('x'), HEADERS); } catch (err) { throw classifyS3Error(err, 'k'); } }, expected, code);
      assert.equal(sent.length, 1, `${code} is not retried`);
    }
    const { put } = stubbed({}, [{ status: 403, body: errorXml('AccessDenied') }]);
    const err = await put.put('k', Buffer.from('x'), HEADERS).then(() => undefined, (e: unknown) => e);
    assert.deepEqual([(err as Error).name, (err as Error).message, (err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode], ['AccessDenied', 'm & n', 403]);
  });

  it('signs the next attempt with the service clock after RequestTimeTooSkewed', async () => {
    const serverDate = new Date(Date.now() + 3_600_000);
    const { put, sent } = stubbed({}, [{ status: 403, headers: { date: serverDate.toUTCString() }, body: errorXml('RequestTimeTooSkewed') }, { status: 200 }]);
    await put.put('k', Buffer.from('x'), HEADERS);
    assert.equal(sent.length, 2);
    const hour = (r: Sent): string => (r.headers['x-amz-date'] as string).slice(0, 11);
    assert.equal(hour(sent[1] as Sent), serverDate.toISOString().replace(/[-:]/g, '').slice(0, 11));
  });

  it('stops at once when the signal fires, also between attempts', async () => {
    const ac = new AbortController();
    const { put, sent } = stubbed({ maxAttempts: 5 }, [{ status: 503, body: errorXml('SlowDown') }, { status: 503, body: errorXml('SlowDown') }, { status: 503, body: errorXml('SlowDown') }]);
    const pending = put.put('k', Buffer.from('x'), HEADERS, ac.signal);
    ac.abort();
    await rejectsWithCode(async () => { try { await pending; } catch (err) { throw classifyS3Error(err, 'k'); } }, 'aborted', 'aborted put');
    assert.ok(sent.length <= 1, `no attempt after the abort (${sent.length})`);
  });
});
