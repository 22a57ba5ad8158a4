import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStorageError } from '../errors.js';
import { makeTempName } from '../paths.js';
import { CopyPool } from './copy-pool.js';
import { fileSystemSync } from './fs-sync.js';
import { loadNativeCopier } from './native-copier.js';
import { loadLibc } from './libc.js';
import type { CopyJob } from './copy-job.js';

let src: string;
let dst: string;
/** Whether group commits run through the native copier here (the pipelining of copy-worker.ts needs it). */
const native = loadNativeCopier() !== null && fileSystemSync() !== null;
const BIG = 48 << 20;
const HUGE = 4 * 1024 ** 3;

before(() => {
  src = mkdtempSync(join(tmpdir(), 'barge-pool-src-'));
  dst = mkdtempSync(join(tmpdir(), 'barge-pool-dst-'));
  writeFileSync(join(src, 'big.bin'), Buffer.alloc(BIG, 1));
  // Sparse, so it costs no disk: a copy that cannot end before the test acts on it (48 MiB once did, under load).
  writeFileSync(join(src, 'huge.bin'), '');
  truncateSync(join(src, 'huge.bin'), HUGE);
  for (let i = 0; i < 20; i++) writeFileSync(join(src, `s${i}`), `small ${i}`);
});
after(() => {
  rmSync(src, { recursive: true, force: true });
  rmSync(dst, { recursive: true, force: true });
});

function job(srcPath: string, dstPath: string, size?: number): CopyJob {
  return { srcRoot: src, srcPath, dstRoot: dst, dstPath, tempName: makeTempName(dstPath.split('/').pop()!), checksum: 'xxhash64', fsync: false, ...(size === undefined ? {} : { size }) };
}

