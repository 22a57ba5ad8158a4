/**
 * The posix driver with a context (`options.context_uid`/`context_gid`): the whole conformance suite
 * as uid 65534 on a root that user owns, then what the user may not do.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runConformance } from '../conformance/conformance.js';
import { collect, readBytes, rejectsWithCode, writeBytes } from '../conformance/helpers.js';
import { credentialSwitchBlocker } from './fs-credentials.js';
import { PosixDriver } from './posix-driver.js';

const NOBODY = { uid: 65534, gid: 65534 };
const blocker = credentialSwitchBlocker();
const skip = blocker === null ? false : `cannot switch file-system credentials here: ${blocker}`;
if (skip) console.log(`# skipped: ${skip}`);

/** `base/` (0755) holding `base/root/`, owned by the context user. */
async function makeBase(): Promise<{ base: string; root: string }> {
  const base = await fs.mkdtemp(join(tmpdir(), 'barge-posix-ctx-'));
  await fs.chmod(base, 0o755);
  const root = join(base, 'root');
  await fs.mkdir(root);
  await fs.chown(root, NOBODY.uid, NOBODY.gid);
  return { base, root };
}

if (!skip) {
  runConformance('posix as context user 65534', async () => {
    const { base, root } = await makeBase();
    return { driver: await PosixDriver.open({ root, context: NOBODY }), cleanup: () => fs.rm(base, { recursive: true, force: true }) };
  });
}

describe('posix driver with a context', { skip }, () => {
  let base: string;
  let root: string;
  let d: PosixDriver;
  before(async () => {
    ({ base, root } = await makeBase());
    await fs.writeFile(join(root, 'secret'), 'root only', { mode: 0o600 });
    await fs.mkdir(join(root, 'closed'), { mode: 0o700 });
    await fs.writeFile(join(root, 'closed', 'inner'), 'hidden');
    await fs.mkdir(join(root, 'rootdir'), { mode: 0o755 });
    await fs.writeFile(join(root, 'rootdir', 'kept'), 'kept', { mode: 0o644 });
    d = await PosixDriver.open({ root, context: NOBODY });
  });
  after(async () => {
    await d.close();
    await fs.rm(base, { recursive: true, force: true });
  });

  it('cannot read, list or enter what the user cannot; sees the names it may list', async () => {
    await rejectsWithCode(() => d.openRead('secret'), 'permission_denied');
    await rejectsWithCode(() => collect(d.list('closed')), 'permission_denied');
    await rejectsWithCode(() => d.stat('closed/inner'), 'permission_denied');
    const names = (await collect(d.list(''))).map((e) => e.name).sort();
    assert.deepEqual(names, ['closed', 'rootdir', 'secret']);
  });

  it('writes as the user (owner 65534) and cannot write or remove in a root-owned folder', async () => {
    await writeBytes(d, 'mine.txt', 'hello');
    const st = await fs.lstat(join(root, 'mine.txt'));
    assert.deepEqual([st.uid, st.gid], [NOBODY.uid, NOBODY.gid]);
    assert.equal((await readBytes(d, 'mine.txt')).toString(), 'hello');
    await rejectsWithCode(() => writeBytes(d, 'rootdir/new.txt', 'x'), 'permission_denied');
    await rejectsWithCode(() => d.remove('rootdir/kept'), 'permission_denied');
    assert.equal(await fs.readFile(join(root, 'rootdir', 'kept'), 'utf8'), 'kept');
    assert.equal(d.features.setOwnership, false, 'a context user cannot give files away');
  });

  it('copies between roots only with the same context (posix → posix in the context pool)', async () => {
    const plain = await PosixDriver.open({ root });
    try {
      assert.equal(await d.transferTo('mine.txt', plain, 'other.txt'), null, 'different users: streamed, not a worker copy');
      const res = await d.transferTo('mine.txt', d, 'copy/mine.txt', { checksum: 'md5' });
      assert.equal(res?.size, 5);
      assert.equal((await fs.lstat(join(root, 'copy', 'mine.txt'))).uid, NOBODY.uid);
      await rejectsWithCode(() => d.transferTo('secret', d, 'copy/secret'), 'permission_denied');
    } finally {
      await plain.close();
    }
  });
});
