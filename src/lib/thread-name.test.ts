import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { nameThisThread } from './thread-name.js';

const comm = (tid: string | number) => readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim();

test('nameThisThread names the calling thread only, cut to the kernel\'s 15 bytes', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const before = comm(process.pid);
  // Another thread of the process, alive while the main thread renames itself: its name must not change.
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    setInterval(() => {}, 1000);
  `, { eval: true });
  try {
    const tid = await new Promise<string>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    const other = comm(tid);
    nameThisThread('barge-a-very-long-name');
    assert.equal(comm(process.pid), 'barge-a-very-lo');
    assert.equal(comm(tid), other);
  } finally {
    nameThisThread(before);
    await w.terminate();
  }
});
