import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStorageError } from '../errors.js';
import { fileSystemSync, kernelReportsSyncfsErrors } from './fs-sync.js';

test('fs-sync: syncfs is trusted only on Linux 5.8 and later', () => {
  assert.equal(kernelReportsSyncfsErrors('linux', '5.8.0'), true);
  assert.equal(kernelReportsSyncfsErrors('linux', '6.18.44-fc-v782'), true);
  assert.equal(kernelReportsSyncfsErrors('linux', '5.7.19'), false);
  assert.equal(kernelReportsSyncfsErrors('linux', '4.19.0-25-amd64'), false);
  assert.equal(kernelReportsSyncfsErrors('darwin', '23.1.0'), false);
  assert.equal(kernelReportsSyncfsErrors('linux', 'garbage'), false);
});

test('fs-sync: disabled by configuration, there is no syncfs', () => {
  assert.equal(fileSystemSync(false), null);
});

test('fs-sync: syncfs flushes through a file descriptor, and a failure is a StorageError with its errno', (t) => {
  const syncfs = fileSystemSync();
  if (syncfs === null) {
    t.skip(`no trusted syncfs here (${process.platform} ${process.version}): copies fsync file by file`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'barge-syncfs-'));
  try {
    const fd = openSync(join(dir, 'f'), 'wx');
    writeSync(fd, 'durable');
    syncfs(fd);
    closeSync(fd);
    assert.throws(() => syncfs(fd), (err: unknown) => isStorageError(err) && err.sysCode === 'EBADF', 'a closed descriptor is refused');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
