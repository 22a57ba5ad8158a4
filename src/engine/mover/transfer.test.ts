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
