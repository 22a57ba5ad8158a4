/**
 * One webhook attempt over HTTP(S): a POST that connects only to addresses the allow-list accepts
 * (the name is resolved and checked by the socket's own lookup, so the address checked is the one
 * connected to), follows no redirect, and gives up after the timeout. Node's http client, not fetch:
 * it takes a `lookup` per request without another dependency.
 */
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, webhookTargetProblem, type AllowList } from '../../lib/webhook-target.js';

/** How an attempt ended, before the sender decides what it means. */
export type PostResult =
  | { kind: 'response'; status: number }
  | { kind: 'refused'; error: string }
  | { kind: 'timeout'; error: string }
  | { kind: 'network'; error: string };

export interface PostOptions {
  timeoutMs: number;
  allow: AllowList;
  /** Aborts the attempt (the engine is stopping). */
  signal: AbortSignal;
  /** Name resolution (tests inject one); default: the system's, through guardedLookup. */
  lookup?: ReturnType<typeof guardedLookup>;
}

/** The port the sender uses (tests may replace it). */
export type WebhookPost = (url: string, headers: Record<string, string>, body: string, opts: PostOptions) => Promise<PostResult>;

/** How much of a response body is read before the connection is dropped (it is not kept). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export const postWebhook: WebhookPost = (url, headers, body, opts) => {
  const problem = webhookTargetProblem(url, opts.allow);
  if (problem) return Promise.resolve({ kind: 'refused', error: /^(is|must|has) /.test(problem) ? `the URL ${problem}` : problem });
  return new Promise<PostResult>((resolve) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = AbortSignal.any([opts.signal, timeout]);
    const u = new URL(url);
    const client = u.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = client.request(u, {
      method: 'POST', agent: false, signal, lookup: opts.lookup ?? guardedLookup(opts.allow),
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Barge-Webhook/1', ...headers },
    }, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const status = res.statusCode ?? 0;
      res.on('end', () => done({ kind: 'response', status }));
      res.on('close', () => done({ kind: 'response', status }));
      res.on('error', () => done({ kind: 'response', status }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EWEBHOOKREFUSED') done({ kind: 'refused', error: err.message });
      else if (timeout.aborted) done({ kind: 'timeout', error: `no answer within ${Math.round(opts.timeoutMs / 1000)} s` });
      else if (opts.signal.aborted) done({ kind: 'network', error: 'aborted: the engine is stopping' });
      else done({ kind: 'network', error: `${err.code ?? 'error'}: ${err.message}` });
    });
    req.end(body);
  });
};
