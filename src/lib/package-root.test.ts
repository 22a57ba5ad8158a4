import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot, packageRoot } from './package-root.js';

test('package root: the directory of barge\'s package.json, from the sources and from below it', () => {
  const root = packageRoot();
  assert.ok(existsSync(join(root, 'openapi', 'nodeum-tasks-seed.json')), 'the seed hangs from the root');
  assert.equal(findPackageRoot(join(root, 'dist', 'server')), root, 'the compiled server finds the same root');
});

test('package root: another package.json on the way up is skipped; none at all is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'barge-root-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'barge' }));
    mkdirSync(join(dir, 'node_modules', 'other'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'other', 'package.json'), JSON.stringify({ name: 'other' }));
    assert.equal(findPackageRoot(join(dir, 'node_modules', 'other')), dir);
    assert.throws(() => findPackageRoot(tmpdir()), /no package.json of barge/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
