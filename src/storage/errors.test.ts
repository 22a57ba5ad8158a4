import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { describe, it } from 'node:test';
import { StorageError, abortedError, classifyFsError, isAbortError, isStorageError, throwIfAborted, toStorageError } from './errors.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: synthetic`), { code, errno: -1, syscall: 'open' });
}

describe('classifyFsError', () => {
  it('maps errno codes to stable storage codes and retryability', () => {
    const table: [string, string, boolean][] = [
      ['ENOENT', 'not_found', false], ['EEXIST', 'exists', false], ['EACCES', 'permission_denied', false],
      ['EPERM', 'permission_denied', false], ['EROFS', 'read_only', false], ['ENOSPC', 'no_space', false],
      ['EDQUOT', 'no_space', false], ['EFBIG', 'too_large', false], ['ENOTDIR', 'not_a_directory', false],
      ['EISDIR', 'is_a_directory', false], ['ENOTEMPTY', 'not_empty', false], ['ENAMETOOLONG', 'invalid_path', false],
      ['ELOOP', 'invalid_path', false], ['EXDEV', 'unsupported', false], ['EMFILE', 'busy', true], ['ENFILE', 'busy', true],
      ['EAGAIN', 'busy', true], ['EBUSY', 'busy', true], ['EIO', 'io', true], ['ESTALE', 'io', true],
      ['ESOMETHINGNEW', 'io', true],
    ];
    for (const [sys, code, retryable] of table) {
      const e = classifyFsError(errno(sys), 'some/path');
      assert.equal(e.code, code, sys);
      assert.equal(e.retryable, retryable, sys);
      assert.equal(e.sysCode, sys);
      assert.equal(e.path, 'some/path');
      assert.ok(e.cause instanceof Error);
    }
  });

  it('classifies a real ENOENT from fs', async () => {
    const err = await fs.readFile('/definitely/not/here').then(() => undefined, (e: unknown) => e);
    assert.equal(classifyFsError(err).code, 'not_found');
  });

  it('passes StorageErrors through and maps abort errors', () => {
    const own = new StorageError('no_space', 'full');
    assert.equal(classifyFsError(own), own);
    const abort = new DOMException('stop', 'AbortError');
    assert.equal(isAbortError(abort), true);
    assert.equal(toStorageError(abort).code, 'aborted');
    assert.equal(toStorageError('weird').code, 'io');
  });
});

describe('StorageError', () => {
  it('has default retryability per code, overridable', () => {
    assert.equal(new StorageError('busy', 'x').retryable, true);
    assert.equal(new StorageError('size_mismatch', 'x').retryable, true);
    assert.equal(new StorageError('not_found', 'x').retryable, false);
    assert.equal(new StorageError('not_found', 'x', { retryable: true }).retryable, true);
    assert.equal(new StorageError('io', 'x').name, 'StorageError');
  });

  it('isStorageError narrows by code', () => {
    const e: unknown = new StorageError('exists', 'x');
    assert.equal(isStorageError(e), true);
    assert.equal(isStorageError(e, 'exists'), true);
    assert.equal(isStorageError(e, 'io'), false);
    assert.equal(isStorageError(new Error('x')), false);
  });

  it('abort helpers produce aborted errors', () => {
    assert.equal(abortedError(undefined).code, 'aborted');
    assert.doesNotThrow(() => throwIfAborted(undefined));
    assert.doesNotThrow(() => throwIfAborted(new AbortController().signal));
    assert.throws(() => throwIfAborted(AbortSignal.abort(), 'p'), (e: unknown) => isStorageError(e, 'aborted') && e.path === 'p');
  });
});
