/**
 * TaskListCache alone, with a fake page builder and generation: what it reuses, what it rebuilds,
 * who can reach which entry, and its bounds. The end-to-end behaviour (real writes, both dialects)
 * is in test/tasks-list-cache.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TaskListCache } from './task-list-cache.js';
import type { TaskService } from './task-service.js';
import type { Principal } from './principal.js';
import type { ListQuery } from '../domain/list-query.js';
import type { OwnerScope } from '../store/task-repository.js';
import { ModelError } from '../domain/errors.js';

const alice: Principal = { userId: 'alice', username: 'alice', isAdmin: false, via: 'basic' };
const bob: Principal = { userId: 'bob', username: 'bob', isAdmin: false, via: 'basic' };
const admin: Principal = { userId: 'root', username: 'root', isAdmin: true, via: 'basic' };

/** A page builder that says who it built for, and counts builds. */
function fakeTasks(delay?: Promise<void>) {
  const calls: Array<{ q: ListQuery; scope: OwnerScope }> = [];
  const service = {
    async page(q: ListQuery, scope: OwnerScope) {
      calls.push({ q, scope });
      if (delay) await delay;
      return { count: calls.length, tasks: [{ owner: scope.all ? '*' : scope.userId, limit: q.limit, build: calls.length, text: 'é' }] };
    },
  } as unknown as TaskService;
  return { service, calls };
}

function setup(opts: { maxBytes?: number; enabled?: boolean } = {}) {
  const t = fakeTasks();
  let generation = 1;
  const cache = new TaskListCache(t.service, { current: async () => ({ tasks: generation, auth: 1 }) }, { enabled: opts.enabled ?? true, maxBytes: opts.maxBytes ?? 1 << 20 });
  return { cache, calls: t.calls, bump: () => void (generation += 1), setGeneration: (g: number) => void (generation = g) };
}

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));

describe('TaskListCache', () => {
  it('serves the same bytes while the generation holds, rebuilds when it moves', async () => {
    const { cache, calls, bump } = setup();
    const first = await cache.body(alice, { limit: '50' });
    assert.deepEqual(await cache.body(alice, { limit: 50 }), first, 'same normalized query, same bytes');
    assert.equal(calls.length, 1);
    bump();
    const second = await cache.body(alice, { limit: '50' });
    assert.equal(calls.length, 2);
    assert.notDeepEqual(second, first);
    assert.equal(first.toString('utf8'), JSON.stringify({ count: 1, tasks: [{ owner: 'alice', limit: 50, build: 1, text: 'é' }] }), 'exactly JSON.stringify of the page, UTF-8');
  });

  it('uses the generation the request already read, and reads it itself otherwise', async () => {
    const { cache, calls } = setup();
    await cache.body(alice, {}, 7);
    await cache.body(alice, {}, 7);
    assert.equal(calls.length, 1);
    await cache.body(alice, {}); // reads generation 1 from the source: another entry
    assert.equal(calls.length, 2);
  });

  it('never hands one owner’s entry to another; all=true is admin-only and has its own entry', async () => {
    const { cache, calls } = setup();
    assert.equal(json(await cache.body(alice, {})).tasks[0].owner, 'alice');
    assert.equal(json(await cache.body(bob, {})).tasks[0].owner, 'bob');
    assert.equal(json(await cache.body(admin, { all: 'true' })).tasks[0].owner, '*');
    assert.equal(json(await cache.body(admin, {})).tasks[0].owner, 'root', 'an admin without all=true lists their own tasks');
    assert.equal(calls.length, 4);
    await assert.rejects(cache.body(alice, { all: 'true' }), (e: unknown) => e instanceof ModelError && e.status === 403, 'cached everybody-list, still 403 for a non-admin');
    await assert.rejects(cache.body(alice, { limit: 'x' }), (e: unknown) => e instanceof ModelError && e.status === 422);
    assert.equal(calls.length, 4);
  });

  it('keys on the whole normalized query', async () => {
    const { cache, calls } = setup();
    await cache.body(alice, { limit: '10' });
    await cache.body(alice, { limit: '10', offset: '10' });
    await cache.body(alice, { limit: '10', sort_by: 'name' });
    await cache.body(alice, { limit: '10', name: '~a%' });
    await cache.body(alice, { limit: '10', name: '~b%' });
    await cache.body(alice, { limit: '10', unknown_parameter: 'ignored' });
    assert.equal(calls.length, 5, 'the unknown parameter changes nothing and reuses the first entry');
  });

  it('builds a page once for concurrent misses of the same generation', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = fakeTasks(gate);
    const cache = new TaskListCache(t.service, { current: async () => ({ tasks: 3, auth: 1 }) });
    const pending = Promise.all([cache.body(alice, {}), cache.body(alice, {}), cache.body(alice, {})]);
    release();
    const bodies = await pending;
    assert.equal(t.calls.length, 1);
    assert.ok(bodies.every((b) => b.equals(bodies[0] as Buffer)));
  });

  it('keeps a newer entry when an older build finishes last', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let slow = true;
    const builds: number[] = [];
    const service = {
      async page(_q: ListQuery, _s: OwnerScope) {
        const mine = builds.length + 1;
        builds.push(mine);
        if (slow && mine === 1) await gate;
        return { count: mine, tasks: [] };
      },
    } as unknown as TaskService;
    const cache = new TaskListCache(service, { current: async () => ({ tasks: 0, auth: 0 }) });
    const old = cache.body(alice, {}, 1); // generation 1, slow
    const fresh = await cache.body(alice, {}, 2); // generation 2, done first
    release();
    await old;
    slow = false;
    assert.deepEqual(await cache.body(alice, {}, 2), fresh, 'generation 2 is still cached');
    assert.equal(builds.length, 2);
  });

  it('stays within its byte budget, least recently used out first', async () => {
    const size = (await setup().cache.body(alice, { limit: '1' })).length; // limits 1–3: same size
    const budget = size * 2 + Math.floor(size / 2); // room for two bodies, not three
    const { cache, calls } = setup({ maxBytes: budget });
    await cache.body(alice, { limit: '1' });
    await cache.body(alice, { limit: '2' });
    await cache.body(alice, { limit: '1' }); // touch 1: 2 is now the oldest
    await cache.body(alice, { limit: '3' }); // evicts 2
    assert.ok(cache.stats().bytes <= budget);
    assert.equal(cache.stats().entries, 2);
    const before = calls.length;
    await cache.body(alice, { limit: '1' });
    assert.equal(calls.length, before, 'limit=1 survived');
    await cache.body(alice, { limit: '2' });
    assert.equal(calls.length, before + 1, 'limit=2 was evicted');
  });

  it('when disabled, builds every time and holds nothing', async () => {
    const { cache, calls } = setup({ enabled: false });
    const a = await cache.body(alice, {});
    await cache.body(alice, {});
    assert.equal(calls.length, 2);
    assert.equal(cache.stats().entries, 0);
    assert.equal(a.toString('utf8'), JSON.stringify({ count: 1, tasks: [{ owner: 'alice', limit: 100, build: 1, text: 'é' }] }));
  });
});
