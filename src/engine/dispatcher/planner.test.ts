/**
 * The planner's memory of destination folders, with nothing written between plans (the worst case:
 * movers have not caught up): `conflict_resolution: rename` must never give one name out twice,
 * however many folders the walk visits in between, with one source root or several.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError, isStorageError } from '../../storage/errors.js';
import { MemoryDriver } from '../../storage/memory/memory-driver.js';
import type { Entry } from '../../storage/driver.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { Planner, destinationBases, sourceRoots } from './planner.js';
import type { WalkEntry } from './walker.js';
import type { WorkItem } from '../queue/work-item.js';

function endpoint(id: string): TaskSnapshot['sources'][number] {
  return { id, type: 'nas', storage_id: id, node_paths: ['/'] };
}

async function context(sourceCount: number, existing: string[]): Promise<ExecutionContext> {
  const dst = new MemoryDriver();
  for (const path of existing) {
    const w = await dst.openWrite(path);
    w.stream.end('old');
    await w.commit();
  }
  const sources = Array.from({ length: sourceCount }, (_, i) => endpoint(`src${i}`));
  const snapshot: TaskSnapshot = {
    id: 'task', name: 'task', workflow_type: 'data_migration', workflow_action: 'move', metadata: {},
    options: { conflict_resolution: 'rename' }, sources, destinations: [endpoint('dst')],
  };
  return new ExecutionContext('exe', 'task', snapshot, sources.map((s) => ({ storageId: s.id, driver: new MemoryDriver() })), [{ storageId: 'dst', driver: dst }], 'in_progress');
}

function entry(ep: number, path: string, kind: Entry['kind'] = 'file'): WalkEntry {
  const segments = path.split('/').filter(Boolean);
  return { path, position: { ep, np: 0, path: segments }, entry: { name: segments.at(-1) ?? '', kind, size: 3, mtimeMs: 0 } };
}

/** Walk order of one source: `r (1).txt`, 300 folders of one file each, `r.txt`. */
function walkOf(ep: number): WalkEntry[] {
  const out = [entry(ep, '/r (1).txt'), entry(ep, '/r +', 'dir')];
  for (let i = 0; i < 300; i++) out.push(entry(ep, `/r +/d${i}`, 'dir'), entry(ep, `/r +/d${i}/f.txt`));
  out.push(entry(ep, '/r.txt'));
  return out;
}

async function planAll(planner: Planner, walks: WalkEntry[]): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  for (const w of walks) items.push(...await planner.plan(w, `${w.position.ep}:${w.path}`));
  return items;
}

function targets(items: WorkItem[]): string[] {
  return items.filter((i) => i.op === 'move').map((i) => i.dst!.path);
}

describe('planner: rename across a long walk', () => {
  it('one source root: a name given out before 300 folders is not given out again', async () => {
    const items = await planAll(new Planner(await context(1, ['/r.txt'])), walkOf(0));
    const t = targets(items);
    assert.equal(new Set(t).size, t.length, 'every destination path is distinct');
    assert.equal(t[0], '/r (1).txt');
    assert.equal(t.at(-1), '/r (2).txt');
  });

  it('several source roots merging into one folder: every file gets a path of its own', async () => {
    const items = await planAll(new Planner(await context(2, [])), [...walkOf(0), ...walkOf(1)]);
    const t = targets(items);
    assert.equal(t.length, 2 * 302);
    assert.equal(new Set(t).size, t.length, 'every destination path is distinct');
    const top = t.filter((p) => !p.slice(1).includes('/')).sort();
    assert.deepEqual(top, ['/r (1) (1).txt', '/r (1).txt', '/r (2).txt', '/r.txt']);
  });
});

