/**
 * `npm start` as a user meets it: the compiled server (dist/server, see scripts/build-server.mjs) on
 * a fresh data dir prints where the API and the console listen and the generated admin password, and
 * that password works; the posix copy worker loads from its compiled file (a copy runs end to end).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, waitFor } from './helpers/barge.js';
import { startChild, type ChildBarge } from './helpers/child-barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { hashTree, makeTree } from './helpers/trees.js';

const CONSOLE_BUILT = existsSync(fileURLToPath(new URL('../web/dist/index.html', import.meta.url)));

describe('npm start (compiled server, fresh data dir)', () => {
  let dir: string;
  let child: ChildBarge;
  let admin: Client;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'barge-start-'));
    child = await startChild(dir, { BARGE_ADMIN_PASSWORD: '' });
  });
  after(async () => {
    await child?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the API and console addresses and a generated admin password that signs in', async () => {
    const out = child.stdout();
    assert.match(out, new RegExp(`API:\\s+${child.url}/api/v2`));
    assert.match(out, new RegExp(`Console:\\s+${child.url}/console/`));
    const password = /generated password: (\S+)/.exec(out)?.[1];
    assert.ok(password && password.length >= 16, out);
    admin = new Client(`${child.url}/api/v2`).withBasic('admin', password);
    assert.equal((await admin.get('/tasks')).status, 200);
    assert.equal((await new Client(`${child.url}/api/v2`).withBasic('admin', 'wrong-password').get('/tasks')).status, 401);
    const page = await fetch(`${child.url}/console/`);
    const body = await page.text();
    if (CONSOLE_BUILT) assert.equal(page.status, 200, body.slice(0, 200));
    else assert.deepEqual([page.status, body.includes('npm run build')], [503, true]);
  });

  it('copies between two shares through the compiled copy worker', async () => {
    const shares = await nasWithShares(admin, ['src', 'dst']);
    const files: Record<string, number> = {};
    for (let i = 0; i < 40; i++) files[`d${i % 3}/f${i}`] = 3000 + i;
    await makeTree(shares.src!.path, files);
    const t = await admin.post('/tasks', copyTask(shares.src!.id, shares.dst!.id, { options: { file_checksum: 'md5' } }));
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const run = await admin.put(`/tasks/${t.body.id}/action/run`);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const e = await waitFor(async () => {
      const x = (await admin.get(`/task_executions/${run.body.execution_id}`)).body;
      return ['done', 'finished_with_warnings', 'error'].includes(x.status) && x;
    }, 'the copy to finish', 30_000);
    assert.equal(e.status, 'done', `${JSON.stringify(e)}\n${child.stderr()}`);
    assert.deepEqual(await hashTree(shares.dst!.path), await hashTree(shares.src!.path));
  });
});
