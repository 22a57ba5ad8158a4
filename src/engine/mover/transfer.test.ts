import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '../../storage/registry.js';
import type { StorageDriver } from '../../storage/driver.js';
import { transferFile } from './transfer.js';

describe('transferFile', () => {
  it('an abort while the destination is being opened fails the transfer and leaves nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'barge-transfer-'));
    await writeFile(join(root, 'a.bin'), Buffer.alloc(1 << 20, 7));
    const src = await createDriver('posix', { root });
    const abort = new AbortController();
    // A destination that is slow to open: the abort lands after openRead and before pipeline().
    const dst = new Proxy(src, {
      get(target, prop, receiver) {
        if (prop === 'openWrite') {
          return async (path: string, opts: object) => {
            abort.abort(new Error('force_stop'));
            await new Promise((r) => setImmediate(r));
            return (target as StorageDriver).openWrite(path, opts);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      // The streamed path (the posix → posix fast path never calls openWrite).
      const streamedSrc = new Proxy(src, { get: (target, prop, receiver) => (prop === 'transferTo' ? undefined : Reflect.get(target, prop, receiver)) });
      await assert.rejects(transferFile(streamedSrc, 'a.bin', dst, 'b.bin', { key: 'k', op: 'copy', src: { ep: 0, path: 'a.bin' }, size: 1 << 20, mtimeMs: 0 }, {
        checksum: null, resetFileDate: false, keepOwnership: false, signal: abort.signal, onBytes: () => {},
      }));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(uncaught, [], 'no uncaught exception');
      assert.equal(await src.stat('b.bin'), null, 'nothing visible');
    } finally {
      process.off('uncaughtException', onUncaught);
      await src.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('writePolicy / policyOptions', () => {
  it('give each file the options writeOptions gives it (without the signal), in one shape', async () => {
    const { writeOptions, writePolicy, policyOptions } = await import('./transfer.js');
    const base = { permissions: true, setOwnership: true, mtimePrecisionMs: 1, attributesAsMetadata: false, storageClasses: ['COLD'], objectLock: true, noReplace: true };
    const featureSets = [
      base,
      { ...base, permissions: false, setOwnership: false, mtimePrecisionMs: null, storageClasses: [], objectLock: false, noReplace: false },
      { ...base, attributesAsMetadata: true, setOwnership: true },
    ];
    const items = [
      { key: 'a', op: 'copy' as const, src: { ep: 0, path: '/a' }, dst: { ep: 0, path: '/a' }, size: 3, mtimeMs: 1000, atimeMs: 900, mode: 0o640, uid: 5, gid: 6 },
      { key: 'b', op: 'copy' as const, src: { ep: 0, path: '/b' }, dst: { ep: 0, path: '/b' }, size: 0, mtimeMs: 2000 },
    ];
    const locks = [
      { mode: null, retentionDays: null, legalHold: false },
      { mode: 'COMPLIANCE' as const, retentionDays: 2, legalHold: true },
    ];
    const signal = new AbortController().signal;
    let cases = 0;
    for (const features of featureSets) {
      const dst = { features } as unknown as StorageDriver;
      for (const resetFileDate of [false, true]) for (const keepOwnership of [false, true]) for (const lock of locks) for (const storageClass of [null, 'COLD', 'HOT']) for (const noReplace of [false, true]) {
        const opts = { resetFileDate, keepOwnership, storageClass, lock, noReplace, now: 1_000_000 };
        const policy = writePolicy(dst, opts);
        for (const item of items) {
          const { signal: _s, ...expected } = writeOptions(item, dst, { ...opts, signal });
          const got = policyOptions(policy, item, 'md5');
          const defined = Object.fromEntries(Object.entries(got).filter(([, v]) => v !== undefined));
          assert.deepEqual(defined, { ...expected, checksum: 'md5' });
          cases++;
        }
      }
    }
    assert.equal(cases, 3 * 2 * 2 * 2 * 3 * 2 * 2);
  });
});
