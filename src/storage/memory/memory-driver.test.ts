import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConformance } from '../conformance/conformance.js';
import { readBytes, rejectsWithCode, writeBytes } from '../conformance/helpers.js';
import { MemoryDriver, createMemoryDriver } from './memory-driver.js';

runConformance('memory', async () => ({ driver: new MemoryDriver(), cleanup: async () => {} }));

describe('memory driver specifics', () => {
  it('enforces capacityBytes with no_space and frees space on abort and remove', async () => {
    const d = new MemoryDriver({ capacityBytes: 1000 });
    await writeBytes(d, 'a', Buffer.alloc(600));
    const w = await d.openWrite('b');
    w.stream.write(Buffer.alloc(300));
    await rejectsWithCode(async () => {
      w.stream.end(Buffer.alloc(300));
      await w.commit();
    }, 'no_space', 'write beyond capacity');
    assert.equal(d.bytesUsed, 600, 'aborted write releases its bytes');
    assert.equal(await d.stat('b'), null);
    await writeBytes(d, 'a', Buffer.alloc(100));
    assert.equal(d.bytesUsed, 100, 'overwrite releases the old bytes');
    assert.equal(await d.remove('a'), true);
    assert.equal(d.bytesUsed, 0);
  });

  it('readers keep the version they opened while an overwrite commits', async () => {
    const d = new MemoryDriver();
    await writeBytes(d, 'v', 'version one');
    const reader = await d.openRead('v');
    await writeBytes(d, 'v', 'version two');
    const chunks: Buffer[] = [];
    for await (const c of reader) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'version one');
    assert.equal((await readBytes(d, 'v')).toString(), 'version two');
  });

  it('validates its config through the factory', async () => {
    await rejectsWithCode(() => createMemoryDriver({ capacityBytes: -1 }), 'invalid_argument', 'negative capacity');
    await rejectsWithCode(() => createMemoryDriver('nope'), 'invalid_argument', 'string config');
    assert.equal((await createMemoryDriver(undefined)).kind, 'memory');
  });
});
