/**
 * GET /tasks end to end: count before paging, limit/offset, default and explicit sort orders, every
 * seed filter attribute with every operator (expected sets computed from the seeded data by an
 * independent model of the operators), and the 422s of bad list parameters — on both dialects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { assertModelError, cmp, endpointMatches, matches, qs, sorted, OPERATORS } from './helpers/lists.js';
import { at, seedTasks, type Seeded } from './helpers/task-seed.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

type Attr = 'id' | 'name' | 'workflow_type' | 'workflow_action' | 'created_at' | 'updated_at';

for (const dialect of dialects()) {
  describe(`GET /tasks lists (${dialect})`, () => {
    let b: Booted;
    let seeded: Seeded[];
    const byName = (n: string) => seeded.find((t) => t.name === n) as Seeded;

    before(async () => {
      b = await boot({ dialect });
      seeded = await seedTasks(b);
    });
    after(async () => b?.stop());

    async function list(params: Record<string, string | number>): Promise<{ count: number; names: string[] }> {
      const r = await b.admin.get(`/tasks${qs(params)}`);
      assert.equal(r.status, 200, `${qs(params)} → ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.count, 'number');
      assert.ok(Array.isArray(r.body.tasks));
      return { count: r.body.count, names: r.body.tasks.map((t: { name: string }) => t.name) };
    }

    /** Asserts the filter returns exactly `expected` (as a set), and that count agrees. */
    async function expectSet(params: Record<string, string | number>, expected: string[]) {
      const { count, names } = await list(params);
      assert.deepEqual(sorted(names), sorted(expected), `${qs(params)}`);
      assert.equal(count, expected.length, `${qs(params)} count`);
    }

    const orderBy = (...keys: Array<[keyof Seeded, 'asc' | 'desc']>) =>
      [...seeded]
        .sort((a, b) => {
          for (const [k, dir] of keys) {
            const c = cmp(a[k] as string, b[k] as string);
            if (c !== 0) return dir === 'asc' ? c : -c;
          }
          return cmp(a.id, b.id);
        })
        .map((t) => t.name);

    it('count is the number of matches before paging', async () => {
      const total = seeded.length;
      assert.ok(total >= 12);
      let r = await list({ limit: 3 });
      assert.equal(r.count, total);
      assert.equal(r.names.length, 3);
      r = await list({ limit: 0 });
      assert.deepEqual(r, { count: total, names: [] });
      r = await list({ offset: total + 5 });
      assert.deepEqual(r, { count: total, names: [] });
      const copies = seeded.filter((t) => t.workflow_action === 'copy').length;
      r = await list({ workflow_action: 'copy', limit: 2, offset: 1 });
      assert.equal(r.count, copies);
      assert.equal(r.names.length, 2);
      assert.equal((await list({})).names.length, total, 'the default limit (100) shows everything here');
    });

    it('default order is newest first (created_at desc)', async () => {
      assert.deepEqual((await list({})).names, orderBy(['created_at', 'desc']));
    });

    it('limit/offset pages are disjoint, stable, and cover the whole ordered list', async () => {
      for (const sortBy of [undefined, 'name', 'workflow_type|name:desc']) {
        const base: Record<string, string | number> = sortBy ? { sort_by: sortBy } : {};
        const full = (await list(base)).names;
        const pages: string[][] = [];
        for (let offset = 0; offset < full.length; offset += 4) pages.push((await list({ ...base, limit: 4, offset })).names);
        assert.ok(pages.slice(0, -1).every((p) => p.length === 4));
        const flat = pages.flat();
        assert.equal(new Set(flat).size, flat.length, 'pages overlap');
        assert.deepEqual(flat, full, `paging with sort_by=${sortBy}`);
        assert.deepEqual((await list({ ...base, limit: 4, offset: 4 })).names, pages[1], 'same page twice, same rows');
      }
    });

    it('sort_by: one attribute, :asc/:desc, several pipe-separated keys', async () => {
      assert.deepEqual((await list({ sort_by: 'name' })).names, orderBy(['name', 'asc']));
      assert.deepEqual((await list({ sort_by: 'name:asc' })).names, orderBy(['name', 'asc']));
      assert.deepEqual((await list({ sort_by: 'name:desc' })).names, orderBy(['name', 'desc']));
      assert.deepEqual((await list({ sort_by: 'created_at:asc' })).names, orderBy(['created_at', 'asc']));
      assert.deepEqual((await list({ sort_by: 'updated_at:desc' })).names, orderBy(['updated_at', 'desc']));
      assert.deepEqual((await list({ sort_by: 'id' })).names, orderBy(['id', 'asc']));
      const multi = (await list({ sort_by: 'workflow_action:desc|name' })).names;
      assert.deepEqual(multi, orderBy(['workflow_action', 'desc'], ['name', 'asc']));
      assert.notDeepEqual(multi, orderBy(['workflow_action', 'desc'], ['name', 'desc']), 'the second key must matter for this seed');
      assert.deepEqual((await list({ sort_by: 'workflow_type|updated_at:desc' })).names, orderBy(['workflow_type', 'asc'], ['updated_at', 'desc']));
    });

    it('sort_by on an unknown attribute or with a bad direction is a 422', async () => {
      for (const sortBy of ['bogus', 'name|bogus', 'options', 'sources.type']) {
        const r = await b.admin.get(`/tasks${qs({ sort_by: sortBy })}`);
        assertModelError(r, 422, 'sort_by', 'inclusion');
        assert.equal(r.body.details.sort_by[0].error, 'inclusion');
      }
      assertModelError(await b.admin.get(`/tasks${qs({ sort_by: 'name:sideways' })}`), 422, 'sort_by', 'inclusion');
    });

    // Every operator on every scalar filter attribute, with values drawn from the seed.
    const pivots: Record<Attr, () => { kind: 'string' | 'date'; pivot: string; list: [string, string]; like: string }> = {
      id: () => ({ kind: 'string', pivot: sorted(seeded.map((t) => t.id))[6] as string, list: [byName('alpha').id, byName('kappa').id], like: `${byName('bat').id.slice(0, 8)}%` }),
      name: () => ({ kind: 'string', pivot: 'delta', list: ['alpha', 'gamma'], like: 'b_t%' }),
      workflow_type: () => ({ kind: 'string', pivot: 'data_migration', list: ['active_archive', 'maintenance'], like: '%archive' }),
      workflow_action: () => ({ kind: 'string', pivot: 'copy', list: ['scan', 'erase'], like: 'c%' }),
      created_at: () => ({ kind: 'date', pivot: '2025-01-02T00:00:00Z', list: ['2025-01-01T06:00:00Z', '2025-01-02T14:00:00+02:00'], like: '2025-01-02%' }),
      updated_at: () => ({ kind: 'date', pivot: '2025-01-03T03:00:00.000+02:00', list: ['2025-01-02T00:00:00.000Z', '2025-01-05T04:00:00Z'], like: '%T0_:00:00%' }),
    };
    for (const attr of Object.keys(pivots) as Attr[]) {
      it(`filter ${attr}: every operator`, async () => {
        const { kind, pivot, list: pair, like } = pivots[attr]();
        for (const op of OPERATORS) {
          const value = op === '><' || op === '!><' ? `${op}${pair.join('|')}` : op === '~' || op === '!~' ? `${op}${like}` : `${op}${pivot}`;
          const expected = seeded.filter((t) => matches(t[attr], value, kind)).map((t) => t.name);
          assert.ok(expected.length > 0 && expected.length < seeded.length, `${attr}${value} must discriminate (got ${expected.length})`);
          await expectSet({ [attr]: value }, expected);
        }
        // No operator means equality.
        await expectSet({ [attr]: pivot }, seeded.filter((t) => matches(t[attr], pivot, kind)).map((t) => t.name));
      });
    }

    it('name filters: LIKE with % and _, case, exact equality', async () => {
      await expectSet({ name: '~ba_' }, ['bat']);
      await expectSet({ name: '~b_t' }, ['bat', 'bet']);
      await expectSet({ name: '~b_t%' }, ['bat', 'bet', 'beta']);
      await expectSet({ name: '~%ta' }, ['beta', 'delta', 'zeta', 'eta', 'theta', 'iota']);
      await expectSet({ name: '~alpha%' }, ['alpha', 'alphabet']);
      await expectSet({ name: '~ALP%' }, ['alpha', 'alphabet']); // LIKE is case-insensitive on both dialects
      await expectSet({ name: '!~%a%' }, ['bet', 'epsilon']);
      await expectSet({ name: '!~%t%' }, seeded.filter((t) => !t.name.includes('t')).map((t) => t.name));
      await expectSet({ name: 'alpha' }, ['alpha']);
      await expectSet({ name: '=alpha' }, ['alpha']);
      await expectSet({ name: 'ALPHA' }, []);
      await expectSet({ name: '!=alpha' }, seeded.filter((t) => t.name !== 'alpha').map((t) => t.name));
      await expectSet({ name: '><alpha|gamma|nope' }, ['alpha', 'gamma']);
      await expectSet({ name: '!><alpha|gamma|nope' }, seeded.filter((t) => !['alpha', 'gamma'].includes(t.name)).map((t) => t.name));
    });

    it('date filters compare instants, whatever the offset or precision written', async () => {
      const since = (h: number) => seeded.filter((t) => t.created >= h).map((t) => t.name);
      const utc = await list({ created_at: '>=2025-01-02T00:00:00Z' });
      assert.deepEqual(sorted(utc.names), sorted(since(24)));
      assert.ok(utc.names.includes('bat'), 'bat was created exactly at the boundary');
      await expectSet({ created_at: '>=2025-01-02T02:00:00+02:00' }, since(24));
      await expectSet({ created_at: '>=2025-01-01T19:00:00-05:00' }, since(24));
      await expectSet({ created_at: '>=2025-01-02' }, since(24));
      await expectSet({ created_at: '>2025-01-02T00:00:00.000Z' }, seeded.filter((t) => t.created > 24).map((t) => t.name));
      await expectSet({ created_at: '>=2025-01-02T00:00:00+02:00' }, since(22));
      await expectSet({ created_at: '<2025-01-02T00:00:00+02:00' }, seeded.filter((t) => t.created < 22).map((t) => t.name));
      await expectSet({ created_at: '=2025-01-02T01:00:00+01:00' }, ['bat']);
      await expectSet({ created_at: '2025-01-02T00:00:00Z' }, ['bat']);
      await expectSet({ created_at: '><2025-01-01T03:00:00Z|2025-01-03T00:00:00+00:00' }, ['iota', 'beta']);
      await expectSet({ updated_at: '<=2025-01-02T01:00:00+01:00' }, seeded.filter((t) => t.updated <= 24).map((t) => t.name));
    });

    it('an invalid date filter is a 422 naming the attribute', async () => {
      assertModelError(await b.admin.get(`/tasks${qs({ created_at: '>=not-a-date' })}`), 422, 'created_at', 'invalid');
      assertModelError(await b.admin.get(`/tasks${qs({ updated_at: '><2025-01-01|garbage' })}`), 422, 'updated_at', 'invalid');
      assertModelError(await b.admin.get(`/tasks${qs({ created_at: '2025-13-45T99:00:00Z' })}`), 422, 'created_at', 'invalid');
    });

    it('sources.type / destinations.type: aliases are their plain kind, any endpoint matches', async () => {
      const check = async (attr: 'sources' | 'destinations', value: string) => {
        const expected = seeded.filter((t) => endpointMatches(t[attr], value)).map((t) => t.name);
        await expectSet({ [`${attr}.type`]: value }, expected);
        return expected;
      };
      const nas = await check('sources', 'nas');
      for (const n of ['alpha', 'alphabet', 'bet', 'delta', 'epsilon']) assert.ok(nas.includes(n), `sources.type=nas must match ${n}`);
      assert.ok(!nas.includes('bat') && !nas.includes('zeta'));
      assert.deepEqual(sorted(await check('sources', 'primary_nas')), sorted(nas));
      await check('sources', '=cloud');
      const notNas = await check('sources', '!=nas');
      assert.ok(notNas.includes('zeta') && notNas.includes('kappa'), 'tasks without sources have no nas source');
      assert.ok(!notNas.includes('epsilon'), 'a task with a nas source among others is excluded');
      await check('sources', '><cloud|tape');
      await check('sources', '!><nas|cloud');
      await check('sources', '~primary%');
      await check('sources', '~%nas');
      const notLike = await check('sources', '!~%nas');
      assert.ok(!notLike.includes('epsilon'), '!~ is the negation of ~, like != of =');
      await check('destinations', 'tape');
      await check('destinations', 'nas');
      const noDest = await check('destinations', '!><nas|cloud|tape');
      assert.deepEqual(sorted(noDest), sorted(seeded.filter((t) => t.destinations.length === 0).map((t) => t.name)));
      await check('destinations', '!=cloud');
      await check('destinations', '~%cloud');
      await check('destinations', '!~secondary%');
    });

    it('several filters are ANDed', async () => {
      const cases: Array<Record<string, string>> = [
        { workflow_type: 'data_migration', workflow_action: 'copy', 'sources.type': 'nas' },
        { name: '~%a', created_at: '>=2025-01-02', 'destinations.type': '!=cloud' },
        { workflow_action: '><copy|move|scan', updated_at: '<2025-01-04T00:00:00+01:00', name: '!=gamma' },
      ];
      for (const c of cases) {
        const expected = seeded
          .filter((t) =>
            Object.entries(c).every(([k, v]) =>
              k === 'sources.type' ? endpointMatches(t.sources, v) : k === 'destinations.type' ? endpointMatches(t.destinations, v) : matches(t[k as Attr], v, k.endsWith('_at') ? 'date' : 'string'),
            ),
          )
          .map((t) => t.name);
        assert.ok(expected.length > 0);
        for (const k of Object.keys(c)) {
          const alone = seeded.filter((t) => (k.includes('.') ? endpointMatches(t[k.split('.')[0] as 'sources'], c[k]!) : matches(t[k as Attr], c[k]!, k.endsWith('_at') ? 'date' : 'string')));
          assert.ok(alone.length > expected.length || Object.keys(c).length === 1, `${k} alone must match more than the conjunction`);
        }
        await expectSet(c, expected);
        await expectSet({ ...c, sort_by: 'name' }, expected);
      }
    });

    it('bad limit/offset are 422 model_errors with Rails codes', async () => {
      const cases: Array<[Record<string, string>, string, string]> = [
        [{ limit: 'abc' }, 'limit', 'not_a_number'],
        [{ limit: '-1' }, 'limit', 'greater_than_or_equal_to'],
        [{ limit: '1001' }, 'limit', 'less_than_or_equal_to'],
        [{ offset: '-1' }, 'offset', 'greater_than_or_equal_to'],
        [{ limit: '1.5' }, 'limit', 'not_an_integer'],
        [{ offset: 'x1' }, 'offset', 'not_a_number'],
      ];
      for (const [params, attr, code] of cases) {
        const r = await b.admin.get(`/tasks${qs(params)}`);
        assertModelError(r, 422, attr, code);
        assert.equal(r.body.details[attr][0].error, code, qs(params));
      }
      const limit = await b.admin.get(`/tasks${qs({ limit: '1001' })}`);
      assert.equal(limit.body.details.limit[0].count, 1000);
      assert.equal((await b.admin.get(`/tasks${qs({ limit: 1000 })}`)).status, 200);
      // Several problems are reported at once.
      const many = await b.admin.get(`/tasks${qs({ limit: '-1', offset: '-2', sort_by: 'bogus', created_at: 'nope' })}`);
      assertModelError(many, 422);
      assert.deepEqual(Object.keys(many.body.details).sort(), ['created_at', 'limit', 'offset', 'sort_by']);
      assert.equal(many.body.messages.length, 4);
    });
  });
}

