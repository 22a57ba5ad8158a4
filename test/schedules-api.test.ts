/**
 * The task schedule API on the real server (engine off: nothing runs, the bookkeeping stays where the
 * API put it), on SQLite and PostgreSQL: one schedule per task (POST replaces), show/update/destroy,
 * the list with its conventions and visibility, the 422s on `rrule` that say why, API-key scopes.
 * Rules are written relative to the process clock, so the suite holds under a moved clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, type Booted, type Client } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares, openToAll, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { rfc5545Utc } from './helpers/schedules.js';

const DAY = 86_400_000;

for (const dialect of dialects()) {
  describe(`task schedules API (${dialect})`, () => {
    let b: Booted;
    let shares: Record<string, { id: string; path: string }>;
    before(async () => {
      b = await boot({ dialect });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
      await openToAll(b.admin, shares);
    });
    after(async () => b?.stop());

    async function newTask(client: Client = b.admin): Promise<{ id: string; name: string }> {
      const r = await client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { id: r.body.id, name: r.body.name };
    }

    /** Daily at this time of day, starting tomorrow (process clock). */
    const daily = (extra = '') => `DTSTART:${rfc5545Utc(new Date(Date.now() + DAY))}\nRRULE:FREQ=DAILY${extra}`;

    it('one schedule per task: POST creates (201), GET shows, POST again replaces it, DELETE removes it', async () => {
      const task = await newTask();
      assertModelError(await b.admin.get(`/tasks/${task.id}/task_schedule`), 404);
      const start = new Date(Date.now() + DAY);
      const created = await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: `DTSTART;TZID=Europe/Brussels:${rfc5545Utc(start).slice(0, 15)}\nrrule:freq=daily;count=10` });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const s = created.body;
      assert.equal(s.task_id, task.id);
      assert.equal(s.rrule, `DTSTART;TZID=Europe/Brussels:${rfc5545Utc(start).slice(0, 15)}\nRRULE:FREQ=DAILY;COUNT=10`, 'returned normalized');
      assert.equal(s.done, false);
      assert.equal(s.catch_up, false);
      assert.equal(s.missed_count, 0);
      assert.equal(s.skipped_count, 0);
      assert.equal(s.refused_count, 0);
      assert.ok(!('missed_first' in s) && !('missed_last' in s) && !('last_error' in s) && !('last_run_at' in s), 'absent rather than null');
      assert.equal(s.time_zone, 'Europe/Brussels');
      assert.match(s.description, /^every day at .+ for 10 times, Europe\/Brussels$/);
      assert.equal(s.upcoming.length, 5);
      assert.equal(s.upcoming[0], s.next);
      assert.ok(Date.parse(s.next) > Date.now(), 'the first occurrence from now');
      assert.equal(Date.parse(s.upcoming[1]) - Date.parse(s.upcoming[0]) >= 23 * 3_600_000, true);

      const shown = await b.admin.get(`/tasks/${task.id}/task_schedule`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, s);
      // By name, as older clients address tasks.
      assert.equal((await b.admin.get(`/tasks/${encodeURIComponent(task.name)}/task_schedule`)).body.id, s.id);

      const replaced = await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: daily(), catch_up: true });
      assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
      assert.notEqual(replaced.body.id, s.id, 'a new schedule');
      assert.equal(replaced.body.catch_up, true);
      const list = await b.admin.get(`/task_schedules?task_id=${task.id}`);
      assert.equal(list.body.count, 1, 'still one schedule for the task');

      const del = await b.admin.delete(`/tasks/${task.id}/task_schedule`);
      assert.equal(del.status, 204);
      assertModelError(await b.admin.get(`/tasks/${task.id}/task_schedule`), 404);
      assertModelError(await b.admin.delete(`/tasks/${task.id}/task_schedule`), 404);
      assertModelError(await b.admin.get('/tasks/no-such-task/task_schedule'), 404);
    });

    it('PUT: catch_up alone keeps the bookkeeping; a new rule starts it again', async () => {
      const task = await newTask();
      const s = (await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: daily() })).body;
      const flag = await b.admin.put(`/tasks/${task.id}/task_schedule`, { catch_up: true });
      assert.equal(flag.status, 200, JSON.stringify(flag.body));
      assert.equal(flag.body.id, s.id);
      assert.equal(flag.body.catch_up, true);
      assert.equal(flag.body.next, s.next);
      assert.equal(flag.body.rrule, s.rrule);
      const weekly = `DTSTART:${rfc5545Utc(new Date(Date.now() + 2 * DAY))}\nRRULE:FREQ=WEEKLY`;
      const ruled = await b.admin.put(`/tasks/${task.id}/task_schedule`, { rrule: weekly });
      assert.equal(ruled.status, 200, JSON.stringify(ruled.body));
      assert.equal(ruled.body.id, s.id);
      assert.equal(ruled.body.catch_up, true, 'kept');
      assert.equal(Date.parse(ruled.body.upcoming[1]) - Date.parse(ruled.body.upcoming[0]), 7 * DAY);
      assert.notEqual(ruled.body.next, s.next);
      assertModelError(await b.admin.put(`/tasks/${(await newTask()).id}/task_schedule`, { catch_up: true }), 404);
    });

    it('refuses bad rules with a 422 on rrule that says why', async () => {
      const task = await newTask();
      const post = (body: unknown) => b.admin.post(`/tasks/${task.id}/task_schedule`, body);
      const reason = async (body: unknown, code: string, error: string, message: RegExp) => {
        const r = await post(body);
        assertModelError(r, 422, 'rrule', error);
        if (code) assert.equal(r.body.details.rrule[0].reason, code, JSON.stringify(r.body));
        assert.match(r.body.messages.join(' '), message);
      };
      await reason({}, '', 'blank', /can't be blank/);
      await reason({ rrule: '   ' }, '', 'blank', /can't be blank/);
      await reason({ rrule: 'FREQ=DAILY' }, 'invalid_rule', 'invalid', /not NAME:VALUE|no DTSTART/);
      await reason({ rrule: 'RRULE:FREQ=DAILY' }, 'invalid_rule', 'invalid', /no DTSTART/);
      await reason({ rrule: `${daily()}\nRRULE:FREQ=WEEKLY` }, 'invalid_rule', 'invalid', /more than one RRULE/);
      await reason({ rrule: daily(';BYHOUR=25') }, 'invalid_rule', 'invalid', /BYHOUR=25/);
      await reason({ rrule: daily().replace('DAILY', 'FORTNIGHTLY') }, 'invalid_rule', 'invalid', /FREQ=FORTNIGHTLY is not a frequency/);
      await reason({ rrule: 'DTSTART;TZID=Nowhere/Land:20260101T000000\nRRULE:FREQ=DAILY' }, 'invalid_rule', 'invalid', /time zone/i);
      await reason({ rrule: daily().replace('DAILY', 'MILLISECONDLY') }, 'finer_than_one_second', 'invalid', /finer than one second/);
      await reason({ rrule: `DTSTART:${rfc5545Utc(new Date(Date.now() + DAY)).replace('Z', '.250Z')}\nRRULE:FREQ=SECONDLY` }, 'finer_than_one_second', 'invalid', /finer than one second/);
      const past = rfc5545Utc(new Date(Date.now() - 10 * DAY));
      await reason({ rrule: `DTSTART:${past}\nRRULE:FREQ=DAILY;COUNT=3` }, 'no_future_occurrence', 'invalid', /no occurrence after/);
      await reason({ rrule: `DTSTART:${past}\nRRULE:FREQ=DAILY;UNTIL=${rfc5545Utc(new Date(Date.now() - DAY))}` }, 'no_future_occurrence', 'invalid', /no occurrence after/);
      assertModelError(await post({ rrule: 42 }), 422, 'rrule');
      assertModelError(await post({ rrule: daily(), catch_up: 'yes' }), 422, 'catch_up');
      assertModelError(await b.admin.put(`/tasks/${task.id}/task_schedule`, { rrule: 'nonsense' }), 404, undefined, undefined);
      // Nothing was stored by the refusals.
      assert.equal((await b.admin.get(`/task_schedules?task_id=${task.id}`)).body.count, 0);
      const ok = await post({ rrule: daily() });
      assert.equal(ok.status, 201);
      assertModelError(await b.admin.put(`/tasks/${task.id}/task_schedule`, { rrule: 'nonsense' }), 422, 'rrule', 'invalid');
      assert.equal((await b.admin.get(`/tasks/${task.id}/task_schedule`)).body.rrule, ok.body.rrule, 'a refused PUT changes nothing');
    });

    it('lists with the list conventions: filters task_id, done, next, rrule; sort; paging; visibility', async () => {
      const alice = await makeUser(b.admin);
      const bob = await makeUser(b.admin);
      const mine = [await newTask(alice.client), await newTask(alice.client), await newTask(alice.client)];
      const theirs = await newTask(bob.client);
      const offsets = [3, 1, 2];
      for (const [i, t] of mine.entries()) {
        const r = await alice.client.post(`/tasks/${t.id}/task_schedule`, { rrule: `DTSTART:${rfc5545Utc(new Date(Date.now() + (offsets[i] as number) * DAY))}\nRRULE:FREQ=WEEKLY` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      assert.equal((await bob.client.post(`/tasks/${theirs.id}/task_schedule`, { rrule: daily() })).status, 201);
      // Another user's task is a 404, as for every task sub-resource.
      assertModelError(await bob.client.get(`/tasks/${mine[0]!.id}/task_schedule`), 404);
      assertModelError(await bob.client.post(`/tasks/${mine[0]!.id}/task_schedule`, { rrule: daily() }), 404);
      assertModelError(await bob.client.delete(`/tasks/${mine[0]!.id}/task_schedule`), 404);

      const own = await alice.client.get('/task_schedules?sort_by=next');
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.equal(own.body.count, 3);
      assert.deepEqual(own.body.task_schedules.map((s: any) => s.task_id), [mine[1]!.id, mine[2]!.id, mine[0]!.id], 'sorted by next');
      const desc = await alice.client.get('/task_schedules?sort_by=next:desc&limit=1&offset=1');
      assert.equal(desc.body.count, 3);
      assert.deepEqual(desc.body.task_schedules.map((s: any) => s.task_id), [mine[2]!.id]);
      const soon = await alice.client.get(`/task_schedules?next=${encodeURIComponent(`<${new Date(Date.now() + 2.5 * DAY).toISOString()}`)}`);
      assert.deepEqual(soon.body.task_schedules.map((s: any) => s.task_id).sort(), [mine[1]!.id, mine[2]!.id].sort());
      assert.equal((await alice.client.get(`/task_schedules?task_id=${mine[0]!.id}`)).body.count, 1);
      assert.equal((await alice.client.get(`/task_schedules?task_id=${theirs.id}`)).body.count, 0, 'not visible');
      assert.equal((await alice.client.get('/task_schedules?done=false')).body.count, 3);
      assert.equal((await alice.client.get('/task_schedules?done=true')).body.count, 0);
      assert.equal((await alice.client.get(`/task_schedules?rrule=${encodeURIComponent('~%WEEKLY%')}`)).body.count, 3);
      const bare = await alice.client.get('/task_schedules?with_next=false');
      assert.ok(bare.body.task_schedules.every((s: any) => !('next' in s) && s.upcoming.length === 0));
      assertModelError(await alice.client.get('/task_schedules?done=maybe'), 422, 'done');
      assertModelError(await alice.client.get('/task_schedules?next=soon'), 422, 'next');
      assertModelError(await alice.client.get('/task_schedules?sort_by=rrule'), 422, 'sort_by');
      assertModelError(await alice.client.get('/task_schedules?all=true'), 403);
      const all = await b.admin.get(`/task_schedules?all=true&task_id=${encodeURIComponent(`><${mine[0]!.id}|${theirs.id}`)}`);
      assert.equal(all.body.count, 2, 'an admin lists everybody’s with all=true');
      // The admin sees any task's schedule by id.
      assert.equal((await b.admin.get(`/tasks/${theirs.id}/task_schedule`)).status, 200);
    });

    it('a schedule goes with its task', async () => {
      const task = await newTask();
      assert.equal((await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: daily() })).status, 201);
      assert.equal((await b.admin.delete(`/tasks/${task.id}`)).status, 204);
      assert.equal((await b.admin.get(`/task_schedules?task_id=${task.id}`)).body.count, 0);
      const rows = await b.barge.store.db.selectFrom('task_schedules').select('id').where('task_id', '=', task.id).execute();
      assert.equal(rows.length, 0);
    });

    it('API keys need the task_schedules scopes', async () => {
      const task = await newTask();
      const key = await b.admin.post('/users/me/api_keys', { name: unique('key'), api_key_scopes: [{ controller: 'task_schedules', action: 'show' }, { controller: 'task_schedules', action: 'index' }] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const client = b.api.withAuth(key.body.key);
      assert.equal((await b.admin.post(`/tasks/${task.id}/task_schedule`, { rrule: daily() })).status, 201);
      assert.equal((await client.get(`/tasks/${task.id}/task_schedule`)).status, 200);
      assert.equal((await client.get('/task_schedules')).status, 200);
      assertModelError(await client.post(`/tasks/${task.id}/task_schedule`, { rrule: daily() }), 403);
      assertModelError(await client.delete(`/tasks/${task.id}/task_schedule`), 403);
    });
  });
}
