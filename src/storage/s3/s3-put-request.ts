/**
 * PutObject of an in-memory body as one SigV4-signed HTTP request sent through the SDK client's own HTTP
 * handler (same keep-alive sockets, timeouts, credential provider, region and clock offset), without the
 * SDK's middleware stack.
 *
 * Why: a small-file copy costs one PutObject per file, and through `client.send` that request took about
 * 1.0 ms of CPU in the SDK's middleware (schema serialisation, endpoint rules, user agent, retry and
 * signing layers), against about 0.4 ms for the same signed request sent here (measured on Node 20 against
 * RGW, 16 KiB bodies): most of Barge's CPU per small file. Everything else stays on the SDK.
 *
 * What the SDK would do and this does too: SigV4 by the SDK's own signer (`@smithy/signature-v4`) over the
 * SHA-256 of the payload (the server checks it: the one body digest of the request),
 * the caller's Content-MD5 when it gives one, path-style or virtual-hosted URLs under the endpoint's base path, the session
 * token, retries in the spirit of the SDK's standard mode (network errors, 5xx, throttling and clock-skew
 * answers; exponential backoff with full jitter, base 100 ms, 500 ms when throttled, at most 20 s, up to
 * `maxAttempts`), and errors shaped like SDK service exceptions (`name`/`Code` from the XML body,
 * `$metadata.httpStatusCode`) so `classifyS3Error` maps them the same way. Not done: S3 Express
 * sessions and region redirects (the endpoint is always explicit here).
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { isAbortError } from '../errors.js';
import type { S3Settings } from './s3-config.js';

/** What the SDK client resolves that a signed request needs (fields of `S3Client.config`). */
interface ClientParts {
  credentials(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  region(): Promise<string>;
  systemClockOffset?: number;
  requestHandler: {
    handle(request: HttpRequestLike, options?: { abortSignal?: AbortSignal }): Promise<{ response: HttpResponseLike }>;
  };
}

interface HttpRequestLike {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: Buffer;
}

interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body?: Readable;
}

/** What a successful PUT reports. */
export interface PutResult {
  readonly versionId: string | undefined;
  readonly etag: string | undefined;
}

const RETRYABLE_CODES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'RequestLimitExceeded', 'TooManyRequests',
  'TooManyRequestsException', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeoutException',
  'RequestTimeTooSkewed', 'IncompleteBody', 'BadDigest', 'XAmzContentSHA256Mismatch',
]);
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'RequestLimitExceeded', 'TooManyRequests', 'TooManyRequestsException']);

/** URI-encode one key segment the way SigV4 wants it (RFC 3986 unreserved characters kept). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

async function readText(body: Readable | undefined): Promise<string> {
  if (body === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An error shaped like an SDK service exception, for `classifyS3Error`. */
function serviceError(status: number, headers: Record<string, string | undefined>, xml: string): Error {
  const code = xmlText(xml, 'Code');
  const message = xmlText(xml, 'Message') ?? '';
  return Object.assign(new Error(message), {
    name: code ?? 'UnknownError', ...(code === undefined ? {} : { Code: code }),
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: headers['x-amz-request-id'] },
  });
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type HashInput = string | ArrayBuffer | ArrayBufferView;