describe('planner: a walk resumed after a crash', () => {
  it('takes again the names handed out before the crash, on the walk\'s path only', async () => {
    const ctx = await context(1, ['/r.txt']);
    const planner = new Planner(ctx);
    // Before the crash: `r (1).txt` was handed out (not yet written) in `/`, `x.txt` in a folder the walk had left.
    const before = async function* (): AsyncGenerator<WorkItem[]> {
      yield [{ key: 'a', op: 'move', src: { ep: 0, path: '/r (1).txt' }, dst: { ep: 0, path: '/r (1).txt' }, size: 1, mtimeMs: 0 }];
      yield [{ key: 'b', op: 'move', src: { ep: 0, path: '/a/x.txt' }, dst: { ep: 0, path: '/a/x.txt' }, size: 1, mtimeMs: 0 }];
    };
    await planner.remember(before(), '/r +/d5/f.txt', false);
    const [item] = await planner.plan(entry(0, '/r.txt'), '0:0:/r.txt');
    assert.equal(item?.dst?.path, '/r (2).txt', 'not the name handed out before the crash');
    const memory = (planner as unknown as { memory: { planned: Map<string, Set<string>> } }).memory;
    assert.equal(memory.planned.has('0:/a'), false, 'a folder the walk had left is not kept');
  });
});

describe('planner: node paths', () => {
  it('relative source and destination paths resolve against working_dir; an escaping one fails, never becomes the root', async () => {
    const ctx = await context(1, []);
    const at = (wd: string, src: string[], dst: string[]): ExecutionContext => {
      const snapshot = { ...ctx.snapshot, options: { working_dir: wd }, sources: [{ ...endpoint('src0'), node_paths: src }], destinations: [{ ...endpoint('dst'), node_paths: dst }] };
      return new ExecutionContext('exe', 'task', snapshot, ctx.sources, ctx.destinations, 'in_progress');
    };
    const ok = at('/proj', ['a.txt', '/abs'], ['out']);
    assert.deepEqual(sourceRoots(ok), [['/proj/a.txt', '/abs']]);
    assert.deepEqual(destinationBases(ok), ['/proj/out']);
    const bad = at('/proj', ['../../x'], ['../../y']);
    assert.throws(() => sourceRoots(bad), (err: unknown) => isStorageError(err, 'path_escape'));
    assert.throws(() => destinationBases(bad), (err: unknown) => isStorageError(err, 'path_escape'));
  });
});

describe('planner: failures become failed items, never a failed walk', () => {
  it('a folder the walk could not list is one fail item with its error; a destination folder that cannot be listed fails its files', async () => {
    const ctx = await context(1, []);
    const planner = new Planner(ctx);
    const w = { ...entry(0, '/locked', 'dir'), failure: new StorageError('permission_denied', 'denied', { path: '/locked' }) };
    w.position = { ...w.position, path: [...w.position.path, ''] };
    const [item, ...rest] = await planner.plan(w, '0:0:/locked');
    assert.deepEqual(rest, []);
    assert.equal(item?.op, 'fail');
    assert.equal(item?.key, '0:0:/locked/');
    assert.equal(item?.error?.code, 'permission_denied');

    const dst = ctx.destinations[0]!.driver;
    const broken = Object.assign(Object.create(dst) as typeof dst, {
      list: async function* (): AsyncGenerator<Entry> { throw new StorageError('io', 'disk on fire'); },
    });
    const ctx2 = new ExecutionContext('exe', 'task', ctx.snapshot, ctx.sources, [{ storageId: 'dst', driver: broken }], 'in_progress');
    const [f] = await new Planner(ctx2).plan(entry(0, '/a.txt'), '0:0:/a.txt');
    assert.equal(f?.op, 'fail');
    assert.equal(f?.error?.code, 'io');
    assert.equal(f?.dst?.path, '/a.txt');
  });
});

describe('planner: files planned without waiting', () => {
  it('a file whose destination folder is known is planned at once, with the items plan gives', async () => {
    for (const conflict of ['ignore', 'rename', 'overwrite'] as const) {
      const ctx = await context(1, ['/a/x.txt']);
      const snapshot = { ...ctx.snapshot, workflow_action: 'move', options: { conflict_resolution: conflict } };
      const at = () => new ExecutionContext('exe', 'task', snapshot, ctx.sources, ctx.destinations, 'in_progress');
      const walked = [entry(0, '/a', 'dir'), entry(0, '/a/w.txt'), entry(0, '/a/x.txt'), entry(0, '/a/y.txt')];
      const quick = new Planner(at());
      const items: WorkItem[] = [];
      const waited = [];
      for (const w of walked) {
        const pending = quick.planInto(w, `0:${w.path}`, items); // keys as planAll makes them
        waited.push(pending !== undefined);
        await pending;
      }
      // The folder waits for its parent's listing (it exists there, so its own is read too: the first
      // file waits), and a rename of an existing name waits.
      const expected = conflict === 'overwrite' ? [false, false, false, false] : conflict === 'rename' ? [true, true, true, false] : [true, true, false, false];
      assert.deepEqual(waited, expected, conflict);
      const slow = new Planner(at());
      assert.deepEqual(items, await planAll(slow, walked), conflict);
      const x = items.find((i) => i.src.path === '/a/x.txt');
      assert.equal(conflict === 'ignore' ? x?.op : x?.dst?.path, { ignore: 'skip', rename: '/a/x (1).txt', overwrite: '/a/x.txt' }[conflict]);
    }
  });
});

