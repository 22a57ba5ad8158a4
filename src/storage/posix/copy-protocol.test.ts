import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CopyJob } from './copy-job.js';
import { JOB, JOB_NUMS, JOB_STRS, STR, decodeJob, decodeRequest, encodeDone, encodeRequest, requestLength } from './copy-protocol.js';

describe('copy protocol', () => {
  it('a request rebuilds every job exactly (absent options stay absent), each root sent once', () => {
    const jobs: CopyJob[] = [
      { srcRoot: '/a', srcPath: 'd/x', dstRoot: '/b', dstPath: 'd/x', tempName: '.x.barge-1.part', checksum: null, fsync: true },
      {
        srcRoot: '/a', srcPath: 'y', dstRoot: '/b', dstPath: 'e/y', tempName: '.y.barge-2.part', checksum: 'xxhash64', fsync: false,
        size: 0, mode: 0o640, uid: 0, gid: 4294967295, mtimeMs: -1.5, atimeMs: 1_700_000_000_123.25, noReplace: false,
      },
      { srcRoot: '/c', srcPath: 'z', dstRoot: '/a', dstPath: 'z', tempName: '.z.barge-3.part', checksum: 'md5', fsync: true, size: 2 ** 50, noReplace: true },
      { srcRoot: '/a', srcPath: 'w', dstRoot: '/b', dstPath: 'w', tempName: '.w.barge-4.part', checksum: 'crc32', fsync: true, mode: undefined },
    ];
    const req = encodeRequest(jobs, [7, 8, 9, 4294967295]);
    assert.deepEqual([...req.roots].sort(), ['/a', '/b', '/c']);
    const back = decodeRequest(structuredClone(req));
    assert.deepEqual(back.map((j) => j.id), [7, 8, 9, 4294967295]);
    const { mode: _absent, ...last } = jobs[3]!;
    assert.deepEqual(back.map((j) => j.job), [jobs[0], jobs[1], jobs[2], last]);
    assert.ok(!('mode' in back[3]!.job) && !('size' in back[0]!.job), 'no key for an option not given');
    assert.equal(requestLength(req), 4);
    assert.deepEqual(decodeJob(req, 2), back[2], 'one job decodes alone as in the whole request');
    assert.deepEqual([req.nums[2 * JOB_NUMS + JOB.id], req.nums[2 * JOB_NUMS + JOB.size], req.nums[2 * JOB_NUMS + JOB.noReplace], req.strs[2 * JOB_STRS + STR.dstPath]], [9, 2 ** 50, 1, 'z'], 'the exported layout');
  });

  it('a reply keeps each outcome at its position', () => {
    const reply = structuredClone(encodeDone([
      { id: 1, ok: true, result: { size: 4, checksum: 'ab', dir: '/b' }, unreported: 4 },
      { id: 2, ok: false, error: { code: 'not_found', message: 'gone', path: 'y', sysCode: 'ENOENT', retryable: false }, unreported: 0 },
      { id: 3, ok: true, result: { size: 0, checksum: null, dir: '/b' }, unreported: 0 },
    ], true, 2));
    assert.deepEqual([...reply.sizes].map((s) => (Number.isNaN(s) ? 'failed' : s)), [4, 'failed', 0]);
    assert.deepEqual([...reply.unreported], [4, 0, 0]);
    assert.deepEqual(reply.checksums, ['ab', null, null]);
    assert.deepEqual(reply.errors, [[1, { code: 'not_found', message: 'gone', path: 'y', sysCode: 'ENOENT', retryable: false }]]);
    assert.equal(reply.grouped, true);
    assert.equal(reply.native, 2);
  });
});
