/**
 * The watcher against stub servers: a stream that drops before `end` is re-opened, a server without
 * the events endpoint is polled, and the final status becomes the exit code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Context, type Io } from './context.js';
import { ApiClient } from './http.js';
import { ApiError } from './errors.js';
import { reportWatch, watchExecution } from './watch.js';

function exec(status: string, done: number) {
  return { id: 'e1', task_id: 't1', status, progress: 0, size_todo: 100, size_done: done, nodes_todo: 2, nodes_done: done / 50, files_failed: status === 'finished_with_warnings' ? 1 : 0, bandwidth: 10, eta_seconds: 1, error: null, started_at: '2025-01-01T00:00:00Z', finished_at: '2025-01-01T00:00:02Z' };
}

async function stub(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function io(): Io & { err: () => string; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { env: {}, stdout, stderr, stdin: new PassThrough(), out: () => o, err: () => e };
}

describe('cli: watch', () => {
  it('re-opens a stream that closes before `end`, and reports failures and the exit code', async () => {
    let opened = 0;
    const s = await stub((req, res) => {
      if (req.url === '/api/v2/task_executions/e1/events') {
        opened += 1;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (opened === 1) return res.end(`event: state\ndata: {"status":"in_progress"}\n\nevent: progress\ndata: ${JSON.stringify(exec('in_progress', 50))}\n\n`);
        return res.end(`event: file_failed\ndata: {"src_path":"/bad","error":"nope"}\n\nevent: end\ndata: ${JSON.stringify(exec('finished_with_warnings', 100))}\n\n`);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(exec('in_progress', 50)));
    });
    try {
      const stdio = io();
      const ctx = new Context({}, stdio);
      const r = await watchExecution(ctx, new ApiClient(s.url), 'e1');
      assert.equal(opened, 2);
      assert.deepEqual(r.failed, [{ src_path: '/bad', error: 'nope' }]);
      assert.equal(reportWatch(ctx, r), 3);
      assert.match(stdio.out(), /^finished_with_warnings: 2 files, 100 B in 2\.0s/m);
      assert.match(stdio.out(), /failed \/bad: nope/);
      assert.match(stdio.err(), /^state: in_progress$/m);
    } finally {
      await s.close();
    }
  });

  it('polls a server without the events endpoint', async () => {
    let polls = 0;
    const s = await stub((req, res) => {
      if (req.url?.endsWith('/events')) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"messages":["Not found"]}');
      polls += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(polls < 2 ? exec('in_progress', 50) : exec('done', 100)));
    });
    try {
      const stdio = io();
      const ctx = new Context({ json: true }, stdio);
      const r = await watchExecution(ctx, new ApiClient(s.url), 'e1');
      assert.equal(polls, 2);
      assert.equal(reportWatch(ctx, r), 0);
      assert.equal(JSON.parse(stdio.out()).status, 'done');
    } finally {
      await s.close();
    }
  });

  it('ends with the API error when the execution does not exist', async () => {
    const s = await stub((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"messages":["Task execution not found"]}'));
    try {
      await assert.rejects(watchExecution(new Context({}, io()), new ApiClient(s.url), 'nope'), (err: unknown) => err instanceof ApiError && err.message === 'Task execution not found');
    } finally {
      await s.close();
    }
  });
});