describe('CopyPool', () => {
  it('runs many jobs on at most `workers` threads and reports each result', async () => {
    const pool = new CopyPool({ workers: 2, chunkBytes: 64 * 1024 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(job(`s${i}`, `many/s${i}`))));
      assert.deepEqual(results.map((r) => r.size), Array.from({ length: 20 }, (_, i) => `small ${i}`.length));
      assert.equal(readdirSync(join(dst, 'many')).length, 20);
      assert.ok(new Set(results.map((r) => r.checksum)).size === 20, 'each file has its own digest');
    } finally {
      await pool.close();
    }
  });

  it('an abort reaches a job in the middle of a file: rejected as aborted, no temporary file, nothing published', async () => {
    const pool = new CopyPool({ workers: 1, chunkBytes: 64 * 1024 });
    try {
      const abort = new AbortController();
      let seen = 0;
      // The sparse 4 GiB file: a 48 MiB one could be copied whole before the first progress message's
      // abort reached the worker (it did once, under CI load); this one cannot.
      const run = pool.run(job('huge.bin', 'aborted/huge.bin'), {
        signal: abort.signal,
        onBytes: (n) => {
          seen += n;
          abort.abort();
        },
      });
      await assert.rejects(run, (err: unknown) => isStorageError(err, 'aborted'));
      assert.ok(seen > 0 && seen < HUGE, `aborted mid-file (${seen} of ${HUGE} bytes)`);
      assert.deepEqual(readdirSync(join(dst, 'aborted')), [], 'temporary file removed, target absent');
      // The worker survives and serves the next job.
      assert.equal((await pool.run(job('s1', 'aborted/after'))).size, 'small 1'.length);
    } finally {
      await pool.close();
    }
  });

  it('a queued job aborted before it starts never runs', async () => {
    const pool = new CopyPool({ workers: 1, chunkBytes: 64 * 1024 });
    try {
      const first = pool.run(job('big.bin', 'queued/first.bin'));
      const abort = new AbortController();
      const second = pool.run(job('s2', 'queued/second'), { signal: abort.signal });
      abort.abort();
      await assert.rejects(second, (err: unknown) => isStorageError(err, 'aborted'));
      assert.equal((await first).size, BIG);
      assert.equal(existsSync(join(dst, 'queued/second')), false);
    } finally {
      await pool.close();
    }
  });

  it('close() aborts a running job, which cleans up before the thread ends; later runs are refused', async () => {
    const pool = new CopyPool({ workers: 1, chunkBytes: 64 * 1024 });
    let started!: () => void;
    const progressed = new Promise<void>((r) => (started = r));
    const run = pool.run(job('huge.bin', 'closed/huge.bin'), { onBytes: () => started() });
    const outcome = run.then(() => 'resolved', (err: unknown) => err);
    await progressed;
    await pool.close();
    const err = await outcome;
    assert.ok(isStorageError(err, 'closed') || isStorageError(err, 'aborted'), `rejected: ${String(err)}`);
    assert.deepEqual(readdirSync(join(dst, 'closed')), []);
    await assert.rejects(pool.run(job('s1', 'closed/x')), (err: unknown) => isStorageError(err, 'closed'));
  });

  for (const syncfs of [true, false]) {
    it(`small files queued together share a message and its durability (${syncfs ? 'one group commit with syncfs' : 'fsync per file, one per directory'}); one failing does not fail the others`, async () => {
      const pool = new CopyPool({ workers: 1, syncfs });
      const dir = `batch-${syncfs}`;
      try {
        const runs = Array.from({ length: 12 }, (_, i) => pool.run({ ...job(`s${i}`, `${dir}/s${i}`, `small ${i}`.length), fsync: true }));
        runs.push(pool.run({ ...job('nope', `${dir}/nope`, 3), fsync: true }));
        const outcomes = await Promise.allSettled(runs);
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 12);
        const last = outcomes[12]!;
        assert.ok(last.status === 'rejected' && isStorageError(last.reason, 'not_found'));
        const grouped = syncfs && fileSystemSync() !== null ? 1 : 0;
        assert.deepEqual(pool.stats(), { messages: 1, jobs: 13, grouped }, 'one message for the thirteen small files');
        assert.deepEqual(readdirSync(join(dst, dir)).sort(), Array.from({ length: 12 }, (_, i) => `s${i}`).sort(), 'every copy published, no temporary file left');
        for (let i = 0; i < 12; i++) assert.equal(readFileSync(join(dst, dir, `s${i}`), 'utf8'), `small ${i}`);
      } finally {
        await pool.close();
      }
    });
  }

  for (const syncfs of [true, false]) {
    it(`noReplace in a message (${syncfs ? 'group commit' : 'one by one'}): a different file already there fails that copy alone, the same bytes count as done`, async () => {
      const pool = new CopyPool({ workers: 1, syncfs });
      const dir = `noreplace-${syncfs}`;
      try {
        mkdirSync(join(dst, dir), { recursive: true });
        writeFileSync(join(dst, dir, 's1'), 'not the source');
        writeFileSync(join(dst, dir, 's2'), 'small 2');
        const runs = Array.from({ length: 10 }, (_, i) => pool.run({ ...job(`s${i}`, `${dir}/s${i}`, `small ${i}`.length), fsync: true, noReplace: true }));
        const outcomes = await Promise.allSettled(runs);
        const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, (o.reason as { code?: string }).code]] : []));
        assert.deepEqual(failed, [[1, 'exists']]);
        assert.equal(readFileSync(join(dst, dir, 's1'), 'utf8'), 'not the source', 'not replaced');
        assert.deepEqual(readdirSync(join(dst, dir)).sort(), Array.from({ length: 10 }, (_, i) => `s${i}`).sort(), 'no temporary file left');
        for (const i of [0, 2, 9]) assert.equal(readFileSync(join(dst, dir, `s${i}`), 'utf8'), `small ${i}`);
      } finally {
        await pool.close();
      }
    });
  }

  it('paths through a symlinked directory inside the root resolve (the confinement falls back to realpath)', async () => {
    const pool = new CopyPool({ workers: 1 });
    try {
      mkdirSync(join(src, 'real-src'));
      writeFileSync(join(src, 'real-src', 'f'), 'through a link');
      symlinkSync('real-src', join(src, 'link-src'));
      mkdirSync(join(dst, 'real-dst'));
      symlinkSync('real-dst', join(dst, 'link-dst'));
      const r = await pool.run(job('link-src/f', 'link-dst/f', 'through a link'.length));
      assert.equal(r.size, 'through a link'.length);
      assert.equal(readFileSync(join(dst, 'real-dst', 'f'), 'utf8'), 'through a link');
    } finally {
      await pool.close();
    }
  });

  it('its worker threads run at the niceness asked for (the engine thread keeps the CPU when it needs it)', { skip: loadLibc() === null ? 'no libc binding (koffi) here' : false }, async () => {
    const niceOf = (): number[] => readdirSync('/proc/self/task').flatMap((tid) => {
      try {
        if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'barge-copy') return [];
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]; // field 19: nice
      } catch {
        return []; // a thread that ended meanwhile
      }
    });
    assert.deepEqual(niceOf(), [], 'no copy worker of another pool left');
    const pool = new CopyPool({ workers: 2, nice: 7 });
    try {
      await Promise.all([0, 1, 2, 3].map((i) => pool.run(job(`s${i}`, `nice/s${i}`))));
      const seen = niceOf();
      assert.ok(seen.length >= 1, 'a worker ran');
      assert.deepEqual(new Set(seen), new Set([7]));
      assert.equal(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16]), 0, 'the rest of the process keeps its priority');
    } finally {
      await pool.close();
    }
  });

  it('a large file travels alone', async () => {
    const pool = new CopyPool({ workers: 1, smallFileBytes: 1024 });
    try {
      const big = pool.run(job('big.bin', 'mixed/big.bin', BIG));
      const small = Array.from({ length: 4 }, (_, i) => pool.run(job(`s${i}`, `mixed/s${i}`, `small ${i}`.length)));
      assert.equal((await big).size, BIG);
      await Promise.all(small);
      assert.deepEqual([pool.stats().messages, pool.stats().jobs], [2, 5], 'the large file alone, then the four small ones');
    } finally {
      await pool.close();
    }
  });

  it('groups of small files wait at a busy worker: the next one\'s syncfs makes the previous one\'s renames durable, every file is published once', { skip: native ? false : 'no native copier or no trusted syncfs here' }, async () => {
    const pool = new CopyPool({ workers: 1 });
    try {
      const groups = Array.from({ length: 4 }, (_, g) => pool.runMany(Array.from({ length: 5 }, (_, i) => ({ ...job(`s${g * 5 + i}`, `carried/g${g}/s${i}`, `small ${g * 5 + i}`.length), fsync: true }))));
      const results = await Promise.all(groups);
      for (const [g, r] of results.entries()) assert.deepEqual(r.map((x) => (x instanceof Error ? x.code : x.size)), Array.from({ length: 5 }, (_, i) => `small ${g * 5 + i}`.length));
      assert.equal(pool.stats().messages, 4);
      assert.ok(pool.carried() >= 1, `a message was answered after the next one's syncfs (carried: ${pool.carried()})`);
      for (let g = 0; g < 4; g++) {
        assert.deepEqual(readdirSync(join(dst, 'carried', `g${g}`)).sort(), ['s0', 's1', 's2', 's3', 's4'], 'published, no temporary file left');
        for (let i = 0; i < 5; i++) assert.equal(readFileSync(join(dst, 'carried', `g${g}`, `s${i}`), 'utf8'), `small ${g * 5 + i}`);
      }
    } finally {
      await pool.close();
    }
  });

  it('an abort reaches a group waiting at a busy worker (its own flags): aborted, nothing of it left; the running group is copied', async () => {
    const pool = new CopyPool({ workers: 1, smallFileBytes: BIG, progressBytes: 1 << 20 });
    try {
      const abort = new AbortController();
      const first = pool.runMany([{ ...job('big.bin', 'waiting/big.bin', BIG), fsync: true }, { ...job('s0', 'waiting/s0', 7), fsync: true }], { onBytes: () => abort.abort() });
      const second = pool.runMany([0, 1, 2].map((i) => ({ ...job(`s${i + 1}`, `waiting/x${i}`, `small ${i + 1}`.length), fsync: true })), { signal: abort.signal });
      const [a, b] = await Promise.all([first, second]);
      assert.deepEqual(a.map((x) => (x instanceof Error ? x.code : x.size)), [BIG, 7]);
      assert.deepEqual(b.map((x) => (x instanceof Error ? x.code : 'copied')), ['aborted', 'aborted', 'aborted']);
      assert.equal(pool.stats().messages, 2, 'the second group was at the worker when aborted');
      assert.deepEqual(readdirSync(join(dst, 'waiting')).sort(), ['big.bin', 's0'], 'nothing of the aborted group, no temporary file');
    } finally {
      await pool.close();
    }
  });

  for (const fsync of [false, true]) {
    it(`an abort reaches a job further down a message while the worker is busy with an earlier one (${fsync ? 'group commit' : 'no fsync'})`, async () => {
      // Everything counts as small here, so the 48 MiB file and three others share one message.
      const pool = new CopyPool({ workers: 1, smallFileBytes: BIG, progressBytes: 1 << 20 });
      const dir = `pos-${fsync}`;
      try {
        const abort = new AbortController();
        const big = pool.run({ ...job('big.bin', `${dir}/big.bin`, BIG), fsync }, { onBytes: () => abort.abort() });
        const rest = [0, 1, 2].map((i) => pool.run({ ...job(`s${i}`, `${dir}/s${i}`, `small ${i}`.length), fsync }, i === 1 ? { signal: abort.signal } : {}));
        const outcomes = await Promise.allSettled([big, ...rest]);
        assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
        const aborted = outcomes[2]!;
        assert.ok(aborted.status === 'rejected' && isStorageError(aborted.reason, 'aborted'));
        assert.deepEqual(pool.stats().messages, 1);
        assert.deepEqual(readdirSync(join(dst, dir)).sort(), ['big.bin', 's0', 's2'], 'the aborted file left nothing');
      } finally {
        await pool.close();
      }
    });
  }
});

