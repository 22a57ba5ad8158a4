/** Unit tests of the CLI's pure pieces: SSE parsing, flag parsing, locations, exit codes, formatting. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from './sse.js';
import { listQuery, parseFilter } from './flags.js';
import { parseLocation } from './locations.js';
import { exitCodeFor, percent } from './watch.js';
import { jwtExpiry, normalizeUrl, configPath } from './config.js';
import { apiMessage, UsageError } from './errors.js';
import { formatBytes, formatDuration, renderTable } from './output.js';
import { queryString } from './http.js';
import { parseScope } from './commands/users.js';

describe('cli: SSE parser', () => {
  it('reassembles events split anywhere across chunks, skips comments, joins data lines', () => {
    const text = ': keep-alive\n\nevent: state\ndata: {"status":"in_progress"}\n\nevent: progress\r\ndata: {"a":1,\r\ndata: "b":2}\r\n\r\ndata: plain\n\n';
    for (const size of [1, 2, 5, 7, text.length]) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      assert.deepEqual(got, [
        { event: 'state', data: '{"status":"in_progress"}' },
        { event: 'progress', data: '{"a":1,\n"b":2}' },
        { event: 'message', data: 'plain' },
      ], `chunk size ${size}`);
    }
  });
});

describe('cli: flags', () => {
  it('reads --filter as attribute + API value (operators kept)', () => {
    assert.deepEqual(parseFilter('name=~%raw%'), ['name', '~%raw%']);
    assert.deepEqual(parseFilter('workflow_action=copy'), ['workflow_action', 'copy']);
    assert.deepEqual(parseFilter('created_at>=2025-01-01'), ['created_at', '>=2025-01-01']);
    assert.deepEqual(parseFilter('status!=done'), ['status', '!=done']);
    assert.deepEqual(parseFilter('sources.type=nas'), ['sources.type', 'nas']);
    assert.deepEqual(parseFilter('name==a=b'), ['name', '=a=b']);
    assert.throws(() => parseFilter('name'), UsageError);
    assert.throws(() => parseFilter('=x'), UsageError);
  });

  it('builds the list query: repeated filters repeat the key, sort is passed as typed', () => {
    const q = listQuery({ filter: ['name=~a%', 'name=!~%b', 'workflow_action=copy'], sort: 'workflow_action:desc|name', limit: 5, offset: 10, all: true });
    assert.deepEqual(q, { limit: 5, offset: 10, sort_by: 'workflow_action:desc|name', all: true, name: ['~a%', '!~%b'], workflow_action: 'copy' });
    assert.equal(queryString(q), '?limit=5&offset=10&sort_by=workflow_action%3Adesc%7Cname&all=true&name=%7Ea%25&name=%21%7E%25b&workflow_action=copy');
  });

  it('reads API key scopes as controller/action', () => {
    assert.deepEqual(parseScope('tasks/index'), { controller: 'tasks', action: 'index' });
    assert.deepEqual(parseScope('*/*'), { controller: '*', action: '*' });
    assert.throws(() => parseScope('tasks'), UsageError);
  });
});

describe('cli: locations, urls, config', () => {
  it('splits STORAGE:PATH at the first colon; an empty path is the root', () => {
    assert.deepEqual(parseLocation('src:/a/b'), { storage: 'src', path: '/a/b' });
    assert.deepEqual(parseLocation('src:'), { storage: 'src', path: '/' });
    assert.deepEqual(parseLocation('bucket:2024/a:b'), { storage: 'bucket', path: '2024/a:b' });
    assert.throws(() => parseLocation('src'), UsageError);
    assert.throws(() => parseLocation(':/x'), UsageError);
  });

  it('normalises server URLs and finds the config file', () => {
    assert.equal(normalizeUrl('http://h:8080/'), 'http://h:8080');
    assert.equal(normalizeUrl('http://h:8080/api/v2/'), 'http://h:8080');
    assert.equal(normalizeUrl('https://h/prefix/api/v2'), 'https://h/prefix');
    assert.throws(() => normalizeUrl('h:8080'));
    assert.equal(configPath({ BARGE_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/y' }), '/x/c.json');
    assert.equal(configPath({ XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/y/barge/config.json');
    assert.equal(configPath({ HOME: '/h' }), '/h/.config/barge/config.json');
  });

  it('reads a JWT expiry without verifying it', () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    assert.equal(jwtExpiry(`${part({ alg: 'HS256' })}.${part({ exp: 1234 })}.sig`), 1234);
    assert.equal(jwtExpiry('brg_not-a-jwt'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
  });
});

describe('cli: results and output', () => {
  it('maps final statuses to exit codes', () => {
    assert.deepEqual(['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system'].map(exitCodeFor), [0, 3, 4, 5, 5]);
  });

  it('computes done-percent from bytes (or files), never from the progress bit mask', () => {
    assert.equal(percent({ status: 'in_progress', size_todo: 200, size_done: 50, nodes_todo: 2, nodes_done: 0 }), 25);
    assert.equal(percent({ status: 'in_progress', size_todo: 0, size_done: 0, nodes_todo: 4, nodes_done: 3 }), 75);
    assert.equal(percent({ status: 'done', size_todo: 0, size_done: 0, nodes_todo: 0, nodes_done: 0 }), 100);
  });

  it("takes the API's message from both error shapes", () => {
    assert.equal(apiMessage(422, { messages: ['Name can\'t be blank', 'Parallel is bad'], details: {} }), "Name can't be blank; Parallel is bad");
    assert.equal(apiMessage(409, { id: 'tasks', code: 409, detail: 'The task has no active execution to pause', status: 'Conflict' }), 'The task has no active execution to pause');
    assert.equal(apiMessage(502, '<html>bad gateway</html>'), 'HTTP 502');
  });

  it('formats units and renders plain tables', () => {
    assert.deepEqual([formatBytes(0), formatBytes(48.39), formatBytes(1536), formatBytes(5 * 1024 ** 3)], ['0 B', '48 B', '1.50 KiB', '5.00 GiB']);
    assert.deepEqual([formatDuration(5), formatDuration(125), formatDuration(3723), formatDuration(null)], ['5s', '2m05s', '1h02m03s', '-']);
    assert.equal(renderTable(['id', 'name'], [['1', 'a'], ['22', null]]), 'ID  NAME\n1   a\n22  -');
  });
});