/** node:crypto behind the hash interface the signer expects (SHA-256, or HMAC-SHA256 with a secret). */
class NodeSha256 {
  private readonly h;
  constructor(secret?: HashInput) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: HashInput): void {
    this.h.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

function bytesOf(d: HashInput): string | Uint8Array {
  if (typeof d === 'string') return d;
  return d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Signed PutObject requests of one driver instance (see the file header). */
export class S3PutRequest {
  private readonly parts: ClientParts;
  private readonly protocol: string;
  private readonly hostname: string;
  private readonly port: number | undefined;
  private readonly basePath: string;
  private signerCache: { id: string; signer: SignatureV4 } | undefined;

  constructor(client: S3Client, private readonly settings: S3Settings) {
    this.parts = client.config as unknown as ClientParts;
    const url = new URL(settings.endpoint);
    this.protocol = url.protocol;
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port === '' ? undefined : Number(url.port);
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /** Virtual-hosted URLs need a bucket name that is a plain DNS label; path style otherwise (as the SDK). */
  private target(key: string): { hostname: string; path: string } {
    const encodedKey = key.split('/').map(encodeSegment).join('/');
    const { bucket } = this.settings;
    if (!this.settings.forcePathStyle && /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
      return { hostname: `${bucket}.${this.hostname}`, path: `${this.basePath}/${encodedKey}` };
    }
    return { hostname: this.hostname, path: `${this.basePath}/${encodeSegment(bucket)}/${encodedKey}` };
  }

  /** The SDK's SigV4 signer for the current credentials and region (made again only when they change). */
  private signerFor(creds: Credentials, region: string): SignatureV4 {
    const id = `${creds.accessKeyId}\n${creds.secretAccessKey}\n${creds.sessionToken ?? ''}\n${region}`;
    if (this.signerCache?.id !== id) {
      this.signerCache = { id, signer: new SignatureV4({ credentials: creds, region, service: 's3', sha256: NodeSha256, uriEscapePath: false }) };
    }
    return this.signerCache.signer;
  }

  /** Build and sign the request. `headers` are the object's own (content-md5, content-type, x-amz-meta-*, …), lower-case. */
  private async sign(key: string, body: Buffer, headers: Readonly<Record<string, string>>, payloadHash: string): Promise<HttpRequestLike> {
    const [creds, region] = await Promise.all([this.parts.credentials(), this.parts.region()]);
    const { hostname, path } = this.target(key);
    const host = this.port === undefined ? hostname : `${hostname.includes(':') ? `[${hostname}]` : hostname}:${this.port}`;
    const request: HttpRequestLike = {
      method: 'PUT', protocol: this.protocol, hostname, ...(this.port === undefined ? {} : { port: this.port }), path, query: {},
      headers: { ...headers, host, 'content-length': String(body.length), 'x-amz-content-sha256': payloadHash }, body,
    };
    const signingDate = new Date(Date.now() + (this.parts.systemClockOffset ?? 0));
    return (await this.signerFor(creds, region).sign(request, { signingDate })) as HttpRequestLike;
  }

  /**
   * PUT `body` at `key` with the object headers given (lower-case names), signed over `payloadSha256` (the
   * body's SHA-256 in hex, computed here unless the caller took it already). Resolves once the service stored it;
   * rejects with an SDK-shaped error (or the network error) after the retries. The body is a Buffer, so every
   * attempt sends exactly the same bytes.
   */
  async put(key: string, body: Buffer, headers: Readonly<Record<string, string>>, signal?: AbortSignal, payloadSha256?: string): Promise<PutResult> {
    const payloadHash = payloadSha256 ?? sha256Hex(body);
    for (let attempt = 1; ; attempt++) {
      const request = await this.sign(key, body, headers, payloadHash); // a credential failure is not retried here
      let retry: { throttled: boolean; error: unknown };
      try {
        const { response } = await this.parts.requestHandler.handle(request, signal === undefined ? {} : { abortSignal: signal });
        if (response.statusCode >= 200 && response.statusCode < 300) {
          await readText(response.body);
          return { versionId: response.headers['x-amz-version-id'], etag: response.headers.etag };
        }
        const error = serviceError(response.statusCode, response.headers, await readText(response.body));
        const code = (error as { Code?: string }).Code;
        if (code === 'RequestTimeTooSkewed') this.adjustClock(response.headers.date);
        const transient = (code !== undefined && RETRYABLE_CODES.has(code)) || response.statusCode >= 500 || response.statusCode === 429;
        if (!transient) throw error;
        retry = { throttled: response.statusCode === 429 || response.statusCode === 503 || (code !== undefined && THROTTLING_CODES.has(code)), error };
      } catch (err) {
        if (isAbortError(err) || signal?.aborted === true || (err as { $metadata?: unknown }).$metadata !== undefined) throw err;
        retry = { throttled: false, error: err }; // a network error: the request may not have reached the service
      }
      if (attempt >= this.settings.maxAttempts) throw retry.error;
      const cap = Math.min(20_000, (retry.throttled ? 500 : 100) * 2 ** (attempt - 1));
      await sleep(Math.random() * cap, undefined, signal === undefined ? {} : { signal });
    }
  }

  /** The service says our clock is off: sign the next attempts with its time, as the SDK does. */
  private adjustClock(serverDate: string | undefined): void {
    const server = serverDate === undefined ? Number.NaN : Date.parse(serverDate);
    if (Number.isFinite(server)) this.parts.systemClockOffset = server - Date.now();
  }
}