for (const dialect of dialects()) {
  describe(`GET /task_executions lists (${dialect})`, () => {
    let b: Booted;
    /** Executions by label: A1 (stopped), A2 (in_queue), B1 (paused), C1 (stopped). */
    const ex: Record<string, { id: string; task: string; created_at: string }> = {};
    const task: Record<string, string> = {};
    const labelOf = (id: string) => Object.keys(ex).find((k) => ex[k]!.id === id) ?? id;

    before(async () => {
      b = await boot({ dialect });
      const shares = await nasWithShares(b.admin, ['src', 'dst']);
      for (const t of ['A', 'B', 'C']) {
        const r = await b.admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        task[t] = r.body.id;
      }
      const run = async (label: string, t: string, then?: string) => {
        const r = await b.admin.put(`/tasks/${task[t]}/action/run`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        ex[label] = { id: r.body.execution_id, task: t, created_at: '' };
        if (then) assert.equal((await b.admin.put(`/tasks/${task[t]}/action/${then}`)).status, 200);
      };
      await run('A1', 'A', 'force_stop');
      await run('B1', 'B', 'pause');
      await run('C1', 'C', 'stop');
      await run('A2', 'A');
      for (const [i, label] of ['A1', 'B1', 'C1', 'A2'].entries()) {
        ex[label]!.created_at = at(i * 10);
        await b.barge.store.db.updateTable('task_executions').set({ created_at: ex[label]!.created_at }).where('id', '=', ex[label]!.id).execute();
      }
    });
    after(async () => b?.stop());

    async function labels(path: string, params: Record<string, string | number> = {}): Promise<{ count: number; labels: string[]; rows: any[] }> {
      const r = await b.admin.get(`${path}${qs(params)}`);
      assert.equal(r.status, 200, `${path}${qs(params)} → ${JSON.stringify(r.body)}`);
      return { count: r.body.count, labels: r.body.task_executions.map((e: { id: string }) => labelOf(e.id)), rows: r.body.task_executions };
    }

    it('lists every execution, newest first, with their states', async () => {
      const all = await labels('/task_executions');
      assert.deepEqual(all.labels, ['A2', 'C1', 'B1', 'A1']);
      assert.equal(all.count, 4);
      const status = Object.fromEntries(all.rows.map((e: any) => [labelOf(e.id), e.status]));
      assert.deepEqual(status, { A1: 'stopped_by_user', A2: 'in_queue', B1: 'paused', C1: 'stopped_by_user' });
    });

    it('status filters with =, !=, ><, !><, ~, !~', async () => {
      const cases: Array<[string, string[]]> = [
        ['stopped_by_user', ['A1', 'C1']],
        ['=in_queue', ['A2']],
        ['!=stopped_by_user', ['A2', 'B1']],
        ['><in_queue|paused', ['A2', 'B1']],
        ['!><in_queue|paused', ['A1', 'C1']],
        ['~stop%', ['A1', 'C1']],
        ['!~%_%', []], // every status has at least one character
        ['!~%user', ['A2', 'B1']],
        ['~pa_sed', ['B1']],
        ['running', []],
      ];
      for (const [value, expected] of cases) {
        const r = await labels('/task_executions', { status: value });
        assert.deepEqual(sorted(r.labels), sorted(expected), `status=${value}`);
        assert.equal(r.count, expected.length);
      }
      const progress = await labels('/task_executions', { progress: '>=256' });
      assert.deepEqual(sorted(progress.labels), ['A1', 'B1', 'C1']);
      assertModelError(await b.admin.get(`/task_executions${qs({ progress: 'lots' })}`), 422, 'progress', 'not_a_number');
    });

    it('sorts (multi-key), pages with count before paging, filters dates and task ids', async () => {
      assert.deepEqual((await labels('/task_executions', { sort_by: 'status|created_at:desc' })).labels, ['A2', 'B1', 'C1', 'A1']);
      assert.deepEqual((await labels('/task_executions', { sort_by: 'status:desc|created_at' })).labels, ['A1', 'C1', 'B1', 'A2']);
      const page = await labels('/task_executions', { sort_by: 'created_at:asc', limit: 2, offset: 1 });
      assert.deepEqual(page, { ...page, count: 4, labels: ['B1', 'C1'] });
      assert.deepEqual(sorted((await labels('/task_executions', { created_at: '>=2025-01-01T11:00:00+02:00' })).labels), ['A2', 'B1', 'C1']);
      assert.deepEqual(sorted((await labels('/task_executions', { task_id: `><${task.A}|${task.C}` })).labels), ['A1', 'A2', 'C1']);
      assertModelError(await b.admin.get(`/task_executions${qs({ sort_by: 'name' })}`), 422, 'sort_by', 'inclusion');
      assertModelError(await b.admin.get(`/task_executions${qs({ limit: -1 })}`), 422, 'limit', 'greater_than_or_equal_to');
      assertModelError(await b.admin.get(`/task_executions${qs({ created_at: 'yesterday-ish' })}`), 422, 'created_at', 'invalid');
    });

    it('/tasks/{id}/task_executions is limited to that task, with the same filters and sorts', async () => {
      let r = await labels(`/tasks/${task.A}/task_executions`);
      assert.deepEqual(r.labels, ['A2', 'A1']);
      assert.equal(r.count, 2);
      assert.deepEqual((await labels(`/tasks/${task.A}/task_executions`, { sort_by: 'created_at:asc' })).labels, ['A1', 'A2']);
      r = await labels(`/tasks/${task.A}/task_executions`, { status: 'stopped_by_user' });
      assert.deepEqual(r.labels, ['A1']);
      assert.equal(r.count, 1);
      assert.deepEqual((await labels(`/tasks/${task.A}/task_executions`, { status: '!=stopped_by_user' })).labels, ['A2']);
      r = await labels(`/tasks/${task.B}/task_executions`, { status: 'in_queue' });
      assert.deepEqual(r, { ...r, count: 0, labels: [] });
      r = await labels(`/tasks/${task.C}/task_executions`, { limit: 0 });
      assert.deepEqual(r, { ...r, count: 1, labels: [] });
      assertModelError(await b.admin.get(`/tasks/${task.A}/task_executions${qs({ sort_by: 'bogus:desc' })}`), 422, 'sort_by', 'inclusion');
      assertModelError(await b.admin.get('/tasks/no-such-task/task_executions'), 404, 'id', 'not_found');
    });
  });
}
