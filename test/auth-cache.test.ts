/**
 * Cached credentials end to end, on both dialects: server A caches resolved principals (Basic, API
 * keys, JWT); every change to a credential — made through A, or through server B on the same store,
 * which A's in-process caches never hear of — takes effect on A's very next request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, pgSkipReason, type Client } from './helpers/barge.js';
import { bootPair, type Pair } from './helpers/shared-store.js';
import { copyTask, makeUser, nasWithShares, openToAll, unique } from './helpers/fixtures.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

for (const dialect of dialects()) {
  describe(`auth caches (${dialect})`, () => {
    let p: Pair;
    let t = Date.now();
    const clock = { now: () => new Date(t) };
    before(async () => {
      p = await bootPair(dialect, { a: { overrides: { clock } } });
    });
    after(async () => p?.stop());

    /** A user, as seen from A (`onA`) and from B (`onB`). */
    async function newUser(admin = false): Promise<{ id: string; username: string; onA: Client; onB: Client }> {
      const u = await makeUser(p.a.admin);
      if (admin) assert.equal((await p.a.admin.put(`/users/${u.id}`, { user: { is_admin: true } })).status, 200);
      return { id: u.id, username: u.username, onA: p.a.api.withBasic(u.username, 'user-password-1'), onB: p.b.api.withBasic(u.username, 'user-password-1') };
    }

    async function newKey(owner: Client, scopes = [{ controller: 'tasks', action: 'index' }]): Promise<{ id: string; key: string }> {
      const r = await owner.post('/users/me/api_keys', { name: unique('key'), api_key_scopes: scopes });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { id: r.body.id, key: r.body.key };
    }

    it('a revoked API key stops working at once, whichever server revoked it', async () => {
      for (const revokeOn of ['a', 'b'] as const) {
        const k = await newKey(p.a.admin);
        const onA = p.a.api.withAuth(k.key);
        assert.equal((await onA.get('/tasks')).status, 200);
        assert.equal((await onA.get('/tasks')).status, 200, 'cached now');
        assert.equal((await (revokeOn === 'a' ? p.a.admin : p.b.admin).delete(`/users/me/api_keys/${k.id}`)).status, 204);
        assert.equal((await onA.get('/tasks')).status, 401, `revoked through ${revokeOn}`);
      }
    });

    it('new key scopes apply at once, narrower or wider', async () => {
      const k = await newKey(p.a.admin);
      const onA = p.a.api.withAuth(k.key);
      assert.equal((await onA.get('/tasks')).status, 200);
      assert.equal((await onA.get('/task_executions')).status, 403);
      assert.equal((await p.b.admin.put(`/users/me/api_keys/${k.id}`, { api_key_scopes: [{ controller: 'task_executions', action: 'index' }] })).status, 200);
      assert.equal((await onA.get('/tasks')).status, 403, 'narrowed');
      assert.equal((await onA.get('/task_executions')).status, 200, 'widened');
      assert.equal((await p.a.admin.put(`/users/me/api_keys/${k.id}`, { name: unique('renamed') })).status, 200);
      assert.equal((await onA.get('/task_executions')).status, 200, 'a rename changes nothing');
    });

    it('a password change ends the old password at once and the new one works', async () => {
      const u = await newUser();
      assert.equal((await u.onA.get('/users/me')).status, 200);
      assert.equal((await u.onA.get('/users/me')).status, 200, 'cached now');
      assert.equal((await p.b.admin.put(`/users/${u.id}`, { user: { password: 'user-password-2' } })).status, 200);
      assert.equal((await u.onA.get('/users/me')).status, 401);
      assert.equal((await p.a.api.withBasic(u.username, 'user-password-2').get('/users/me')).status, 200);
    });

    it('a password change (made through the other server) ends the sessions (JWTs) opened with the old password', async () => {
      const u = await newUser();
      const token = (await p.a.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } })).body.token as string;
      const onA = p.a.api.withAuth(`Bearer ${token}`);
      assert.equal((await onA.get('/users/me')).status, 200);
      assert.equal((await onA.get('/users/me')).status, 200, 'cached now');
      const other = await newUser();
      assert.equal((await p.b.admin.put(`/users/${other.id}`, { user: { password: 'another-password-9' } })).status, 200);
      assert.equal((await onA.get('/users/me')).status, 200, 'another user\'s password change leaves the session alone');
      assert.equal((await p.b.admin.put(`/users/${u.id}`, { user: { password: 'user-password-2' } })).status, 200);
      assert.equal((await onA.get('/users/me')).status, 401);
      const fresh = (await p.a.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-2' } })).body.token as string;
      assert.equal((await p.a.api.withAuth(`Bearer ${fresh}`).get('/users/me')).status, 200, 'a new sign-in works at once');
    });

    it('other users’ changes leave a good credential working', async () => {
      const u = await newUser();
      assert.equal((await u.onA.get('/users/me')).status, 200);
      const other = await newUser();
      assert.equal((await p.b.admin.put(`/users/${other.id}`, { user: { password: 'another-password-9' } })).status, 200);
      const me = await u.onA.get('/users/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.username, u.username);
    });

    it('admin rights taken away (elsewhere) end admin-only access at once', async () => {
      const u = await newUser(true);
      const key = await newKey(u.onA, [{ controller: '*', action: '*' }]);
      const viaKey = p.a.api.withAuth(key.key);
      const token = (await p.a.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } })).body.token as string;
      const viaJwt = p.a.api.withAuth(`Bearer ${token}`);
      for (const c of [u.onA, viaKey, viaJwt]) assert.equal((await c.get('/tasks?all=true')).status, 200);
      assert.equal((await p.b.admin.put(`/users/${u.id}`, { user: { is_admin: false } })).status, 200);
      for (const c of [u.onA, viaKey, viaJwt]) assert.equal((await c.get('/tasks?all=true')).status, 403);
    });

    it('a renamed user acts under the new name at once; the old Basic username stops working', async () => {
      const shares = await nasWithShares(p.a.admin, ['src', 'dst']);
      await openToAll(p.a.admin, shares);
      const u = await newUser();
      const token = (await p.a.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } })).body.token as string;
      const viaJwt = p.a.api.withAuth(`Bearer ${token}`);
      assert.equal((await viaJwt.get('/tasks')).status, 200, 'JWT principal cached');
      assert.equal((await u.onA.get('/tasks')).status, 200, 'Basic principal cached');
      const renamed = unique('renamed');
      assert.equal((await p.b.admin.put(`/users/${u.id}`, { user: { username: renamed } })).status, 200);
      const created = await viaJwt.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.created_by, renamed, 'the principal carries the new username');
      assert.equal((await u.onA.get('/tasks')).status, 401);
      assert.equal((await p.a.api.withBasic(renamed, 'user-password-1').get('/tasks')).status, 200);
    });

    it('a deleted user’s password, keys and sessions stop at once', async () => {
      const u = await newUser();
      const key = await newKey(u.onA);
      const token = (await p.a.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } })).body.token as string;
      const clients = [u.onA, p.a.api.withAuth(key.key), p.a.api.withAuth(`Bearer ${token}`)];
      for (const c of clients) assert.equal((await c.get('/tasks')).status, 200);
      assert.equal((await p.b.admin.delete(`/users/${u.id}`)).status, 204);
      for (const c of clients) assert.equal((await c.get('/tasks')).status, 401);
    });

    it('a cached API key still records last_used_at once a minute', async () => {
      const k = await newKey(p.a.admin);
      const onA = p.a.api.withAuth(k.key);
      const lastUsed = async () => (await p.b.admin.get(`/users/me/api_keys/${k.id}`)).body.last_used_at as string | null;
      assert.equal((await onA.get('/tasks')).status, 200);
      const first = await lastUsed();
      assert.equal(first, new Date(t).toISOString());
      t += 30_000;
      await onA.get('/tasks');
      assert.equal(await lastUsed(), first, 'not rewritten within the minute');
      t += 31_000;
      await onA.get('/tasks');
      assert.equal(await lastUsed(), new Date(t).toISOString(), 'rewritten after a minute, from the cached entry');
    });
  });
}
