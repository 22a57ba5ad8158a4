import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyFsError, isStorageError } from '../errors.js';
import { makeTempName } from '../paths.js';
import { acquireCredentialed, CredentialedFs } from './credentialed-fs.js';
import { credentialSwitchBlocker, currentFsCredentials } from './fs-credentials.js';
import type { PlainStat } from './fs-op-protocol.js';

const NOBODY = { uid: 65534, gid: 65534 };
const blocker = credentialSwitchBlocker();
const skip = blocker === null ? false : `cannot switch file-system credentials here: ${blocker}`;
if (skip) console.log(`# skipped: ${skip}`);

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'barge-cred-'));
  chmodSync(base, 0o755); // mkdtemp makes it 0700: the context user must be able to enter it
  writeFileSync(join(base, 'secret'), 'root only', { mode: 0o600 });
  writeFileSync(join(base, 'public'), 'everyone', { mode: 0o644 });
  mkdirSync(join(base, 'closed'), { mode: 0o766 }); // no x for others: no traversal
  chmodSync(join(base, 'closed'), 0o766);
  writeFileSync(join(base, 'closed', 'inner'), 'hidden', { mode: 0o644 });
  mkdirSync(join(base, 'drop'), { mode: 0o755 });
  chownSync(join(base, 'drop'), NOBODY.uid, NOBODY.gid);
});
after(() => rmSync(base, { recursive: true, force: true }));

describe('CredentialedFs (path operations as a context user)', { skip }, () => {
  it('cannot open a root file of mode 0600, can open a readable one; the main thread keeps its ids', async () => {
    const fs = await CredentialedFs.start(NOBODY);
    try {
      await assert.rejects(fs.call({ op: 'open', path: join(base, 'secret'), flags: 0, mode: 0 }), (err: unknown) => classifyFsError(err).code === 'permission_denied');
      const fd = await fs.call<number>({ op: 'open', path: join(base, 'public'), flags: 0, mode: 0 });
      // The descriptor is the process's: read here, on the main thread.
      assert.equal(readFileSync(fd, 'utf8'), 'everyone');
      await fs.call({ op: 'close', fd }); // by its thread, which tracks it
      assert.deepEqual(currentFsCredentials(), { uid: 0, gid: 0 });
      assert.equal(readFileSync(join(base, 'secret'), 'utf8'), 'root only');
    } finally {
      await fs.close();
    }
  });

  it('a directory without x for the user blocks traversal and listing', async () => {
    const fs = await CredentialedFs.start(NOBODY);
    try {
      await assert.rejects(fs.call({ op: 'lstat', path: join(base, 'closed', 'inner') }), (err: unknown) => classifyFsError(err).code === 'permission_denied');
      await assert.rejects(fs.call({ op: 'resolveInside', root: base, norm: 'closed/inner' }), (err: unknown) => isStorageError(err, 'permission_denied'));
      const listed = await fs.call<Array<{ name: string }>>({ op: 'list', path: base });
      assert.deepEqual(listed.map((e) => e.name).sort(), ['closed', 'drop', 'public', 'secret']);
    } finally {
      await fs.close();
    }
  });

  it('files and folders it creates belong to the user; it cannot write where the user may not', async () => {
    const fs = await CredentialedFs.start(NOBODY);
    try {
      const fd = await fs.call<number>({ op: 'open', path: join(base, 'drop', 'made'), flags: 0o101 /* O_WRONLY|O_CREAT */, mode: 0o644 });
      writeSync(fd, 'by nobody');
      await fs.call({ op: 'close', fd });
      await fs.call({ op: 'mkdir', path: join(base, 'drop', 'sub'), recursive: true });
      for (const name of ['made', 'sub']) {
        const st = await fs.call<PlainStat>({ op: 'lstat', path: join(base, 'drop', name) });
        assert.deepEqual([st.uid, st.gid], [NOBODY.uid, NOBODY.gid], name);
      }
      await assert.rejects(fs.call({ op: 'open', path: join(base, 'made-at-root'), flags: 0o101, mode: 0o644 }), (err: unknown) => classifyFsError(err).code === 'permission_denied');
      await assert.rejects(fs.call({ op: 'unlink', path: join(base, 'public') }), (err: unknown) => classifyFsError(err).code === 'permission_denied');
      assert.equal(lstatSync(join(base, 'public')).isFile(), true);
    } finally {
      await fs.close();
    }
  });

  it('the credentialed copy pool copies what the user may read, as the user, and refuses the rest', async () => {
    const res = await acquireCredentialed(NOBODY, 1);
    const again = await acquireCredentialed(NOBODY, 1);
    assert.equal(again.fs, res.fs, 'one thread per (uid, gid), shared');
    try {
      const job = (src: string, dst: string) => ({ srcRoot: base, srcPath: src, dstRoot: join(base, 'drop'), dstPath: dst, tempName: makeTempName(dst), checksum: 'md5' as const, fsync: false });
      const ok = await res.copyPool.run(job('public', 'public-copy'));
      assert.equal(ok.size, 'everyone'.length);
      const st = lstatSync(join(base, 'drop', 'public-copy'));
      assert.deepEqual([st.uid, st.gid], [NOBODY.uid, NOBODY.gid]);
      await assert.rejects(res.copyPool.run(job('secret', 'secret-copy')), (err: unknown) => isStorageError(err, 'permission_denied'));
      await assert.rejects(res.copyPool.run(job('closed/inner', 'inner-copy')), (err: unknown) => isStorageError(err, 'permission_denied'));
    } finally {
      await again.release();
      await res.release();
    }
    await assert.rejects(res.fs.call({ op: 'lstat', path: base }), (err: unknown) => isStorageError(err, 'closed'));
  });
});

describe('credentialSwitchBlocker', () => {
  it('names the missing capabilities', () => {
    if (process.platform !== 'linux') return;
    if (skip) return; // no glibc/koffi here: the capability check is not reached
    assert.match(String(credentialSwitchBlocker('Name:\tnode\nCapEff:\t0000000000000000\n')), /CAP_SETUID and CAP_SETGID/);
    assert.match(String(credentialSwitchBlocker('CapEff:\t0000000000000080\n')), /CAP_SETGID/);
    assert.equal(credentialSwitchBlocker('CapEff:\t00000000000000c0\n'), null);
    assert.match(String(credentialSwitchBlocker('Name:\tnode\n')), /CapEff/);
  });
});