/** The destination of `ctx` with its `list` calls counted (which folders were listed, in order). */
function countingDestination(ctx: ExecutionContext): { ctx: ExecutionContext; listed: string[] } {
  const dst = ctx.destinations[0]!.driver;
  const listed: string[] = [];
  const counted = Object.assign(Object.create(dst) as typeof dst, {
    list: (dir: string, options?: { signal?: AbortSignal }) => {
      listed.push(dir);
      return dst.list(dir, options);
    },
  });
  return { ctx: new ExecutionContext('exe', 'task', ctx.snapshot, ctx.sources, [{ storageId: 'dst', driver: counted }], 'in_progress'), listed };
}

describe('planner: folders new at the destination are not listed', () => {
  /** A walk from the source root: the base, then `/a/b` nested and `/c`, each folder with two files. */
  const tree = (): WalkEntry[] => [
    { path: '/', position: { ep: 0, np: 0, path: [] }, entry: { name: '', kind: 'dir', size: 0, mtimeMs: 0 } },
    entry(0, '/a', 'dir'), entry(0, '/a/b', 'dir'), entry(0, '/a/b/x.txt'), entry(0, '/a/b/y.txt'),
    entry(0, '/a/x.txt'), entry(0, '/a/y.txt'), entry(0, '/c', 'dir'), entry(0, '/c/x.txt'), entry(0, '/c/y.txt'),
  ];

  it('a fresh destination is listed once, at its base, and every file keeps its name', async () => {
    const { ctx, listed } = countingDestination(await context(1, []));
    const items = await planAll(new Planner(ctx), tree());
    assert.deepEqual(listed, ['/']);
    assert.deepEqual(targets(items), ['/a/b/x.txt', '/a/b/y.txt', '/a/x.txt', '/a/y.txt', '/c/x.txt', '/c/y.txt']);
    assert.deepEqual(items.filter((i) => i.op === 'mkdir').map((i) => i.dst?.path), ['/', '/a', '/a/b', '/c']);
  });

  it('a folder that exists is listed, and its files are renamed around what is there; new folders below it are not', async () => {
    const { ctx, listed } = countingDestination(await context(1, ['/a/x.txt', '/c/keep.txt']));
    const items = await planAll(new Planner(ctx), tree());
    assert.deepEqual(listed, ['/', '/a', '/c']);
    assert.deepEqual(targets(items), ['/a/b/x.txt', '/a/b/y.txt', '/a/x (1).txt', '/a/y.txt', '/c/x.txt', '/c/y.txt']);
  });

  it('a walk that starts below its base (a resumed one) reads the parent of its first folder, not the folder', async () => {
    const { ctx, listed } = countingDestination(await context(1, ['/a/b/x.txt']));
    const items = await planAll(new Planner(ctx), tree().slice(2));
    assert.deepEqual(listed, ['/a', '/a/b', '/']);
    assert.equal(targets(items)[0], '/a/b/x (1).txt');
  });

  it('a parent that cannot be listed does not fail the folder: its files fail on their own listing', async () => {
    const base = await context(1, []);
    const dst = base.destinations[0]!.driver;
    const broken = Object.assign(Object.create(dst) as typeof dst, {
      list: async function* (): AsyncGenerator<Entry> { throw new StorageError('io', 'disk on fire'); },
    });
    const ctx = new ExecutionContext('exe', 'task', base.snapshot, base.sources, [{ storageId: 'dst', driver: broken }], 'in_progress');
    const items = await planAll(new Planner(ctx), tree().slice(1, 4));
    assert.deepEqual(items.map((i) => i.op), ['mkdir', 'mkdir', 'fail']);
    assert.equal(items[2]?.error?.code, 'io');
  });
});
