/**
 * Browsing storages one folder at a time (#13): `GET /nas_shares/{id}/files` on a real directory and
 * `GET /cloud_buckets/{id}/files` on a real S3 service (Ceph RGW, when BARGE_TEST_S3_URL is set) —
 * folders first, paging and sorting over the whole folder, the entries' attributes as the storage
 * has them, confinement (`..`, symlinks leading outside: 422 on `path`, never a 500; a missing path:
 * 404 on `path`) and privileges (a storage the caller may not read is a 404, as its show).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { makeTree } from './helpers/trees.js';
import { S3Fixture, putObject, s3TestEnv } from './helpers/s3.js';

describe('browsing a NAS share', () => {
  let b: Booted;
  let share: { id: string; path: string };
  let outside: string;

  before(async () => {
    b = await boot();
    share = (await nasWithShares(b.admin, ['browse'])).browse!;
    outside = await mkdtemp(join(tmpdir(), 'barge-outside-'));
    await makeTree(outside, { 'secret.txt': 'not yours' });
    await makeTree(share.path, { 'docs/x.txt': 'xx', 'docs/sub/y.txt': 'y', 'b.bin': 300, 'a.txt': 'alpha', 'zeta/.keep': '' });
    await mkdir(join(share.path, 'Empty'));
    await chmod(join(share.path, 'a.txt'), 0o600);
    const when = new Date('2021-03-04T05:06:07.000Z');
    await utimes(join(share.path, 'b.bin'), when, when);
    await symlink('a.txt', join(share.path, 'link-in'));
    await symlink(outside, join(share.path, 'escape'));
    for (let i = 0; i < 30; i++) await makeTree(share.path, { [`many/f${String(i).padStart(2, '0')}.dat`]: 'x'.repeat(i) });
  });
  after(async () => {
    await b?.stop();
    await rm(outside, { recursive: true, force: true });
  });

  const list = async (query = '', client = b.admin) => client.get(`/nas_shares/${share.id}/files${query ? `?${query}` : ''}`);

  it('lists the root: folders first, then files by name, each with its attributes', async () => {
    const r = await list();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.count, r.body.path, r.body.truncated], [8, '/', false]);
    assert.deepEqual(r.body.files.map((f: any) => [f.name, f.type]), [
      ['Empty', 'folder'], ['docs', 'folder'], ['many', 'folder'], ['zeta', 'folder'],
      ['a.txt', 'file'], ['b.bin', 'file'], ['escape', 'file'], ['link-in', 'file'],
    ]);
    const a = r.body.files.find((f: any) => f.name === 'a.txt');
    const st = await lstat(join(share.path, 'a.txt'));
    assert.deepEqual(a, {
      name: 'a.txt', path: '/a.txt', type: 'file', size: 5, mtime: new Date(st.mtimeMs).toISOString(), mode: 0o600, uid: st.uid, gid: st.gid,
      link_target: null, storage_class: null,
    });
    assert.equal(r.body.files.find((f: any) => f.name === 'b.bin').mtime, '2021-03-04T05:06:07.000Z');
    assert.equal(r.body.files.find((f: any) => f.name === 'docs').size, null, 'a folder has no size');
    assert.equal(r.body.files.find((f: any) => f.name === 'link-in').link_target, 'a.txt');
  });

  it('lists a sub-folder with paths usable as task node_paths', async () => {
    const r = await list('path=/docs/');
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.path, r.body.files.map((f: any) => [f.path, f.type])], ['/docs', [['/docs/sub', 'folder'], ['/docs/x.txt', 'file']]]);
    assert.deepEqual((await list('path=docs/sub/../sub')).body.files.map((f: any) => f.path), ['/docs/sub/y.txt'], '.. inside the root resolves');
  });

  it('pages and sorts over the whole folder, and filters', async () => {
    const page = await list('path=/many&limit=10&offset=10');
    assert.deepEqual([page.body.count, page.body.files.map((f: any) => f.name)], [30, Array.from({ length: 10 }, (_, i) => `f${10 + i}.dat`)]);
    const bigFirst = await list('path=/many&sort_by=size:desc&limit=3');
    assert.deepEqual(bigFirst.body.files.map((f: any) => [f.name, f.size]), [['f29.dat', 29], ['f28.dat', 28], ['f27.dat', 27]]);
    const byName = await list('sort_by=name:desc&limit=2');
    assert.deepEqual(byName.body.files.map((f: any) => f.name), ['zeta', 'many'], 'sort_by replaces the default (folders first)');
    const filtered = await list('path=/many&name=~f1%&size=>=15');
    assert.deepEqual([filtered.body.count, filtered.body.files.map((f: any) => f.name)], [5, ['f15.dat', 'f16.dat', 'f17.dat', 'f18.dat', 'f19.dat']]);
    assert.deepEqual((await list('type=folder')).body.count, 4);
    const older = await list(`mtime=<2022-01-01`);
    assert.deepEqual(older.body.files.map((f: any) => f.name), ['b.bin']);
  });

  it('refuses paths leaving the storage with a 422 on path, and says 404 for a missing one', async () => {
    const cases: Array<[string, number, string]> = [
      ['/../etc', 422, 'path_escape'],
      ['/docs/../../..', 422, 'path_escape'],
      ['/escape', 422, 'path_escape'],
      ['/escape/sub', 422, 'path_escape'],
      ['/a.txt', 422, 'not_a_directory'],
      ['/missing', 404, 'not_found'],
      ['/etc', 404, 'not_found'],
    ];
    for (const [path, status, reason] of cases) {
      const r = await list(`path=${encodeURIComponent(path)}`);
      assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
      const detail = r.body.details.path[0];
      assert.equal(status === 404 ? detail.error : detail.reason, reason, path);
      assert.ok(!JSON.stringify(r.body).includes('not yours') && !JSON.stringify(r.body).includes('secret.txt'), 'nothing of the outside shows');
    }
  });

  it('validates the list parameters', async () => {
    const r = await list('sort_by=color&limit=5000');
    assert.equal(r.status, 422);
    assert.deepEqual(Object.keys(r.body.details).sort(), ['limit', 'sort_by']);
    const deep = await list('offset=99999&limit=10');
    assert.equal(deep.status, 422);
    assert.equal(deep.body.details.offset[0].error, 'less_than_or_equal_to');
  });

  it('is a 404 for storages the caller may not read, as their show', async () => {
    const u = await makeUser(b.admin);
    const hidden = await list('', u.client);
    assert.equal(hidden.status, 404);
    assert.deepEqual(hidden.body, (await u.client.get(`/nas_shares/${share.id}`)).body);
    assert.equal((await b.admin.get(`/nas_shares/${unique('nope')}/files`)).status, 404);
    assert.equal((await b.admin.put(`/nas_shares/${share.id}`, { guest_right: 'read' })).status, 200);
    assert.equal((await list('', u.client)).status, 200, 'the guest right lets every user read it');
    const none = await b.admin.post(`/nas_shares/${share.id}/privileges`, { name: u.username, type: 'user', privilege: 'none' });
    assert.equal(none.status, 201, JSON.stringify(none.body));
    assert.equal((await list('', u.client)).status, 404, 'her own none wins over the guest right');
    assert.equal((await b.admin.put(`/nas_shares/${share.id}`, { guest_right: 'none' })).status, 200);
  });

  it('says when the share itself cannot be opened', async () => {
    const nas = await b.admin.post('/nas', { name: unique('nas'), type: 'local' });
    const gone = await b.admin.post(`/nas/${nas.body.id}/nas_shares`, { name: unique('gone'), path: join(outside, 'not-there') });
    assert.equal(gone.status, 201, JSON.stringify(gone.body));
    const r = await b.admin.get(`/nas_shares/${gone.body.id}/files`);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.deepEqual(r.body.details.base[0], { error: 'unavailable', reason: 'not_found' });
  });
});

const env = s3TestEnv();
if ('skip' in env) {
  console.log(`# ${env.skip}`);
  describe('browsing a cloud bucket (real S3)', () => {
    it('lists prefixes and objects', (t) => { t.skip(env.skip); });
  });
} else {
  describe('browsing a cloud bucket (real S3)', () => {
    let b: Booted;
    let s3: S3Fixture;
    let bucket: { id: string; name: string };
    before(async () => {
      b = await boot();
      s3 = new S3Fixture(env, b.admin);
      bucket = await s3.bucket('browse');
      for (const key of ['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'b.txt']) await putObject(s3.raw, bucket.name, key, key);
      await putObject(s3.raw, bucket.name, 'kept.bin', 'k', { 'barge-mtime': '1614834367000', 'barge-mode': '644', 'barge-uid': '1000', 'barge-gid': '100' });
    });
    after(async () => {
      await s3?.cleanup();
      s3?.destroy();
      await b?.stop();
    });

    const list = (query: string) => b.admin.get(`/cloud_buckets/${bucket.id}/files?${query}`);

    it('lists prefixes as folders, first, then objects', async () => {
      const r = await list('');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.files.map((f: any) => [f.path, f.type, f.size]), [['/a', 'folder', null], ['/b.txt', 'file', 5], ['/kept.bin', 'file', 1]]);
      assert.equal(r.body.files[1].storage_class, 'STANDARD');
      const sub = await list('path=a/');
      assert.deepEqual([sub.body.count, sub.body.files.map((f: any) => f.path)], [3, ['/a/sub', '/a/1.txt', '/a/2.txt']]);
      const paged = await list('path=/a&sort_by=name:desc&limit=1&offset=1');
      assert.deepEqual([paged.body.count, paged.body.files.map((f: any) => f.name)], [3, ['2.txt']]);
    });

    it('reports what Barge recorded in object metadata, null where nothing is', async () => {
      const files = (await list('')).body.files;
      const kept = files.find((f: any) => f.name === 'kept.bin');
      const b2 = files.find((f: any) => f.name === 'b.txt');
      assert.deepEqual([kept.mode, kept.uid, kept.gid, kept.mtime], [0o644, 1000, 100, '2021-03-04T05:06:07.000Z'], JSON.stringify(kept));
      assert.deepEqual([b2.mode, b2.uid, b2.gid], [null, null, null]);
    });

    it('refuses escapes and objects with a 422 on path, a missing prefix with a 404', async () => {
      for (const [path, status, reason] of [['../x', 422, 'path_escape'], ['b.txt', 422, 'not_a_directory'], ['nope/', 404, 'not_found']] as const) {
        const r = await list(`path=${encodeURIComponent(path)}`);
        assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
        const d = r.body.details.path[0];
        assert.equal(status === 404 ? d.error : d.reason, reason);
      }
    });

    it('is a 404 for a non-admin without a right on the bucket', async () => {
      const u = await makeUser(b.admin);
      assert.equal((await u.client.get(`/cloud_buckets/${bucket.id}/files`)).status, 404);
      const grant = await b.admin.post(`/cloud_buckets/${bucket.id}/privileges`, { name: u.username, type: 'user', privilege: 'read' });
      assert.equal(grant.status, 201, JSON.stringify(grant.body));
      assert.equal((await u.client.get(`/cloud_buckets/${bucket.id}/files`)).status, 200);
    });
  });
}
