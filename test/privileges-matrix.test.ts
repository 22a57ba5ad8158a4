/**
 * Storage privileges (#15) as a matrix on the real server, on each store: who has a right on a share
 * (the user's own entry, a group's, the guest right, and the precedence between them) × what the task
 * does with it (copy, move, erase, scan, check_consistency, restore, browse) × where it is checked
 * (create, update, run, defer_run, run_defer). The expected outcome comes from the table of
 * rights, written out here, never from Barge's own code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted, type Client } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

type Right = 'none' | 'read' | 'read_write';
const RANK: Record<Right, number> = { none: 0, read: 1, read_write: 2 };

/** One way of giving the user a right on a share, and the right the user then has (the oracle). */
interface GrantCase {
  name: string;
  guest: Right;
  user?: Right;
  /** One group per entry, each holding the user, each with this right on the share. */
  groups?: Right[];
  has: Right;
}

const CASES: GrantCase[] = [
  { name: 'nothing granted', guest: 'none', has: 'none' },
  { name: 'guest read', guest: 'read', has: 'read' },
  { name: 'guest read_write', guest: 'read_write', has: 'read_write' },
  { name: 'user read', guest: 'none', user: 'read', has: 'read' },
  { name: 'user read_write', guest: 'none', user: 'read_write', has: 'read_write' },
  { name: 'group read', guest: 'none', groups: ['read'], has: 'read' },
  { name: 'group read_write', guest: 'none', groups: ['read_write'], has: 'read_write' },
  { name: 'user none overrides guest read_write', guest: 'read_write', user: 'none', has: 'none' },
  { name: 'group none overrides guest read', guest: 'read', groups: ['none'], has: 'none' },
  { name: 'user read overrides group read_write', guest: 'none', user: 'read', groups: ['read_write'], has: 'read' },
  { name: 'best of two groups', guest: 'none', groups: ['read', 'read_write'], has: 'read_write' },
];

/** Which endpoint of which action is under test, and the right the issue says it needs. */
interface Side {
  action: string;
  side: 'source' | 'destination' | 'backup';
  needs: Right;
}

const SIDES: Side[] = [
  { action: 'copy', side: 'source', needs: 'read' },
  { action: 'copy', side: 'destination', needs: 'read_write' },
  { action: 'move', side: 'source', needs: 'read_write' },
  { action: 'move', side: 'destination', needs: 'read_write' },
  { action: 'erase', side: 'source', needs: 'read_write' },
  { action: 'scan', side: 'source', needs: 'read' },
  { action: 'check_consistency', side: 'source', needs: 'read' },
  { action: 'check_consistency', side: 'destination', needs: 'read' },
  { action: 'restore', side: 'backup', needs: 'read' },
  { action: 'restore', side: 'destination', needs: 'read_write' },
];

const WORKFLOW_TYPE: Record<string, string> = { erase: 'maintenance', scan: 'data_enrichment', check_consistency: 'maintenance', restore: 'data_migration' };

