/**
 * The browse service's bounds, on a driver that lists a large folder in an unhelpful order: the page
 * is right whatever the order, a folder past the scan bound is cut and says so, the client's signal
 * reaches the driver, and unexpected driver failures are not disguised as path problems.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BrowseService } from './browse-service.js';
import type { Entry, SignalOptions, StorageDriver } from '../storage/driver.js';
import type { StorageResolver } from '../engine/storage-resolver.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import { StorageError } from '../storage/errors.js';
import type { Principal } from './principal.js';

const ADMIN: Principal = { userId: 'admin', username: 'admin', isAdmin: true, via: 'basic' };

/** A folder of `n` files named f<i>, listed in descending order (the worst for an ascending page). */
function fakeDriver(n: number, seen: { count: number; signal?: AbortSignal }, fail?: Error): StorageDriver {
  return {
    async *list(_dir: string, options: SignalOptions = {}): AsyncGenerator<Entry> {
      seen.signal = options.signal;
      if (fail) throw fail;
      for (let i = n - 1; i >= 0; i--) {
        seen.count += 1;
        yield { name: `f${String(i).padStart(6, '0')}`, kind: 'file', size: i, mtimeMs: 1_700_000_000_000 + i };
      }
    },
  } as unknown as StorageDriver;
}

function service(driver: StorageDriver, limits = {}): BrowseService {
  const repo = { findById: async (id: string) => ({ id, name: 'share' }), isReadable: async () => true } as unknown as RegistryRepository<any>;
  const resolver = { resolve: async () => ({ storageId: 's', driver }), close: async () => {} } as StorageResolver;
  return new BrowseService({ nas_shares: repo, cloud_buckets: repo }, resolver, limits);
}

describe('BrowseService bounds', () => {
  it('pages a 20 000-entry folder listed backwards, reading it once', async () => {
    const seen = { count: 0 };
    const page = await service(fakeDriver(20_000, seen)).list(ADMIN, 'nas_shares', 's', { limit: '3', offset: '5' });
    assert.deepEqual([page.count, page.truncated, page.files.map((f) => f.name)], [20_000, false, ['f000005', 'f000006', 'f000007']]);
    assert.equal(seen.count, 20_000);
  });

  it('cuts a folder past the scan bound and says so', async () => {
    const seen = { count: 0 };
    const page = await service(fakeDriver(1000, seen), { scan: 100 }).list(ADMIN, 'nas_shares', 's', { limit: '2' });
    assert.deepEqual([page.count, page.truncated, page.files.map((f) => f.name)], [100, true, ['f000900', 'f000901']]);
    assert.ok(seen.count <= 101, `read ${seen.count} entries`);
  });

  it('refuses pages past the window bound', async () => {
    await assert.rejects(service(fakeDriver(10, { count: 0 }), { window: 50 }).list(ADMIN, 'nas_shares', 's', { limit: '10', offset: '41' }), (err: any) => {
      assert.equal(err.status, 422);
      assert.deepEqual(err.details.offset, [{ error: 'less_than_or_equal_to', count: 40, value: 41 }]);
      return true;
    });
  });

  it('hands the caller\'s signal to the driver, and lets unexpected failures through', async () => {
    const seen: { count: number; signal?: AbortSignal } = { count: 0 };
    const abort = new AbortController();
    await service(fakeDriver(1, seen)).list(ADMIN, 'nas_shares', 's', {}, abort.signal);
    assert.equal(seen.signal, abort.signal);
    const io = await service(fakeDriver(1, { count: 0 }, new StorageError('io', 'disk on fire'))).list(ADMIN, 'nas_shares', 's', {}).catch((e) => e);
    assert.deepEqual([io.status, io.details.base], [422, [{ error: 'unavailable', reason: 'io' }]]);
    const bug = new TypeError('a bug');
    assert.equal(await service(fakeDriver(1, { count: 0 }, bug)).list(ADMIN, 'nas_shares', 's', {}).catch((e) => e), bug, 'not a storage error: a 500, not a refusal');
  });
});
