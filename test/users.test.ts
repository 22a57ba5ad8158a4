/**
 * Users and ownership end to end: who may create, see, change and delete users; the admin
 * invariants (last admin, no self-delete); credentials revoked on password change and deletion;
 * tasks invisible across users, `all` for admins only, addressing a task by its name; and that no
 * password hash ever leaves the server — on SQLite and, when configured, PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, boot, dialects, pgSkipReason, type Booted, type Client } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { recordResponses } from './helpers/responses.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const recorder = recordResponses();
after(() => recorder.restore());

const USER_KEYS = ['created_at', 'email', 'groups', 'id', 'is_admin', 'updated_at', 'username'];
const PASSWORDS = [ADMIN_PASSWORD, 'user-password-1', 'created-password-1', 'second-password-2'];

/** A task without endpoints: enough for ownership rules, no storage needed. */
function bareTask(name = unique('task')): Record<string, unknown> {
  return { name, workflow_type: 'data_migration', workflow_action: 'copy' };
}

for (const dialect of dialects()) {
  describe(`users (${dialect})`, () => {
    let b: Booted;
    let adminId: string;
    before(async () => {
      b = await boot({ dialect });
      adminId = (await b.admin.get('/users/me')).body.id;
    });
    after(async () => b?.stop());

    async function createTask(client: Client, name?: string): Promise<string> {
      const r = await client.post('/tasks', bareTask(name));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    }

    // --- users

    it('an admin creates users (201); the password is never returned; is_admin is a boolean', async () => {
      const username = unique('created');
      const r = await b.admin.post('/users', { user: { username, password: 'created-password-1', email: 'c@example.org' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), USER_KEYS);
      assert.equal(r.body.is_admin, false);
      assert.equal(r.body.email, 'c@example.org');
      const shown = await b.admin.get(`/users/${r.body.id}`);
      assert.deepEqual(Object.keys(shown.body).sort(), USER_KEYS);
      assert.equal(shown.body.username, username);
      assert.equal((await b.api.withBasic(username, 'created-password-1').get('/users/me')).status, 200);
      const bare = await b.admin.post('/users', { username: unique('bare'), password: 'created-password-1', is_admin: true });
      assert.equal(bare.status, 201, JSON.stringify(bare.body));
      assert.equal(bare.body.is_admin, true);
      const list = await b.admin.get('/users?limit=1000');
      assert.equal(list.status, 200);
      for (const u of list.body.users) {
        assert.deepEqual(Object.keys(u).sort(), USER_KEYS);
        assert.equal(typeof u.is_admin, 'boolean');
      }
      assert.ok(list.body.users.some((u: any) => u.id === r.body.id));
      await b.admin.put(`/users/${bare.body.id}`, { user: { is_admin: false } });
    });

    it('user validation: duplicate username → taken, short password → too_short, missing → blank', async () => {
      const taken = await b.admin.post('/users', { user: { username: 'admin', password: 'created-password-1' } });
      assertModelError(taken, 422, 'username', 'taken');
      assert.equal(taken.body.details.username[0].value, 'admin');
      const short = await b.admin.post('/users', { user: { username: unique('short'), password: 'short' } });
      assertModelError(short, 422, 'password', 'too_short');
      assert.equal(short.body.details.password[0].count, 8);
      const blank = await b.admin.post('/users', { user: {} });
      assertModelError(blank, 422, 'username', 'blank');
      assertModelError(blank, 422, 'password', 'blank');
      const u = await makeUser(b.admin);
      assertModelError(await b.admin.put(`/users/${u.id}`, { user: { username: 'admin' } }), 422, 'username', 'taken');
      assertModelError(await b.admin.put(`/users/${u.id}`, { user: { password: '1234567' } }), 422, 'password', 'too_short');
      assert.equal((await u.client.get('/users/me')).body.username, u.username, 'a refused update changes nothing');
    });

    it('a non-admin cannot list or create users, sees only themself (others are 404)', async () => {
      const u = await makeUser(b.admin);
      assertModelError(await u.client.get('/users'), 403, 'authorization', 'forbidden');
      assertModelError(await u.client.post('/users', { user: { username: unique('x'), password: 'created-password-1' } }), 403);
      assertModelError(await u.client.get(`/users/${adminId}`), 404, 'id', 'not_found');
      assertModelError(await u.client.put(`/users/${adminId}`, { user: { password: 'hijacked-password' } }), 404, 'id', 'not_found');
      assertModelError(await u.client.delete(`/users/${adminId}`), 403);
      const self = await u.client.get(`/users/${u.id}`);
      assert.equal(self.status, 200);
      assert.equal(self.body.username, u.username);
      const me = await u.client.get('/users/me');
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, self.body);
      assert.equal(me.body.is_admin, false);
      assert.equal((await b.admin.get('/users/me')).body.id, adminId);
      assert.equal((await b.admin.get(`/users/${adminId}`)).status, 200);
    });

    it('a user changes their own password: the old one stops working at once, the new one works', async () => {
      const u = await makeUser(b.admin);
      assert.equal((await u.client.get('/users/me')).status, 200); // now in the Basic cache
      const r = await u.client.put(`/users/${u.id}`, { user: { password: 'second-password-2' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), USER_KEYS);
      assertModelError(await u.client.get('/users/me'), 401);
      assertModelError(await b.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } }), 401);
      assert.equal((await b.api.withBasic(u.username, 'second-password-2').get('/users/me')).status, 200);
      assert.equal((await b.api.post('/users/sign_in', { user: { username: u.username, password: 'second-password-2' } })).status, 201);
    });

    it('a non-admin cannot set is_admin (422), on themself or otherwise', async () => {
      const u = await makeUser(b.admin);
      for (const is_admin of [true, false]) {
        assertModelError(await u.client.put(`/users/${u.id}`, { user: { is_admin } }), 422, 'is_admin');
      }
      assert.equal((await u.client.get('/users/me')).body.is_admin, false);
      assertModelError(await u.client.get('/users'), 403);
    });

    it('the last admin cannot lose admin rights; another admin can be demoted', async () => {
      const second = await b.admin.post('/users', { user: { username: unique('admin2'), password: 'created-password-1', is_admin: true } });
      assert.equal(second.status, 201);
      const admin2 = b.api.withBasic(second.body.username, 'created-password-1');
      assert.equal((await admin2.get('/users')).status, 200);
      const admins = (await b.admin.get('/users?limit=1000')).body.users.filter((u: any) => u.is_admin && u.id !== adminId);
      assert.ok(admins.length >= 1);
      for (const a of admins) {
        const r = await b.admin.put(`/users/${a.id}`, { user: { is_admin: false } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.is_admin, false);
      }
      assertModelError(await admin2.get('/users'), 403);
      assertModelError(await b.admin.put(`/users/${adminId}`, { user: { is_admin: false } }), 422, 'is_admin', 'frozen');
      const me = await b.admin.get('/users/me');
      assert.equal(me.body.is_admin, true);
      const admins2 = await b.admin.get('/users?is_admin=true');
      assert.equal(admins2.status, 200, JSON.stringify(admins2.body));
      assert.deepEqual(admins2.body.users.map((u: any) => u.id), [adminId]);
    });

    it('an admin cannot delete themself (422)', async () => {
      assertModelError(await b.admin.delete(`/users/${adminId}`), 422, 'id', 'frozen');
      assert.equal((await b.admin.get('/users/me')).status, 200);
    });

    it('a user who owns tasks cannot be deleted (422); without tasks they can', async () => {
      const u = await makeUser(b.admin);
      const id = await createTask(u.client);
      assertModelError(await b.admin.delete(`/users/${u.id}`), 422, 'id');
      assert.equal((await u.client.get(`/tasks/${id}`)).status, 200, 'the refused delete left user and task alone');
      assert.equal((await u.client.delete(`/tasks/${id}`)).status, 204);
      assert.equal((await b.admin.delete(`/users/${u.id}`)).status, 204);
      assertModelError(await b.admin.get(`/users/${u.id}`), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/users/${u.id}`), 404, 'id', 'not_found');
    });

    it("deleting a user (204) revokes their Basic credentials, JWT and API keys", async () => {
      const u = await makeUser(b.admin);
      const signIn = await b.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } });
      const jwt = b.api.withAuth(`Bearer ${signIn.body.token}`);
      const k = await u.client.post('/users/me/api_keys', { name: 'k', api_key_scopes: [{ controller: 'tasks', action: '*' }] });
      const key = b.api.withAuth(k.body.key);
      for (const c of [u.client, jwt, key]) assert.equal((await c.get('/tasks')).status, 200);
      assert.equal((await b.admin.delete(`/users/${u.id}`)).status, 204);
      for (const c of [u.client, jwt, key]) assertModelError(await c.get('/tasks'), 401);
      assertModelError(await b.api.post('/users/sign_in', { user: { username: u.username, password: 'user-password-1' } }), 401);
      assert.ok(!(await b.admin.get('/users?limit=1000')).body.users.some((x: any) => x.id === u.id));
    });

    // --- ownership

    it("another user's tasks are invisible: empty list, 404 model_error on GET/PUT/DELETE", async () => {
      const a = await makeUser(b.admin);
      const other = await makeUser(b.admin);
      const id = await createTask(a.client);
      const list = await other.client.get('/tasks');
      assert.equal(list.status, 200);
      assert.equal(list.body.count, 0);
      assert.deepEqual(list.body.tasks, []);
      assert.equal((await a.client.get('/tasks')).body.count, 1);
      for (const r of [await other.client.get(`/tasks/${id}`), await other.client.put(`/tasks/${id}`, { comment: 'mine now' }), await other.client.delete(`/tasks/${id}`)]) {
        assertModelError(r, 404, 'id', 'not_found');
        assert.deepEqual(r.body.messages, ['Task not found']);
      }
      assertModelError(await other.client.get(`/tasks/${id}/task_sources`), 404, 'id', 'not_found');
      const still = await a.client.get(`/tasks/${id}`);
      assert.equal(still.status, 200);
      assert.equal(still.body.comment ?? null, null);
    });

    it('an admin lists only their own tasks unless all=true; a non-admin sending all=true gets 403', async () => {
      const a = await makeUser(b.admin);
      const mine = await createTask(b.admin);
      const theirs = await createTask(a.client);
      const own = await b.admin.get('/tasks?limit=1000');
      assert.equal(own.status, 200);
      const ownIds = own.body.tasks.map((x: any) => x.id);
      assert.ok(ownIds.includes(mine) && !ownIds.includes(theirs));
      assert.ok(own.body.tasks.every((x: any) => x.user === 'admin'), JSON.stringify(own.body.tasks.map((x: any) => x.user)));
      const all = await b.admin.get('/tasks?all=true&limit=1000');
      const allIds = all.body.tasks.map((x: any) => x.id);
      assert.ok(allIds.includes(mine) && allIds.includes(theirs));
      assert.equal(all.body.count, own.body.count + (await b.admin.get('/tasks?all=true&limit=1000')).body.tasks.filter((x: any) => x.user !== 'admin').length);
      assertModelError(await a.client.get('/tasks?all=true'), 403, 'all', 'forbidden');
      assert.equal((await a.client.get('/tasks?all=false')).body.count, 1);
      assert.equal((await b.admin.get(`/tasks/${theirs}`)).status, 200, 'an admin reaches any task by id');
    });

    it('a task is addressable by its unique name among my tasks; a name I use twice is a 404', async () => {
      const a = await makeUser(b.admin);
      const other = await makeUser(b.admin);
      const name = unique('named');
      const id = await createTask(a.client, name);
      const byName = await a.client.get(`/tasks/${encodeURIComponent(name)}`);
      assert.equal(byName.status, 200, JSON.stringify(byName.body));
      assert.equal(byName.body.id, id);
      assert.equal((await a.client.put(`/tasks/${encodeURIComponent(name)}`, { comment: 'by name' })).body.comment, 'by name');
      assertModelError(await other.client.get(`/tasks/${encodeURIComponent(name)}`), 404, 'id', 'not_found');
      const otherId = await createTask(other.client, name);
      assert.equal((await other.client.get(`/tasks/${encodeURIComponent(name)}`)).body.id, otherId, "the other user's name resolves to their own task");
      assert.equal((await a.client.get(`/tasks/${encodeURIComponent(name)}`)).body.id, id);
      const twice = unique('twice');
      await createTask(a.client, twice);
      await createTask(a.client, twice);
      assertModelError(await a.client.get(`/tasks/${encodeURIComponent(twice)}`), 404, 'id', 'not_found');
      assertModelError(await a.client.delete(`/tasks/${encodeURIComponent(twice)}`), 404, 'id', 'not_found');
      assert.equal((await a.client.get(`/tasks?name=${encodeURIComponent(twice)}`)).body.count, 2, 'the refused delete removed nothing');
    });

    // --- secrets

    it('no response ever carried a password hash or a password', async () => {
      const rows = await b.barge.store.db.selectFrom('users').select(['username', 'password_hash']).execute();
      assert.ok(rows.length > 5);
      for (const row of rows) {
        assert.match(row.password_hash, /^\$argon2id\$/, `${row.username} is not hashed with argon2id`);
        assert.deepEqual(recorder.containing(row.password_hash).map((x) => x.url), []);
      }
      const userResponses = recorder.seen.filter((x) => /\/users(\/|\?|$)/.test(new URL(x.url).pathname + new URL(x.url).search) && x.status < 300);
      assert.ok(userResponses.length > 20, `only ${userResponses.length} user responses recorded`);
      for (const needle of ['$argon2', 'password_hash', ...PASSWORDS]) {
        assert.deepEqual(recorder.containing(needle).map((x) => `${x.method} ${x.url}`), [], needle);
      }
      // A 422 may name the `password` attribute in its details; a success never carries the field.
      const withPasswordField = recorder.seen.filter((x) => x.status < 300 && x.body.includes('"password"'));
      assert.deepEqual(withPasswordField.map((x) => `${x.method} ${x.url}`), []);
    });
  });
}
