import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rejectsWithCode } from './conformance/helpers.js';
import { DriverRegistry, builtinDriverRegistry, createDriver, driverKinds } from './registry.js';
import { MemoryDriver } from './memory/memory-driver.js';

describe('driver registry', () => {
  it('creates the built-in drivers by kind', async () => {
    assert.deepEqual(driverKinds(), ['azure', 'memory', 'posix', 's3']);
    const mem = await createDriver('memory', {});
    assert.equal(mem.kind, 'memory');
    const root = await fs.mkdtemp(join(tmpdir(), 'barge-registry-'));
    try {
      const posix = await createDriver('posix', { root });
      assert.equal(posix.kind, 'posix');
      await posix.close();
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('refuses unknown kinds, bad kinds and duplicates', async () => {
    await rejectsWithCode(() => createDriver('s4', {}), 'unsupported', 'unknown kind');
    const reg = new DriverRegistry();
    assert.throws(() => reg.register('Bad Kind', async () => new MemoryDriver()), /invalid driver kind/);
    reg.register('fake', async () => new MemoryDriver());
    assert.throws(() => reg.register('fake', async () => new MemoryDriver()), /already registered/);
    assert.equal(reg.has('fake'), true);
    assert.equal((await reg.create('fake', null)).kind, 'memory');
  });

  it('gives each caller an independent registry', () => {
    const a = builtinDriverRegistry();
    a.register('extra', async () => new MemoryDriver());
    assert.equal(builtinDriverRegistry().has('extra'), false);
  });
});