for (const dialect of dialects()) {
  describe(`storage privileges matrix (${dialect})`, () => {
    let b: Booted;
    let user: { id: string; client: Client; username: string };
    before(async () => {
      b = await boot({ dialect });
      user = await makeUser(b.admin);
    });
    after(async () => b?.stop());

    /** A fresh share with the case's grants for `user` (and, for the other endpoints, a share open to all). */
    async function share(grants: GrantCase | 'open'): Promise<{ id: string; name: string }> {
      const s = (await nasWithShares(b.admin, ['s'])).s!;
      const name = (await b.admin.get(`/nas_shares/${s.id}`)).body.name as string;
      const c: GrantCase = grants === 'open' ? { name: 'open', guest: 'read_write', has: 'read_write' } : grants;
      assert.equal((await b.admin.put(`/nas_shares/${s.id}`, { guest_right: c.guest })).status, 200);
      if (c.user) assert.equal((await b.admin.post(`/nas_shares/${s.id}/privileges`, { name: user.username, type: 'user', privilege: c.user })).status, 201);
      for (const right of c.groups ?? []) {
        const g = await b.admin.post('/groups', { name: unique('g'), users: [user.username] });
        assert.equal(g.status, 201, JSON.stringify(g.body));
        assert.equal((await b.admin.post(`/nas_shares/${s.id}/privileges`, { name: g.body.name, type: 'group', privilege: right })).status, 201);
      }
      return { id: s.id, name };
    }

    /** Sets the share's grants to the case after the fact (a right withdrawn or given later). */
    async function regrant(shareId: string, c: GrantCase): Promise<void> {
      for (const p of (await b.admin.get(`/nas_shares/${shareId}/privileges`)).body.privileges) {
        assert.equal((await b.admin.delete(`/nas_shares/${shareId}/privileges/${p.id}`)).status, 204);
      }
      assert.equal((await b.admin.put(`/nas_shares/${shareId}`, { guest_right: c.guest })).status, 200);
      if (c.user) assert.equal((await b.admin.post(`/nas_shares/${shareId}/privileges`, { name: user.username, type: 'user', privilege: c.user })).status, 201);
      for (const right of c.groups ?? []) {
        const g = await b.admin.post('/groups', { name: unique('g'), users: [user.username] });
        assert.equal((await b.admin.post(`/nas_shares/${shareId}/privileges`, { name: g.body.name, type: 'group', privilege: right })).status, 201);
      }
    }

    /** A backup execution of the user's, finished (the engine is off: its row is set done). */
    async function finishedBackup(on: string): Promise<string> {
      const src = await share('open');
      const t = await user.client.post('/tasks', {
        name: unique('backup'), workflow_type: 'data_migration', workflow_action: 'full_backup',
        sources: [{ type: 'nas', storage_id: src.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: on, node_paths: ['/'] }],
      });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const run = await user.client.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      await b.barge.store.db.updateTable('task_executions').set({ state: 'done', finished_at: new Date().toISOString() }).where('id', '=', run.body.execution_id).execute();
      return run.body.execution_id as string;
    }

    /** The task body for a side under test, with `tested` at that side and open shares elsewhere. */
    async function taskBody(s: Side, tested: string): Promise<{ body: Record<string, unknown>; attribute: string }> {
      const ep = (id: string) => [{ type: 'nas', storage_id: id, node_paths: ['/'] }];
      const body: Record<string, unknown> = { name: unique(s.action), workflow_type: WORKFLOW_TYPE[s.action] ?? 'data_migration', workflow_action: s.action };
      if (s.action === 'restore') {
        const backupOn = s.side === 'backup' ? tested : (await share('open')).id;
        body.options = { execution_task_id: await finishedBackup(backupOn) };
        body.destinations = ep(s.side === 'destination' ? tested : (await share('open')).id);
        return { body, attribute: s.side === 'backup' ? 'options.execution_task_id' : 'destinations[0].storage_id' };
      }
      body.sources = ep(s.side === 'source' ? tested : (await share('open')).id);
      if (s.action !== 'erase' && s.action !== 'scan') body.destinations = ep(s.side === 'destination' ? tested : (await share('open')).id);
      return { body, attribute: `${s.side === 'source' ? 'sources' : 'destinations'}[0].storage_id` };
    }

    const isActionError = (r: { status: number; body: any }, status: number, shareName: string, need: Right) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      const text = JSON.stringify(r.body);
      assert.ok(text.includes(shareName) && text.includes(`${need} needed`), `names the share and the right: ${text}`);
    };

    for (const s of SIDES) {
      it(`${s.action}: the ${s.side} needs ${s.needs} — checked at create, update, run, defer_run and run_defer`, async () => {
        for (const c of CASES) {
          const allowed = RANK[c.has] >= RANK[s.needs];
          const label = `${c.name} (has ${c.has})`;
          // create, with the rights of the case (given once the rest is set up: a backup to restore is made while open)
          const tested = await share('open');
          const { body, attribute } = await taskBody(s, tested.id);
          await regrant(tested.id, c);
          const created = await user.client.post('/tasks', body);
          if (allowed) assert.equal(created.status, 201, `${label}: ${JSON.stringify(created.body)}`);
          else {
            assert.equal(created.status, 422, `${label}: ${JSON.stringify(created.body)}`);
            assert.equal(created.body.details?.[attribute]?.[0]?.error, 'forbidden', `${label}: ${JSON.stringify(created.body)}`);
            isActionError(created, 422, tested.name, s.needs);
          }
          // update, run, defer: a task made while the share was open, then the case's rights
          const later = await share('open');
          const made = await taskBody(s, later.id);
          const task = await user.client.post('/tasks', made.body);
          assert.equal(task.status, 201, JSON.stringify(task.body));
          const early = await user.client.put(`/tasks/${task.body.id}/action/defer_run`);
          assert.equal(early.status, 200, JSON.stringify(early.body));
          await regrant(later.id, c);
          const updated = await user.client.put(`/tasks/${task.body.id}`, { comment: 'changed' });
          if (allowed) assert.equal(updated.status, 200, `${label}: ${JSON.stringify(updated.body)}`);
          else isActionError(updated, 422, later.name, s.needs);
          const stop = async (r: { status: number }) => {
            if (r.status === 200) assert.equal((await user.client.put(`/tasks/${task.body.id}/action/force_stop`)).status, 200);
          };
          const deferred = await b.api.put(`/tasks/-/action/run_defer?defer_id=${encodeURIComponent(early.body.defer_id)}`);
          if (allowed) assert.equal(deferred.status, 200, `${label}: ${JSON.stringify(deferred.body)}`);
          else isActionError(deferred, 403, later.name, s.needs);
          await stop(deferred);
          const run = await user.client.put(`/tasks/${task.body.id}/action/run`);
          if (allowed) assert.equal(run.status, 200, `${label}: ${JSON.stringify(run.body)}`);
          else isActionError(run, 403, later.name, s.needs);
          await stop(run);
          const defer = await user.client.put(`/tasks/${task.body.id}/action/defer_run`);
          if (allowed) assert.equal(defer.status, 200, `${label}: ${JSON.stringify(defer.body)}`);
          else isActionError(defer, 403, later.name, s.needs);
        }
      });
    }

    it('browse: a share is listed and shown to the user exactly when they may read it', async () => {
      for (const c of CASES) {
        const s = await share(c);
        const visible = RANK[c.has] >= RANK.read;
        const listed = (await user.client.get(`/nas_shares?name=${encodeURIComponent(s.name)}`)).body.count;
        assert.equal(listed, visible ? 1 : 0, `${c.name}: listed`);
        assert.equal((await user.client.get(`/nas_shares/${s.id}`)).status, visible ? 200 : 404, `${c.name}: shown`);
      }
    });

    it('an admin has every right, and runs a user\'s task with the owner\'s rights, not their own', async () => {
      const closed = await share({ name: 'closed', guest: 'none', has: 'none' });
      const open = await share('open');
      const mine = await b.admin.post('/tasks', {
        name: unique('admin'), workflow_type: 'data_migration', workflow_action: 'copy',
        sources: [{ type: 'nas', storage_id: closed.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: open.id, node_paths: ['/'] }],
      });
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      const theirs = await user.client.post('/tasks', {
        name: unique('theirs'), workflow_type: 'data_migration', workflow_action: 'copy',
        sources: [{ type: 'nas', storage_id: open.id, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: open.id, node_paths: ['/'] }],
      });
      assert.equal(theirs.status, 201);
      // The admin points the user's task at a share the user may not read: refused, naming the owner's lack.
      const edited = await b.admin.put(`/tasks/${theirs.body.id}`, { sources: [{ type: 'nas', storage_id: closed.id, node_paths: ['/'] }] });
      isActionError(edited, 422, closed.name, 'read');
      await regrant(open.id, { name: 'withdrawn', guest: 'read', has: 'read' });
      isActionError(await b.admin.put(`/tasks/${theirs.body.id}/action/run`), 403, open.name, 'read_write');
    });
  });
}
