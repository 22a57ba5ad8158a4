/**
 * The storage registry end to end, part 2: cloud connectors (the secret key is write-only and sealed
 * at rest; the credentials test never crashes), their buckets (name rules, nested and flat lists,
 * filters), and who may change storages (admins) versus read them (everybody) — on both dialects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { makeUser, unique } from './helpers/fixtures.js';
import { assertModelError, qs, sorted } from './helpers/lists.js';
import type { Client, Res } from './helpers/barge.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const UNREACHABLE = 'http://127.0.0.1:1';

for (const dialect of dialects()) {
  describe(`cloud connectors and buckets (${dialect})`, () => {
    let b: Booted;
    before(async () => {
      b = await boot({ dialect });
    });
    after(async () => b?.stop());

    async function connector(extra: Record<string, unknown> = {}): Promise<any> {
      const r = await b.admin.post('/cloud_connectors', { name: unique('conn'), url: UNREACHABLE, provider: 'generic_s3', ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }

    it('the secret key is write-only: never in a response, sealed in the store', async () => {
      const secret = `S3cr3t-${unique('key')}-wJalrXUtnFEMI`;
      const seen: Res[] = [];
      const track = async (p: Promise<Res>) => {
        const r = await p;
        seen.push(r);
        return r;
      };
      const c = await track(b.admin.post('/cloud_connectors', { name: unique('s3'), url: 'https://s3.example.com', region: 'eu-west-1', provider: 'amazon_aws_s3', access_key: 'AKIAEXAMPLE', secret_key: secret, options: { force_path_style: false } }));
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.secret_key_set, true);
      assert.equal(c.body.access_key, 'AKIAEXAMPLE');
      assert.deepEqual(c.body.options, { force_path_style: false });
      for (const k of Object.keys(c.body)) assert.ok(!/secret_key(_enc)?$/.test(k), `response has ${k}`);
      const id = c.body.id;
      await track(b.admin.get(`/cloud_connectors/${id}`));
      await track(b.admin.get('/cloud_connectors'));
      await track(b.admin.get(`/cloud_connectors${qs({ name: c.body.name })}`));
      const u = await track(b.admin.put(`/cloud_connectors/${id}`, { region: 'eu-central-1' }));
      assert.equal(u.body.secret_key_set, true, 'a PUT without secret_key keeps it');
      for (const r of seen) {
        assert.ok(r.status < 300, JSON.stringify(r.body));
        const text = JSON.stringify(r.body) + [...r.headers.values()].join('\n');
        assert.ok(!text.includes(secret), `secret leaked in ${text.slice(0, 200)}`);
        assert.ok(!text.includes('secret_key_enc') && !text.includes('"secret_key"'), text.slice(0, 200));
      }
      const rows = await b.barge.store.db.selectFrom('cloud_connectors').selectAll().where('id', '=', id).execute();
      assert.equal(rows.length, 1);
      const sealed = rows[0]!.secret_key_enc;
      assert.equal(typeof sealed, 'string');
      assert.ok(!String(sealed).includes(secret), 'stored in clear');
      assert.ok(!String(sealed).includes(Buffer.from(secret).toString('base64')), 'stored merely base64-encoded');
      assert.ok(!JSON.stringify(rows[0]).includes(secret));
      // Rotating changes the sealed value; clearing it is possible.
      await b.admin.put(`/cloud_connectors/${id}`, { secret_key: `${secret}-2` });
      const rotated = await b.barge.store.db.selectFrom('cloud_connectors').select('secret_key_enc').where('id', '=', id).executeTakeFirstOrThrow();
      assert.notEqual(rotated.secret_key_enc, sealed);
      const cleared = await b.admin.put(`/cloud_connectors/${id}`, { secret_key: null });
      assert.equal(cleared.body.secret_key_set, false);
      const none = await connector();
      assert.equal(none.secret_key_set, false);
    });

    it('connector validation: provider enum, url, unique name', async () => {
      assertModelError(await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'dropbox' }), 422, 'provider', 'inclusion');
      assertModelError(await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'generic_s3', url: 'ftp://x' }), 422, 'url', 'invalid');
      assertModelError(await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'generic_s3', url: 'not a url' }), 422, 'url', 'invalid');
      assertModelError(await b.admin.post('/cloud_connectors', { provider: 'generic_s3' }), 422, 'name', 'blank');
      const c = await connector();
      assertModelError(await b.admin.post('/cloud_connectors', { name: c.name, provider: 'generic_s3' }), 422, 'name', 'taken');
    });

    it('connector providers: Nodeum\'s nine (azure included); the ones Barge accepted before are stored and returned as Nodeum\'s', async () => {
      const nodeum = ['generic_s3', 'amazon_aws_s3', 'cloudian_hyperstore', 'scality_ring', 'dell_emc_ecs', 'azure', 'google_cloud_storage', 'openstack_swift', 'wasabi'];
      for (const provider of nodeum) {
        const c = await connector({ provider });
        assert.equal(c.provider, provider);
      }
      const legacy: Record<string, string> = { ceph_rgw: 'generic_s3', minio: 'generic_s3', ovh: 'generic_s3', scality: 'scality_ring' };
      for (const [provider, stored] of Object.entries(legacy)) {
        const c = await connector({ provider });
        assert.equal(c.provider, stored, `${provider} is answered as ${stored}`);
        assert.equal((await b.admin.get(`/cloud_connectors/${c.id}`)).body.provider, stored);
        assert.equal((await b.admin.put(`/cloud_connectors/${c.id}`, { provider })).body.provider, stored, 'an update with a legacy value too');
      }
      const all = await b.admin.get(`/cloud_connectors${qs({ limit: 1000 })}`);
      assert.ok(all.body.cloud_connectors.every((c: any) => nodeum.includes(c.provider)), 'a Nodeum client never reads a provider it does not know');
      const filtered = await b.admin.get(`/cloud_connectors${qs({ provider: 'dell_emc_ecs' })}`);
      assert.ok(filtered.body.cloud_connectors.length >= 1 && filtered.body.cloud_connectors.every((c: any) => c.provider === 'dell_emc_ecs'));
      const u = await b.admin.put(`/cloud_connectors/${(await connector()).id}`, { provider: 'azure' });
      assert.equal(u.body.provider, 'azure');
      assertModelError(await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'azure_blob' }), 422, 'provider', 'inclusion');
    });

    it('PUT /cloud_connectors/-/test of an Azure connector: unreachable or incomplete answers ok:false with a reason, never the key', async () => {
      const key = Buffer.from(`azure-account-key-${unique('k')}`).toString('base64');
      const r = await b.admin.put('/cloud_connectors/-/test', { provider: 'azure', url: `${UNREACHABLE}/acct`, access_key: 'acct', secret_key: key });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.ok, false);
      assert.ok(r.body.error.length > 0);
      assert.ok(!JSON.stringify(r.body).includes(key));
      const noAccount = await b.admin.put('/cloud_connectors/-/test', { provider: 'azure', url: `${UNREACHABLE}/acct`, secret_key: key });
      assert.equal(noAccount.body.ok, false);
      assert.match(noAccount.body.error, /account name/);
      // A stored azure connector is tested as Azure (its provider decides), its sealed key filling the gap.
      const stored = await connector({ provider: 'azure', url: `${UNREACHABLE}/acct`, access_key: 'acct', secret_key: key });
      const byId = await b.admin.put('/cloud_connectors/-/test', { id: stored.id });
      assert.equal(byId.body.ok, false);
      assert.doesNotMatch(byId.body.error, /account name/, 'the stored key was used');
      assert.ok(!JSON.stringify(byId.body).includes(key));
      assertModelError(await b.admin.put(`/cloud_connectors/${stored.id}/cloud_buckets/-/sync`), 422, 'cloud_connector_id', 'unreachable');
    });

    it('PUT /cloud_connectors/-/test against an unreachable endpoint answers ok:false with a reason', async () => {
      const r = await b.admin.put('/cloud_connectors/-/test', { url: UNREACHABLE, provider: 'generic_s3', access_key: 'a', secret_key: 'b' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.ok, false);
      assert.equal(typeof r.body.error, 'string');
      assert.ok(r.body.error.length > 0);
      assert.ok(!r.body.error.includes('"b"'));
      const stored = await connector({ secret_key: 'stored-secret-value' });
      const byId = await b.admin.put('/cloud_connectors/-/test', { id: stored.id });
      assert.equal(byId.status, 200, JSON.stringify(byId.body));
      assert.equal(byId.body.ok, false);
      assert.ok(!JSON.stringify(byId.body).includes('stored-secret-value'));
      assertModelError(await b.admin.put('/cloud_connectors/-/test', { url: 'nope' }), 422, 'url', 'invalid');
      assert.equal((await b.admin.get('/nas')).status, 200, 'the server is still up');
      const sync = await b.admin.put(`/cloud_connectors/${stored.id}/cloud_buckets/-/sync`);
      assertModelError(sync, 422, 'cloud_connector_id', 'unreachable');
    });

    it('buckets under a connector: name rules, nested and flat lists, filters, unique per connector', async () => {
      const c1 = await connector();
      const c2 = await connector();
      const base1 = `/cloud_connectors/${c1.id}/cloud_buckets`;
      for (const name of ['ab', 'Upper-Case', '-leading', 'trailing-', 'under_score', 'x'.repeat(64), 'spa ce']) {
        assertModelError(await b.admin.post(base1, { name }), 422, 'name', 'invalid');
      }
      assertModelError(await b.admin.post(base1, {}), 422, 'name', 'blank');
      const made: Record<string, any> = {};
      for (const [conn, name] of [[c1, 'archive-2024'], [c1, 'archive-2025'], [c1, 'logs.raw'], [c2, 'archive-2024']] as const) {
        const r = await b.admin.post(`/cloud_connectors/${conn.id}/cloud_buckets`, { name, location: 'eu', options: { tier: 'cold' } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.cloud_connector_id, conn.id);
        made[`${conn === c1 ? 1 : 2}:${name}`] = r.body;
      }
      assertModelError(await b.admin.post(base1, { name: 'archive-2024' }), 422, 'name', 'taken');
      const nested = await b.admin.get(base1);
      assert.equal(nested.body.count, 3);
      assert.deepEqual(nested.body.cloud_buckets.map((x: any) => x.name), ['archive-2024', 'archive-2025', 'logs.raw'], 'sorted by name by default');
      const ids = (r: Res) => sorted(r.body.cloud_buckets.map((x: any) => x.id));
      assert.deepEqual(ids(await b.admin.get(`${base1}${qs({ name: '~archive%' })}`)), sorted([made['1:archive-2024'].id, made['1:archive-2025'].id]));
      assert.deepEqual(ids(await b.admin.get(`/cloud_buckets${qs({ name: 'archive-2024' })}`)), sorted([made['1:archive-2024'].id, made['2:archive-2024'].id]));
      assert.deepEqual(ids(await b.admin.get(`/cloud_buckets${qs({ cloud_connector_id: c2.id })}`)), [made['2:archive-2024'].id]);
      assert.deepEqual(ids(await b.admin.get(`/cloud_buckets${qs({ cloud_connector_id: c1.id, name: '!~archive%' })}`)), [made['1:logs.raw'].id]);
      const page = await b.admin.get(`${base1}${qs({ sort_by: 'name:desc', limit: 1, offset: 1 })}`);
      assert.deepEqual([page.body.count, page.body.cloud_buckets.map((x: any) => x.name)], [3, ['archive-2025']]);
      assertModelError(await b.admin.get(`/cloud_buckets${qs({ sort_by: 'secret_key_enc' })}`), 422, 'sort_by', 'inclusion');
      const id = made['1:logs.raw'].id;
      assert.deepEqual((await b.admin.get(`/cloud_buckets/${id}`)).body, made['1:logs.raw']);
      assertModelError(await b.admin.put(`/cloud_buckets/${id}`, { name: 'Bad_Name' }), 422, 'name', 'invalid');
      const u = await b.admin.put(`/cloud_buckets/${id}`, { location: 'us' });
      assert.equal(u.body.location, 'us');
      assert.equal(u.body.name, 'logs.raw');
      assertModelError(await b.admin.get('/cloud_connectors/nope/cloud_buckets'), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/cloud_connectors/${c1.id}`), 422, 'id', 'restrict_dependent_destroy');
      for (const x of Object.values(made).filter((m) => m.cloud_connector_id === c1.id)) assert.equal((await b.admin.delete(`/cloud_buckets/${x.id}`)).status, 204);
      assert.equal((await b.admin.delete(`/cloud_connectors/${c1.id}`)).status, 204);
      assertModelError(await b.admin.get(`/cloud_connectors/${c1.id}`), 404, 'id', 'not_found');
    });

    it('a bucket’s pool must hold cloud content', async () => {
      const c = await connector();
      const nasPool = await b.admin.post('/pools', { name: unique('p'), type: 'primary', content: 'nas' });
      const cloudPool = await b.admin.post('/pools', { name: unique('p'), type: 'primary', content: 'cloud' });
      assertModelError(await b.admin.post(`/cloud_connectors/${c.id}/cloud_buckets`, { name: 'pooled-a', pool_id: nasPool.body.id }), 422, 'pool_id', 'inclusion');
      const ok = await b.admin.post(`/cloud_connectors/${c.id}/cloud_buckets`, { name: 'pooled-b', pool_id: cloudPool.body.id });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.pool_id, cloudPool.body.id);
    });
  });

  describe(`storage access for non-admin users (${dialect})`, () => {
    let b: Booted;
    let user: Client;
    const ids: Record<string, string> = {};
    before(async () => {
      b = await boot({ dialect });
      user = (await makeUser(b.admin)).client;
      ids.nas = (await b.admin.post('/nas', { name: unique('nas'), type: 'local' })).body.id;
      ids.nas_shares = (await b.admin.post(`/nas/${ids.nas}/nas_shares`, { name: unique('s'), path: '/tmp' })).body.id;
      ids.pools = (await b.admin.post('/pools', { name: unique('p'), type: 'primary', content: 'nas' })).body.id;
      ids.cloud_connectors = (await b.admin.post('/cloud_connectors', { name: unique('c'), provider: 'generic_s3', secret_key: 'user-must-not-see' })).body.id;
      ids.cloud_buckets = (await b.admin.post(`/cloud_connectors/${ids.cloud_connectors}/cloud_buckets`, { name: 'readable-bucket' })).body.id;
      for (const [k, v] of Object.entries(ids)) assert.equal(typeof v, 'string', k);
    });
    after(async () => b?.stop());

    it('a non-admin sees only the storages they may read, never their paths, settings or endpoints', async () => {
      const guarded = ['nas_shares', 'pools', 'cloud_buckets'];
      // New storages start at guest_right none: nothing is visible, and what exists is a 404 (no existence leak).
      for (const resource of ['nas', ...guarded, 'cloud_connectors']) {
        const list = await user.get(`/${resource}`);
        assert.equal(list.status, 200, `${resource}: ${JSON.stringify(list.body)}`);
        assert.equal(list.body.count, 0, resource);
        assert.equal((await user.get(`/${resource}/${ids[resource]}`)).status, 404, resource);
      }
      assert.equal((await user.get(`/nas_shares/${ids.nas_shares}/mount`)).status, 404);
      assert.equal((await user.get(`/nas/${ids.nas}/nas_shares`)).status, 404);
      for (const resource of guarded) assert.equal((await b.admin.put(`/${resource}/${ids[resource]}`, { guest_right: 'read' })).status, 200, resource);
      for (const resource of ['nas', ...guarded, 'cloud_connectors']) {
        const list = await user.get(`/${resource}`);
        assert.equal(list.body.count, 1, resource);
        const one = await user.get(`/${resource}/${ids[resource]}`);
        assert.equal(one.status, 200);
        const text = JSON.stringify(one.body);
        assert.ok(!text.includes('user-must-not-see'));
        for (const hidden of ['path', 'options', 'url', 'access_key', 'host', 'secret_key_set']) assert.ok(!(hidden in one.body), `${resource} shows ${hidden} to a non-admin`);
      }
      // A filter on a hidden attribute is not honoured for a non-admin (it would reveal it).
      assert.equal((await user.get('/nas_shares?path=/nothing-here')).body.count, 1);
      assert.equal((await user.get(`/nas/${ids.nas}/nas_shares`)).body.count, 1);
      assert.equal((await user.get(`/cloud_connectors/${ids.cloud_connectors}/cloud_buckets`)).body.count, 1);
      const mount = await user.get(`/nas_shares/${ids.nas_shares}/mount`);
      assert.equal(mount.status, 200);
      assert.ok(!('path' in mount.body));
      // The admin still sees everything.
      assert.equal((await b.admin.get(`/nas_shares/${ids.nas_shares}`)).body.path, '/tmp');
    });

    it('only admins create, update or delete them (403 model_error), and nothing changes', async () => {
      const writes: Array<[string, string, unknown?]> = [
        ['POST', '/nas', { name: unique('n'), type: 'local' }],
        ['PUT', `/nas/${ids.nas}`, { host: 'h' }],
        ['DELETE', `/nas/${ids.nas}`],
        ['POST', `/nas/${ids.nas}/nas_shares`, { name: unique('s'), path: '/tmp' }],
        ['PUT', `/nas_shares/${ids.nas_shares}`, { path: '/var' }],
        ['DELETE', `/nas_shares/${ids.nas_shares}`],
        ['POST', '/pools', { name: unique('p'), type: 'primary', content: 'nas' }],
        ['PUT', `/pools/${ids.pools}`, { comment: 'c' }],
        ['DELETE', `/pools/${ids.pools}`],
        ['POST', '/cloud_connectors', { name: unique('c'), provider: 'generic_s3' }],
        ['PUT', `/cloud_connectors/${ids.cloud_connectors}`, { region: 'r' }],
        ['DELETE', `/cloud_connectors/${ids.cloud_connectors}`],
        ['PUT', '/cloud_connectors/-/test', { id: ids.cloud_connectors }],
        ['POST', `/cloud_connectors/${ids.cloud_connectors}/cloud_buckets`, { name: 'new-bucket' }],
        ['PUT', `/cloud_buckets/${ids.cloud_buckets}`, { location: 'l' }],
        ['DELETE', `/cloud_buckets/${ids.cloud_buckets}`],
        ['PUT', `/cloud_connectors/${ids.cloud_connectors}/cloud_buckets/-/sync`],
      ];
      const resources = ['nas', 'nas_shares', 'pools', 'cloud_connectors', 'cloud_buckets'];
      const before = new Map<string, unknown>();
      for (const resource of resources) before.set(resource, (await b.admin.get(`/${resource}`)).body);
      for (const [method, path, body] of writes) {
        const r = await user.request(method, path, body);
        assertModelError(r, 403);
      }
      for (const resource of resources) {
        const r = await b.admin.get(`/${resource}`);
        assert.equal(r.body.count, 1, `${resource} unchanged`);
        assert.deepEqual(r.body, before.get(resource), `${resource} not updated`);
      }
    });
  });
}
