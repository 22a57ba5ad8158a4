import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeNodePath } from './storage-path.js';

describe('normalizeNodePath', () => {
  it('normalises inside the root', () => {
    assert.deepEqual(normalizeNodePath('/a//b/./c/'), { path: '/a/b/c' });
    assert.deepEqual(normalizeNodePath('/a/b/../c'), { path: '/a/c' });
    assert.deepEqual(normalizeNodePath('/'), { path: '/' });
    assert.deepEqual(normalizeNodePath(''), { path: '/' });
  });
  it('resolves relative paths against the working dir', () => {
    assert.deepEqual(normalizeNodePath('x/y', '/projects'), { path: '/projects/x/y' });
    assert.deepEqual(normalizeNodePath('../z', '/projects/a'), { path: '/projects/z' });
  });
  it('refuses escapes above the root, NUL bytes and absurd lengths', () => {
    assert.deepEqual(normalizeNodePath('/../etc'), { problem: 'escape' });
    assert.deepEqual(normalizeNodePath('a/../../b'), { problem: 'escape' });
    assert.deepEqual(normalizeNodePath('../../x', '/one'), { problem: 'escape' });
    assert.deepEqual(normalizeNodePath('/a\0b'), { problem: 'nul' });
    assert.deepEqual(normalizeNodePath('/' + 'a'.repeat(5000)), { problem: 'too_long' });
  });
});
