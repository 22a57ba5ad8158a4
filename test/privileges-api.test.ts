/**
 * Groups and storage privileges as resources (#15), on each store: `/groups` with members and a
 * user's `groups`, Nodeum's privilege shape on shares, buckets and pools, validation in the API's
 * error shape, admins only, and what deleting a user, a group or a storage does to privileges.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

for (const dialect of dialects()) {
  describe(`groups and privileges (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect });
    });
    after(async () => b?.stop());

    it('groups: admins create, list, update and delete them; members show as the user\'s groups', async () => {
      const alice = await makeUser(b.admin);
      const bob = await makeUser(b.admin);
      const name = unique('team');
      const g = await b.admin.post('/groups', { group: { name, comment: 'lab', users: [alice.username, bob.username] } });
      assert.equal(g.status, 201, JSON.stringify(g.body));
      assert.deepEqual({ ...g.body, id: 'ID', created_at: 'T', updated_at: 'T' }, { id: 'ID', name, comment: 'lab', users: [alice.username, bob.username].sort(), created_at: 'T', updated_at: 'T' });
      assert.deepEqual((await alice.client.get('/users/me')).body.groups, [name]);
      assert.deepEqual((await b.admin.get(`/users/${bob.id}`)).body.groups, [name]);
      assert.equal((await b.admin.get(`/groups?name=${name}`)).body.count, 1);
      const u = await b.admin.put(`/groups/${g.body.id}`, { users: [bob.username] });
      assert.deepEqual(u.body.users, [bob.username]);
      assert.deepEqual((await alice.client.get('/users/me')).body.groups, []);
      assertModelError(await b.admin.post('/groups', { name }), 422, 'name', 'taken');
      assertModelError(await b.admin.post('/groups', { name: unique('g'), users: ['nobody-here'] }), 422, 'users', 'not_found');
      assertModelError(await b.admin.post('/groups', { comment: 'x' }), 422, 'name', 'blank');
      assertModelError(await b.admin.post('/groups', { name: unique('g'), users: 'alice' }), 422, 'users', 'invalid');
      for (const [method, path] of [['GET', '/groups'], ['POST', '/groups'], ['GET', `/groups/${g.body.id}`], ['PUT', `/groups/${g.body.id}`], ['DELETE', `/groups/${g.body.id}`]] as const) {
        assertModelError(await alice.client.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' }), 403);
      }
      assert.equal((await b.admin.delete(`/groups/${g.body.id}`)).status, 204);
      assertModelError(await b.admin.get(`/groups/${g.body.id}`), 404);
      assert.deepEqual((await bob.client.get('/users/me')).body.groups, []);
    });

    it('privileges on shares, buckets and pools: Nodeum\'s shape, validation, admins only', async () => {
      const alice = await makeUser(b.admin);
      const team = (await b.admin.post('/groups', { name: unique('team') })).body;
      const share = (await nasWithShares(b.admin, ['p'])).p!.id;
      const conn = (await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'generic_s3' })).body.id;
      const bucket = (await b.admin.post(`/cloud_connectors/${conn}/cloud_buckets`, { name: unique('bkt') })).body.id;
      const pool = (await b.admin.post('/pools', { name: unique('pool'), type: 'primary', content: 'nas' })).body.id;
      for (const base of [`/nas_shares/${share}`, `/cloud_buckets/${bucket}`, `/pools/${pool}`]) {
        assert.equal((await b.admin.get(base)).body.guest_right, 'none', `${base}: new storages start closed`);
        const p = await b.admin.post(`${base}/privileges`, { container_privilege: { name: alice.username, type: 'user', privilege: 'read' } });
        assert.equal(p.status, 201, JSON.stringify(p.body));
        assert.deepEqual({ ...p.body, id: 'ID', created_at: 'T', updated_at: 'T' }, { id: 'ID', name: alice.username, type: 'user', privilege: 'read', created_at: 'T', updated_at: 'T' });
        const g = await b.admin.post(`${base}/privileges`, { name: team.name, type: 'group', privilege: 'read_write' });
        assert.equal(g.status, 201);
        const list = await b.admin.get(`${base}/privileges`);
        assert.deepEqual(list.body.privileges.map((x: any) => [x.name, x.type, x.privilege]).sort(), [[alice.username, 'user', 'read'], [team.name, 'group', 'read_write']].sort());
        assert.equal((await b.admin.get(`${base}/privileges?type=group`)).body.count, 1);
        assertModelError(await b.admin.post(`${base}/privileges`, { name: alice.username, type: 'user', privilege: 'read_write' }), 422, 'name', 'taken');
        assertModelError(await b.admin.post(`${base}/privileges`, { name: 'nobody-here', type: 'user', privilege: 'read' }), 422, 'name', 'not_found');
        assertModelError(await b.admin.post(`${base}/privileges`, { name: alice.username, type: 'robot', privilege: 'read' }), 422, 'type');
        assertModelError(await b.admin.post(`${base}/privileges`, { name: alice.username, type: 'user', privilege: 'write' }), 422, 'privilege');
        const u = await b.admin.put(`${base}/privileges/${p.body.id}`, { privilege: 'read_write' });
        assert.equal(u.body.privilege, 'read_write');
        assert.equal((await b.admin.get(`${base}/privileges/${p.body.id}`)).body.privilege, 'read_write');
        assertModelError(await b.admin.put(`${base}/privileges/${p.body.id}`, { name: team.name, privilege: 'read' }), 422, 'name', 'frozen');
        assertModelError(await b.admin.put(`${base}/privileges/${p.body.id}`, { privilege: null }), 422, 'privilege', 'blank');
        assertModelError(await alice.client.get(`${base}/privileges`), 403);
        assertModelError(await alice.client.post(`${base}/privileges`, { name: alice.username, type: 'user', privilege: 'read_write' }), 403);
        assertModelError(await alice.client.delete(`${base}/privileges/${p.body.id}`), 403);
        assert.equal((await b.admin.delete(`${base}/privileges/${p.body.id}`)).status, 204);
        assertModelError(await b.admin.get(`${base}/privileges/${p.body.id}`), 404);
        assertModelError(await b.admin.put(base, { guest_right: 'all' }), 422, 'guest_right', 'inclusion');
        assertModelError(await b.admin.put(base, { guest_right: null }), 422, 'guest_right', 'blank');
        assert.equal((await b.admin.put(base, { guest_right: 'read' })).body.guest_right, 'read');
      }
      assertModelError(await b.admin.get('/nas_shares/nope/privileges'), 404);
    });

    it('deleting a user, a group or a storage removes the privileges that named it', async () => {
      const carol = await makeUser(b.admin);
      const team = (await b.admin.post('/groups', { name: unique('team'), users: [carol.username] })).body;
      const shares = await nasWithShares(b.admin, ['a', 'b']);
      const base = `/nas_shares/${shares.a!.id}`;
      assert.equal((await b.admin.post(`${base}/privileges`, { name: carol.username, type: 'user', privilege: 'read' })).status, 201);
      assert.equal((await b.admin.post(`${base}/privileges`, { name: team.name, type: 'group', privilege: 'read' })).status, 201);
      assert.equal((await b.admin.post(`/nas_shares/${shares.b!.id}/privileges`, { name: team.name, type: 'group', privilege: 'read' })).status, 201);
      assert.equal((await b.admin.delete(`/groups/${team.id}`)).status, 204);
      assert.deepEqual((await b.admin.get(`${base}/privileges`)).body.privileges.map((p: any) => p.name), [carol.username]);
      assert.equal((await b.admin.delete(`/users/${carol.id}`)).status, 204);
      assert.equal((await b.admin.get(`${base}/privileges`)).body.count, 0);
      const rows = () => b.barge.store.db.selectFrom('storage_privileges').select('id').where('storage_id', '=', shares.b!.id).execute();
      assert.equal((await b.admin.post(`/nas_shares/${shares.b!.id}/privileges`, { name: (await makeUser(b.admin)).username, type: 'user', privilege: 'read' })).status, 201);
      assert.equal((await rows()).length, 1);
      assert.equal((await b.admin.delete(`/nas_shares/${shares.b!.id}`)).status, 204);
      assert.equal((await rows()).length, 0);
    });
  });
}
