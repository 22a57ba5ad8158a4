import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStorageError } from '../errors.js';
import { publish, publishSync, sameContentSync } from './publish.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'barge-publish-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = (name: string) => join(dir, name);

// publishSync: renameat2(RENAME_NOREPLACE) in the copy workers; publish: link + unlink on the event loop.
for (const [label, run] of [
  ['publishSync', async (t: string, f: string, n: boolean) => publishSync(t, f, n, 'x')],
  ['publish', (t: string, f: string, n: boolean) => publish(t, f, n, 'x')],
] as const) {
  describe(label, () => {
    it('without noReplace: replaces whatever is there', async () => {
      writeFileSync(at('tmp'), 'new');
      writeFileSync(at('final'), 'old');
      await run(at('tmp'), at('final'), false);
      assert.equal(readFileSync(at('final'), 'utf8'), 'new');
      assert.equal(existsSync(at('tmp')), false);
    });

    it('with noReplace: takes a free name, the temporary name is gone', async () => {
      writeFileSync(at('tmp'), 'new');
      await run(at('tmp'), at('final'), true);
      assert.equal(readFileSync(at('final'), 'utf8'), 'new');
      assert.equal(existsSync(at('tmp')), false);
    });

    it('with noReplace: a different file there is `exists`, untouched, and the temporary file is left to the caller', async () => {
      writeFileSync(at('tmp'), 'new');
      writeFileSync(at('final'), 'someone else');
      await assert.rejects(Promise.resolve().then(() => run(at('tmp'), at('final'), true)), (err: unknown) => isStorageError(err, 'exists') && !err.retryable);
      assert.equal(readFileSync(at('final'), 'utf8'), 'someone else');
      assert.equal(readFileSync(at('tmp'), 'utf8'), 'new');
    });

    it('with noReplace: the very same bytes there stand as this copy (a redo)', async () => {
      writeFileSync(at('tmp'), 'same bytes');
      writeFileSync(at('final'), 'same bytes');
      await run(at('tmp'), at('final'), true);
      assert.equal(readFileSync(at('final'), 'utf8'), 'same bytes');
      assert.equal(existsSync(at('tmp')), false);
    });
  });
}

describe('sameContentSync', () => {
  it('compares sizes, then bytes across chunks; a missing or non-file target is never the same', () => {
    const big = Buffer.alloc(200_000, 7);
    writeFileSync(at('a'), big);
    writeFileSync(at('b'), big);
    assert.equal(sameContentSync(at('a'), at('b')), true);
    const other = Buffer.from(big);
    other[150_000] = 8;
    writeFileSync(at('c'), other);
    assert.equal(sameContentSync(at('a'), at('c')), false, 'differs in the third chunk');
    writeFileSync(at('d'), big.subarray(0, 1000));
    assert.equal(sameContentSync(at('a'), at('d')), false);
    assert.equal(sameContentSync(at('a'), at('missing')), false);
    assert.equal(sameContentSync(at('a'), dir), false);
  });
});
