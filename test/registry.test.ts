/**
 * The storage registry end to end, part 1: NAS, their shares (nested and flat routes, mount
 * status), pools and the rules tying them together (pool content, restrict-on-delete, unique
 * names) — on both dialects. Cloud connectors, buckets and non-admin access: registry-cloud.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { copyTask, makeUser, unique } from './helpers/fixtures.js';
import { assertModelError, qs, sorted } from './helpers/lists.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const tempDir = (p: string) => mkdtemp(join(tmpdir(), `barge-reg-${p}-`));

for (const dialect of dialects()) {
  describe(`NAS, shares and pools (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect });
    });
    after(async () => b?.stop());

    async function nas(extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post('/nas', { name: unique('nas'), type: 'local', ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    async function share(nasId: string, extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post(`/nas/${nasId}/nas_shares`, { name: unique('share'), path: await tempDir('s'), ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    async function pool(content: string, extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post('/pools', { name: unique('pool'), type: 'primary', content, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }

    it('NAS CRUD: create 201, show, list with count and filters, partial update, delete 204', async () => {
      const name = unique('filer');
      const c = await b.admin.post('/nas', { name, host: 'filer1.example', type: 'nfs_v4', comment: 'main filer' });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.deepEqual({ ...c.body, id: 'ID', created_at: 'T', updated_at: 'T' }, { id: 'ID', name, host: 'filer1.example', type: 'nfs_v4', comment: 'main filer', created_at: 'T', updated_at: 'T' });
      assert.deepEqual((await b.admin.get(`/nas/${c.body.id}`)).body, c.body);
      const wrapped = await b.admin.post('/nas', { nas: { name: unique('wrapped'), type: 'smb_v3' } });
      assert.equal(wrapped.status, 201, 'a Rails-wrapped body is accepted');
      assert.equal(wrapped.body.type, 'smb_v3');
      const list = await b.admin.get('/nas');
      assert.equal(list.body.count, list.body.nas.length);
      assert.ok(list.body.nas.some((n: any) => n.id === c.body.id));
      const filtered = await b.admin.get(`/nas${qs({ type: 'nfs_v4', name: `~${name.slice(0, -2)}%` })}`);
      assert.deepEqual(filtered.body.nas.map((n: any) => n.id), [c.body.id]);
      const u = await b.admin.put(`/nas/${c.body.id}`, { host: 'filer2.example' });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.deepEqual({ ...u.body, updated_at: 'T' }, { ...c.body, host: 'filer2.example', updated_at: 'T' }, 'only host changed');
      assert.deepEqual((await b.admin.get(`/nas/${c.body.id}`)).body, u.body);
      assert.equal((await b.admin.delete(`/nas/${c.body.id}`)).status, 204);
      assertModelError(await b.admin.get(`/nas/${c.body.id}`), 404, 'id', 'not_found');
      assertModelError(await b.admin.put(`/nas/${c.body.id}`, { host: 'x' }), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/nas/${c.body.id}`), 404, 'id', 'not_found');
    });

    it('NAS validation: blank, inclusion, taken', async () => {
      const r = await b.admin.post('/nas', {});
      assertModelError(r, 422, 'name', 'blank');
      assert.equal(r.body.details.type[0].error, 'blank');
      assertModelError(await b.admin.post('/nas', { name: unique('n'), type: 'floppy' }), 422, 'type', 'inclusion');
      const first = await nas();
      const dup = await b.admin.post('/nas', { name: first.name, type: 'local' });
      assertModelError(dup, 422, 'name', 'taken');
      const other = await nas();
      assertModelError(await b.admin.put(`/nas/${other.id}`, { name: first.name }), 422, 'name', 'taken');
      assertModelError(await b.admin.put(`/nas/${other.id}`, { type: 'tape' }), 422, 'type', 'inclusion');
      assert.equal((await b.admin.get(`/nas/${other.id}`)).body.name, other.name);
    });

    it('shares under a NAS and at /nas_shares: create, list (nested, flat, filtered), show, update, delete', async () => {
      const n1 = await nas();
      const n2 = await nas();
      const path = await tempDir('share');
      const c = await b.admin.post(`/nas/${n1.id}/nas_shares`, { name: unique('data'), path: `${path}/`, options: { ro: false } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.nas_id, n1.id);
      assert.equal(c.body.path, path, 'a trailing slash is dropped');
      assert.deepEqual(c.body.options, { ro: false });
      assert.equal(c.body.pool_id, null);
      const s2 = await share(n1.id);
      const s3 = await share(n2.id);
      const nested = await b.admin.get(`/nas/${n1.id}/nas_shares`);
      assert.equal(nested.body.count, 2);
      assert.deepEqual(sorted(nested.body.nas_shares.map((s: any) => s.id)), sorted([c.body.id, s2.id]));
      const flat = await b.admin.get('/nas_shares');
      for (const id of [c.body.id, s2.id, s3.id]) assert.ok(flat.body.nas_shares.some((s: any) => s.id === id));
      assert.deepEqual((await b.admin.get(`/nas_shares${qs({ nas_id: n2.id })}`)).body.nas_shares.map((s: any) => s.id), [s3.id]);
      const byName = await b.admin.get(`/nas/${n1.id}/nas_shares${qs({ name: `!=${c.body.name}` })}`);
      assert.deepEqual(byName.body.nas_shares.map((s: any) => s.id), [s2.id]);
      assertModelError(await b.admin.get('/nas/nope/nas_shares'), 404, 'id', 'not_found');
      assertModelError(await b.admin.post('/nas/nope/nas_shares', { name: unique('x'), path: '/tmp' }), 404, 'id', 'not_found');
      assert.deepEqual((await b.admin.get(`/nas_shares/${c.body.id}`)).body, c.body);
      const u = await b.admin.put(`/nas_shares/${c.body.id}`, { options: { ro: true } });
      assert.deepEqual({ ...u.body, updated_at: 'T' }, { ...c.body, options: { ro: true }, updated_at: 'T' });
      const moved = await b.admin.put(`/nas_shares/${c.body.id}`, { nas_id: n2.id });
      assert.equal(moved.status < 500, true);
      assert.equal((await b.admin.get(`/nas_shares/${c.body.id}`)).body.nas_id, n1.id, 'a share stays under its NAS');
      assert.equal((await b.admin.delete(`/nas_shares/${s2.id}`)).status, 204);
      assertModelError(await b.admin.get(`/nas_shares/${s2.id}`), 404, 'id', 'not_found');
      assert.equal((await b.admin.get(`/nas/${n1.id}/nas_shares`)).body.count, 1);
    });

    it('a share path must be absolute, without .. or NUL', async () => {
      const n = await nas();
      for (const path of ['data/share', './x', '/a/../b', '..', '']) {
        const r = await b.admin.post(`/nas/${n.id}/nas_shares`, { name: unique('bad'), path });
        assertModelError(r, 422, 'path', path === '' ? 'blank' : 'invalid');
      }
      const s = await share(n.id);
      assertModelError(await b.admin.put(`/nas_shares/${s.id}`, { path: 'relative' }), 422, 'path', 'invalid');
      assert.equal((await b.admin.get(`/nas_shares/${s.id}`)).body.path, s.path);
    });

    it('GET /nas_shares/{id}/mount reports a reachable, writable directory and a missing one', async () => {
      const n = await nas();
      const ok = await share(n.id);
      const m = await b.admin.get(`/nas_shares/${ok.id}/mount`);
      assert.equal(m.status, 200, JSON.stringify(m.body));
      assert.deepEqual(m.body, { path: ok.path, mounted: true, readable: true, writable: true, error: null });
      const missing = await share(n.id, { path: join(ok.path, 'does', 'not', 'exist') });
      const mm = await b.admin.get(`/nas_shares/${missing.id}/mount`);
      assert.equal(mm.status, 200);
      assert.equal(mm.body.mounted, false);
      assert.equal(mm.body.writable, false);
      assert.equal(typeof mm.body.error, 'string');
      assert.ok(mm.body.error.length > 0);
      assertModelError(await b.admin.get('/nas_shares/nope/mount'), 404, 'id', 'not_found');
    });

    it('pools CRUD with type and content enums', async () => {
      const name = unique('gold');
      const c = await b.admin.post('/pools', { name, type: 'active_archive', content: 'cloud', comment: 'S3 tier' });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.deepEqual({ ...c.body, id: 'ID', created_at: 'T', updated_at: 'T' }, { id: 'ID', name, type: 'active_archive', content: 'cloud', comment: 'S3 tier', guest_right: 'none', created_at: 'T', updated_at: 'T' });
      assert.deepEqual((await b.admin.get(`/pools/${c.body.id}`)).body, c.body);
      assert.ok((await b.admin.get(`/pools${qs({ content: 'cloud' })}`)).body.pools.every((p: any) => p.content === 'cloud'));
      const u = await b.admin.put(`/pools/${c.body.id}`, { type: 'scratch', comment: null });
      assert.equal(u.body.type, 'scratch');
      assert.equal(u.body.comment, null);
      assert.equal(u.body.content, 'cloud');
      const bad = await b.admin.post('/pools', { name: unique('p'), type: 'gold', content: 'floppy' });
      assertModelError(bad, 422, 'type', 'inclusion');
      assert.equal(bad.body.details.content[0].error, 'inclusion');
      const blank = await b.admin.post('/pools', { name: unique('p') });
      assertModelError(blank, 422, 'type', 'blank');
      assert.equal(blank.body.details.content[0].error, 'blank');
      assertModelError(await b.admin.post('/pools', { name, type: 'primary', content: 'nas' }), 422, 'name', 'taken');
      assert.equal((await b.admin.delete(`/pools/${c.body.id}`)).status, 204);
      assertModelError(await b.admin.get(`/pools/${c.body.id}`), 404, 'id', 'not_found');
    });

    it('a share’s pool must exist and hold nas content; a pool with members keeps its content', async () => {
      const n = await nas();
      const cloudPool = await pool('cloud');
      const nasPool = await pool('nas');
      assertModelError(await b.admin.post(`/nas/${n.id}/nas_shares`, { name: unique('s'), path: '/mnt/a', pool_id: cloudPool.id }), 422, 'pool_id', 'inclusion');
      assertModelError(await b.admin.post(`/nas/${n.id}/nas_shares`, { name: unique('s'), path: '/mnt/a', pool_id: 'nope' }), 422, 'pool_id', 'not_found');
      const s = await share(n.id, { pool_id: nasPool.id });
      assert.equal(s.pool_id, nasPool.id);
      assertModelError(await b.admin.put(`/nas_shares/${s.id}`, { pool_id: cloudPool.id }), 422, 'pool_id', 'inclusion');
      assertModelError(await b.admin.put(`/pools/${nasPool.id}`, { content: 'tape' }), 422, 'content', 'frozen');
      const del = await b.admin.delete(`/pools/${nasPool.id}`);
      assertModelError(del, 422, 'id', 'restrict_dependent_destroy');
      assert.equal((await b.admin.get(`/pools/${nasPool.id}`)).status, 200);
      assert.equal((await b.admin.put(`/nas_shares/${s.id}`, { pool_id: null })).body.pool_id, null);
      assert.equal((await b.admin.put(`/pools/${nasPool.id}`, { content: 'tape' })).body.content, 'tape', 'an empty pool may change content');
      assert.equal((await b.admin.delete(`/pools/${nasPool.id}`)).status, 204);
    });

    it('a share used by a task, a NAS with shares, a pool used by a task cannot be deleted (422)', async () => {
      const n = await nas();
      const src = await share(n.id);
      const dst = await share(n.id);
      const tapePool = await pool('tape');
      const t = await b.admin.post('/tasks', copyTask(src.id, dst.id));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const fmt = await b.admin.post('/tasks', { name: unique('fmt'), workflow_type: 'maintenance', workflow_action: 'format', sources: [{ type: 'tape', pool_id: tapePool.id }] });
      assert.equal(fmt.status, 201, JSON.stringify(fmt.body));
      const d1 = await b.admin.delete(`/nas_shares/${src.id}`);
      assertModelError(d1, 422, 'id', 'restrict_dependent_destroy');
      assert.equal(d1.body.details.id[0].dependency, 'tasks');
      assertModelError(await b.admin.delete(`/nas_shares/${dst.id}`), 422, 'id', 'restrict_dependent_destroy');
      const d2 = await b.admin.delete(`/nas/${n.id}`);
      assertModelError(d2, 422, 'id', 'restrict_dependent_destroy');
      assert.equal(d2.body.details.id[0].dependency, 'shares');
      assertModelError(await b.admin.delete(`/pools/${tapePool.id}`), 422, 'id', 'restrict_dependent_destroy');
      for (const path of [`/nas_shares/${src.id}`, `/nas/${n.id}`, `/pools/${tapePool.id}`]) assert.equal((await b.admin.get(path)).status, 200, `${path} still there`);
      // Once the task is gone, everything can go, children first.
      assert.equal((await b.admin.delete(`/tasks/${t.body.id}`)).status, 204);
      assert.equal((await b.admin.delete(`/tasks/${fmt.body.id}`)).status, 204);
      for (const path of [`/nas_shares/${src.id}`, `/nas_shares/${dst.id}`, `/nas/${n.id}`, `/pools/${tapePool.id}`]) assert.equal((await b.admin.delete(path)).status, 204, path);
    });

    it('NAS types: Nodeum\'s protocols and Barge\'s local are accepted, anything else is refused', async () => {
      for (const type of ['local', 'smb_v1', 'smb_v2_1', 'smb_v3', 'nfs_v3', 'nfs_v4', 'storenext_v5']) {
        const r = await b.admin.post('/nas', { name: unique(type), type });
        assert.equal(r.status, 201, `${type}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.type, type);
        const s = await share(r.body.id);
        assert.equal(s.path.startsWith('/'), true, 'the share\'s path stays its mount point on the movers');
      }
      for (const type of ['smb_v4', 'nfs', 'SMB_V3']) assertModelError(await b.admin.post('/nas', { name: unique('n'), type }), 422, 'type', 'inclusion');
      const filtered = await b.admin.get(`/nas${qs({ type: 'storenext_v5' })}`);
      assert.ok(filtered.body.nas.length >= 1 && filtered.body.nas.every((n: any) => n.type === 'storenext_v5'));
    });

    it('a share\'s username and password are sealed at rest: the username shown to admins only, the password never', async () => {
      const n = await nas({ type: 'smb_v3' });
      const password = `Pa55-${unique('pw')}-w0rd`;
      const username = `DOMAIN\\svc-${unique('u')}`;
      const c = await share(n.id, { username, password });
      assert.equal(c.username, username);
      assert.equal(c.password_set, true);
      for (const k of ['password', 'password_enc', 'username_enc']) assert.ok(!(k in c), `response has ${k}`);
      const seen = [c, (await b.admin.get(`/nas_shares/${c.id}`)).body, (await b.admin.get('/nas_shares')).body, (await b.admin.get(`/nas/${n.id}/nas_shares`)).body];
      for (const body of seen) assert.ok(!JSON.stringify(body).includes(password), 'the password leaked in a response');
      const row = await b.barge.store.db.selectFrom('nas_shares').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
      assert.ok(typeof row.password_enc === 'string' && typeof row.username_enc === 'string');
      for (const clear of [password, username, Buffer.from(password).toString('base64')]) assert.ok(!JSON.stringify(row).includes(clear), 'stored in clear');
      const kept = await b.admin.put(`/nas_shares/${c.id}`, { options: { vers: '3.1.1' } });
      assert.equal(kept.body.password_set, true, 'a PUT without password keeps it');
      assert.equal(kept.body.username, username);
      await b.admin.put(`/nas_shares/${c.id}`, { password: `${password}-2` });
      const rotated = await b.barge.store.db.selectFrom('nas_shares').select('password_enc').where('id', '=', c.id).executeTakeFirstOrThrow();
      assert.notEqual(rotated.password_enc, row.password_enc);
      const cleared = await b.admin.put(`/nas_shares/${c.id}`, { password: null, username: null });
      assert.equal(cleared.body.password_set, false);
      assert.equal(cleared.body.username, null);
      const plain = await share(n.id);
      assert.equal(plain.username, null);
      assert.equal(plain.password_set, false);
      assertModelError(await b.admin.post(`/nas/${n.id}/nas_shares`, { name: unique('s'), path: '/tmp', password: 'x'.repeat(1025) }), 422, 'password', 'too_long');
      // A non-admin who may read the share sees neither.
      await b.admin.put(`/nas_shares/${c.id}`, { username, password, guest_right: 'read' });
      const user = (await makeUser(b.admin)).client;
      const theirs = await user.get(`/nas_shares/${c.id}`);
      assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
      for (const k of ['username', 'password', 'password_set']) assert.ok(!(k in theirs.body), `a non-admin sees ${k}`);
      assert.ok(!JSON.stringify((await user.get('/nas_shares')).body).includes(username.slice(8)));
    });

    it('share names are unique (422 taken), on create and on rename', async () => {
      const n = await nas();
      const s1 = await share(n.id);
      const s2 = await share(n.id);
      assertModelError(await b.admin.post(`/nas/${n.id}/nas_shares`, { name: s1.name, path: '/mnt/x' }), 422, 'name', 'taken');
      assertModelError(await b.admin.put(`/nas_shares/${s2.id}`, { name: s1.name }), 422, 'name', 'taken');
      assert.equal((await b.admin.get(`/nas_shares/${s2.id}`)).body.name, s2.name);
    });
  });
}
