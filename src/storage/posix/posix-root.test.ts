import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../errors.js';
import { LIBUV_PATH_OPS, type PathOps } from './path-ops.js';
import { PosixRoot } from './posix-root.js';

/** The same operations without a file thread: createDirs takes its steps one by one on libuv. */
const STEP_BY_STEP: PathOps = { ...LIBUV_PATH_OPS, createDirsInside: async () => null };

describe('PosixRoot.createDirs: one call on the file thread, as step by step', () => {
  let base: string;
  let outside: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'barge-root-'));
    outside = mkdtempSync(join(tmpdir(), 'barge-root-outside-'));
  });
  after(() => {
    rmSync(base, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  for (const [name, ops] of [['file thread', LIBUV_PATH_OPS], ['step by step', STEP_BY_STEP]] as const) {
    it(`${name}: creates missing folders, keeps existing ones, refuses escapes and files in the way`, async () => {
      const dir = join(base, name.replace(/ /g, '-'));
      mkdirSync(join(dir, 'inside'), { recursive: true });
      writeFileSync(join(dir, 'file'), 'x');
      symlinkSync(outside, join(dir, 'escape'));
      symlinkSync('inside', join(dir, 'link'));
      const root = await PosixRoot.open(dir, ops);
      const made = await root.createDirs('a/b/c');
      assert.equal(made, join(root.real, 'a', 'b', 'c'));
      assert.ok(statSync(made).isDirectory());
      assert.equal(await root.createDirs('a/b/c'), made, 'an existing folder is fine');
      assert.equal(await root.createDirs('link/d'), join(root.real, 'inside', 'd'), 'a symlink inside the root is followed');
      // Only the last component missing (the file thread's one-mkdir path), and existing last components.
      assert.equal(await root.createDirs('a/b/new'), join(root.real, 'a', 'b', 'new'));
      assert.ok(statSync(join(root.real, 'a', 'b', 'new')).isDirectory());
      assert.equal(await root.createDirs('top'), join(root.real, 'top'));
      assert.equal(await root.createDirs('link'), join(root.real, 'inside'), 'an existing symlink inside the root is followed');
      const code = async (norm: string): Promise<string> => {
        try {
          await root.createDirs(norm);
          return 'ok';
        } catch (err) {
          assert.ok(err instanceof StorageError, `a StorageError for ${norm}`);
          return `${err.code}:${err.path}`;
        }
      };
      assert.equal(await code('escape/x/y'), 'path_escape:escape');
      assert.equal(await code('escape'), 'path_escape:escape', 'an existing symlink out of the root');
      assert.equal(await code('escape/x'), 'path_escape:escape');
      assert.equal(await code('file'), 'not_a_directory:file');
      assert.equal(await code('file/under'), 'not_a_directory:file/under');
      assert.deepEqual(readdirSync(outside), [], 'nothing made outside the root');
    });
  }
});
