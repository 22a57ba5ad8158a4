import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContextIdentityError, hasContext, resolveContextIdentity } from './context-identity.js';

let dir: string;
let files: { passwd: string; group: string };
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'barge-ident-'));
  files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
  writeFileSync(files.passwd, '# comment\nroot:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001:Alice:/home/alice:/bin/sh\n');
  writeFileSync(files.group, 'root:x:0:\nstaff:x:50:alice\nalice:x:1001:\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fails(options: { contextUid?: unknown; contextGid?: unknown }, field: string, text: RegExp): void {
  assert.throws(() => resolveContextIdentity(options, files), (err: unknown) => err instanceof ContextIdentityError && err.field === field && text.test(err.message));
}

describe('resolveContextIdentity', () => {
  it('no context: null (absent, null or blank)', () => {
    assert.equal(resolveContextIdentity({}, files), null);
    assert.equal(resolveContextIdentity({ contextUid: '', contextGid: null }, files), null);
    assert.equal(hasContext({ contextUid: ' ' }), false);
    assert.equal(hasContext({ contextGid: '50' }), true);
  });

  it('decimal ids as given; names from passwd and group', () => {
    assert.deepEqual(resolveContextIdentity({ contextUid: '4242', contextGid: '77' }, files), { uid: 4242, gid: 77 });
    assert.deepEqual(resolveContextIdentity({ contextUid: 'alice', contextGid: 'staff' }, files), { uid: 1000, gid: 50 });
    assert.deepEqual(resolveContextIdentity({ contextUid: 1000, contextGid: 'root' }, files), { uid: 1000, gid: 0 });
  });

  it('no gid: the primary group from passwd, by name or by id', () => {
    assert.deepEqual(resolveContextIdentity({ contextUid: 'alice' }, files), { uid: 1000, gid: 1001 });
    assert.deepEqual(resolveContextIdentity({ contextUid: '1000' }, files), { uid: 1000, gid: 1001 });
    fails({ contextUid: '4242' }, 'context_gid', /has no entry .* its group must be given/);
  });

  it('unknown names, out-of-range ids and a gid alone are errors naming the option', () => {
    fails({ contextUid: 'bob' }, 'context_uid', /no user named "bob"/);
    fails({ contextUid: 'alice', contextGid: 'wheel' }, 'context_gid', /no group named "wheel"/);
    fails({ contextUid: '4294967295' }, 'context_uid', /not a valid id/);
    fails({ contextGid: '50' }, 'context_gid', /needs context_uid/);
  });
});
