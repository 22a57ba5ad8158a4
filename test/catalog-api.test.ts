/**
 * What is stored, searched and counted through the API (#13): real scan tasks on real directories
 * fill the catalog, then `GET /files` finds the files with the list conventions and
 * `GET /statistics/*` counts them in Nodeum's facet shapes — a non-admin only on the storages they
 * may read, and only their own executions. On SQLite, and on PostgreSQL when BARGE_TEST_PG_URL is set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat, utimes, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { boot, dialects, pgSkipReason, waitFor, type Booted } from './helpers/barge.js';
import { makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { makeTree, stampTree } from './helpers/trees.js';

const skip = pgSkipReason();
if (skip) console.log(`# ${skip}`);
const DAY = 86_400_000;

for (const dialect of dialects()) {
  describe(`catalog search and statistics (${dialect})`, () => {
    let b: Booted;
    let s: Record<string, { id: string; path: string }>;
    const scans: string[] = [];
    let taskId = '';

    async function scan(shareId: string): Promise<any> {
      const t = await b.admin.post('/tasks', {
        name: unique('scan'), workflow_type: 'data_migration', workflow_action: 'scan', options: { file_checksum: 'md5' },
        sources: [{ type: 'nas', storage_id: shareId, node_paths: ['/'] }],
      });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      const r = await b.admin.put(`/tasks/${t.body.id}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const e = await waitFor(async () => {
        const x = await b.admin.get(`/task_executions/${r.body.execution_id}`);
        return x.body.finished_at ? x.body : undefined;
      }, 'the scan to finish', 30_000);
      assert.equal(e.status, 'done', JSON.stringify(e));
      scans.push(e.id);
      return { ...e, task_id: t.body.id };
    }

    before(async () => {
      b = await boot({ dialect, engine: true });
      s = await nasWithShares(b.admin, ['data', 'other']);
      const tree = { 'docs/a.txt': 'aaa', 'docs/b.TXT': 'bbbbb', 'img/c.jpg': 1000, readme: 'r' };
      await makeTree(s.data!.path, tree);
      await stampTree(s.data!.path, tree);
      await chmod(join(s.data!.path, 'docs/a.txt'), 0o640);
      const old = new Date(Date.now() - 400 * DAY);
      await utimes(join(s.data!.path, 'img/c.jpg'), old, old);
      await makeTree(s.other!.path, { 'x.txt': 'x' });
      await stampTree(s.other!.path, { 'x.txt': 'x' });
      taskId = (await scan(s.data!.id)).task_id;
      await scan(s.other!.id);
    });
    after(async () => b?.stop());

    const files = async (query: string, client = b.admin) => {
      const r = await client.get(`/files?${query.includes('sort_by=') ? '' : 'sort_by=path&'}${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { count: number; files: any[] };
    };

    it('finds every scanned file with Nodeum\'s fields and Barge\'s', async () => {
      const all = await files('');
      assert.equal(all.count, 5);
      assert.deepEqual(all.files.map((f) => f.file_path), ['/docs/a.txt', '/docs/b.TXT', '/img/c.jpg', '/readme', '/x.txt']);
      const a = all.files[0];
      const st = await stat(join(s.data!.path, 'docs/a.txt'));
      assert.deepEqual(a, {
        name: 'a.txt', type: 'file', permission: 100640, size: 3, modification_date: new Date(st.mtimeMs).toISOString(), uid: st.uid, gid: st.gid,
        file_path: '/docs/a.txt', extension: 'txt', mode: 0o640, storage_id: s.data!.id, task_id: taskId, execution_id: scans[0],
        checksum: '47bce5c74f589f4867dbd57e9ca9f808', checksum_algorithm: 'md5', recorded_at: a.recorded_at, stored_storage_id: null, stored_path: null, evicted: false,
      });
      assert.ok(Date.parse(a.recorded_at) > 0);
    });

    it('filters with the list operators: extension (any case, with or without the dot), name, size, dates, storage', async () => {
      const paths = async (q: string) => (await files(q)).files.map((f) => f.file_path);
      assert.deepEqual(await paths('extension=txt'), ['/docs/a.txt', '/docs/b.TXT', '/x.txt']);
      assert.deepEqual(await paths('extension=.TXT'), ['/docs/a.txt', '/docs/b.TXT', '/x.txt']);
      assert.deepEqual(await paths('name=~%.jpg'), ['/img/c.jpg']);
      assert.deepEqual(await paths('size=>=1000'), ['/img/c.jpg']);
      assert.deepEqual(await paths(`modification_date=<${new Date(Date.now() - 365 * DAY).toISOString()}`), ['/img/c.jpg']);
      assert.deepEqual(await paths(`storage_id=${s.other!.id}`), ['/x.txt']);
      assert.deepEqual(await paths('path=~/docs/%&sort_by=size:desc'), ['/docs/b.TXT', '/docs/a.txt']);
      const page = await files('limit=2&offset=1');
      assert.deepEqual([page.count, page.files.map((f) => f.file_path)], [5, ['/docs/b.TXT', '/img/c.jpg']]);
      const bad = await b.admin.get('/files?size=big&sort_by=color');
      assert.equal(bad.status, 422);
      assert.deepEqual(Object.keys(bad.body.details).sort(), ['size', 'sort_by']);
      assert.equal((await b.admin.get(`/files?storage_id=${unique('nope')}`)).status, 404, 'an unknown storage is a 404, as its show');
    });

    it('shows the latest scan of each path by default; latest=false shows every scan\'s rows', async () => {
      await writeFile(join(s.data!.path, 'docs/a.txt'), 'now ten b.');
      await stampTree(s.data!.path, { 'docs/a.txt': '' });
      await rm(join(s.data!.path, 'readme'));
      const again = await scan(s.data!.id);
      const latest = await files('');
      const a = latest.files.find((f) => f.file_path === '/docs/a.txt');
      assert.deepEqual([a.size, a.execution_id], [10, again.id]);
      // A file deleted since keeps its last row: the catalog records what scans saw.
      assert.equal(latest.count, 5);
      assert.equal((await files('latest=false')).count, 8);
      assert.deepEqual((await files(`execution_id=${again.id}`)).files.map((f) => f.file_path), ['/docs/a.txt', '/docs/b.TXT', '/img/c.jpg']);
      assert.deepEqual((await files(`execution_id=${scans[0]}&size=3`)).files.map((f) => f.file_path), ['/docs/a.txt'], 'an execution\'s own rows, not the latest');
    });

    it('counts files by extension, size, date and owner in Nodeum\'s facet shapes', async () => {
      const ext = (await b.admin.get('/statistics/by_file_extension')).body;
      assert.deepEqual([ext.count, ext.files_count, ext.file_size_sum], [5, 5, 10 + 5 + 1000 + 1 + 1]);
      const buckets = ext.file_extension_s.buckets;
      assert.deepEqual(buckets.map((x: any) => [x.val, x.files_count, x.file_size_sum]), [['txt', 3, 16], ['jpg', 1, 1000], [null, 1, 1]]);
      const txt = buckets[0];
      assert.deepEqual([txt.count, txt.less_1_week.files_count, txt.more_2_years.files_count], [3, 3, 0]);
      const bySize = (await b.admin.get('/statistics/by_file_extension?sort=file_size_sum&limit=1')).body;
      assert.deepEqual(bySize.file_extension_s.buckets.map((x: any) => x.val), ['jpg']);

      const date = (await b.admin.get('/statistics/by_date')).body;
      assert.deepEqual(
        ['less_1_week', 'less_1_month', 'less_3_months', 'less_6_months', 'less_1_year', 'less_2_years', 'more_2_years'].map((k) => date[k].files_count),
        [4, 0, 0, 0, 0, 1, 0],
      );
      assert.deepEqual(date.less_2_years, { count: 1, files_count: 1, file_size_sum: 1000 });

      const size = (await b.admin.get('/statistics/by_size')).body;
      assert.equal(size.less_100_kb.files_count, 5);
      assert.equal(size.less_100_kb.less_2_years.files_count, 1);
      assert.equal(size.more_100_gb.files_count, 0);

      const owners = (await b.admin.get('/statistics/by_user_owner')).body;
      assert.deepEqual(owners.user_owner_id_l.buckets.map((x: any) => [x.val, x.files_count]), [[process.getuid!(), 5]]);

      const filtered = (await b.admin.get(`/statistics/by_date?storage_id=${s.other!.id}`)).body;
      assert.equal(filtered.files_count, 1);
    });

    it('counts storages and executions', async () => {
      const st = (await b.admin.get('/statistics/storage')).body;
      assert.ok(st.nas_share.count >= 2);
      assert.equal(st.count, st.nas_share.count + st.cloud_bucket.count);
      assert.ok(st.nas_share.nas_type_i.buckets.some((x: any) => x.val === 'local' && x.count >= 2));
      const mine = st.by_storage.buckets.find((x: any) => x.val === s.data!.id);
      assert.deepEqual([mine.type, mine.files_count, mine.file_size_sum], ['nas', 4, 1016]);

      const status = (await b.admin.get('/statistics/task_by_status')).body;
      assert.equal(status.count, 3);
      assert.equal(status.tasks_count, 3, 'each scan() is a task of its own');
      assert.deepEqual(status.status.buckets.map((x: any) => [x.val, x.count]), [['done', 3]]);
      assert.equal(status.processed_files_sum, 4 + 1 + 3);
      assert.equal(status.finalized_files_sum, 8);
      const wf = (await b.admin.get('/statistics/task_by_workflow')).body;
      assert.deepEqual(wf.type.buckets.map((x: any) => [x.val, x.count, x.action.buckets.map((a: any) => [a.val, a.count])]), [['data_migration', 3, [['scan', 3]]]]);
    });

    it('refuses Nodeum\'s Solr parameters and dates Barge does not record, with a 422 naming them', async () => {
      const r = await b.admin.get('/statistics/by_date?q=*:*');
      assert.equal(r.status, 422);
      assert.equal(r.body.details.q[0].error, 'invalid');
      assert.equal((await b.admin.get('/statistics/by_date?date_attr=file_access_dt')).status, 422);
      assert.equal((await b.admin.get('/statistics/by_date?date_attr=file_modification_dt')).status, 200);
      assert.equal((await b.admin.get('/statistics/by_file_extension?sort=cost')).status, 422);
      assert.equal((await b.admin.get('/statistics/by_file_extension?limit=0')).status, 422);
      assert.equal((await b.admin.get('/files?modification_date=~2024%')).status, 422);
    });

    it('a non-admin searches and counts only the storages they may read, and their own executions', async () => {
      const alice = await makeUser(b.admin);
      assert.equal((await files('', alice.client)).count, 0, 'new storages are closed to other users');
      const grant = await b.admin.post(`/nas_shares/${s.other!.id}/privileges`, { name: alice.username, type: 'user', privilege: 'read' });
      assert.equal(grant.status, 201, JSON.stringify(grant.body));
      assert.deepEqual((await files('', alice.client)).files.map((f) => f.file_path), ['/x.txt']);
      const denied = await alice.client.get(`/files?storage_id=${s.data!.id}`);
      assert.equal(denied.status, 404, 'a storage she may not read is a 404, as its show');
      assert.equal(denied.body.details.storage_id[0].error, 'not_found');
      const ext = (await alice.client.get('/statistics/by_file_extension')).body;
      assert.deepEqual([ext.files_count, ext.file_extension_s.buckets.map((x: any) => x.val)], [1, ['txt']]);
      assert.equal((await alice.client.get(`/statistics/by_size?storage_id=${s.data!.id}`)).status, 404);
      const st = (await alice.client.get('/statistics/storage')).body;
      assert.deepEqual([st.count, st.nas_share.count, st.by_storage.buckets.map((x: any) => x.val)], [1, 1, [s.other!.id]]);
      const tasks = (await alice.client.get('/statistics/task_by_status')).body;
      assert.deepEqual([tasks.count, tasks.status.buckets], [0, []], 'the admin\'s scans are not hers');
    });

    it('API keys need the files/index and statistics/<facet> scopes', async () => {
      const k = await b.admin.post('/users/me/api_keys', { name: unique('k'), api_key_scopes: [{ controller: 'files', action: 'index' }] });
      assert.equal(k.status, 201, JSON.stringify(k.body));
      const key = b.api.withAuth(k.body.key);
      assert.equal((await key.get('/files')).status, 200);
      assert.equal((await key.get('/statistics/by_date')).status, 403);
    });
  });
}
