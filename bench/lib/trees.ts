/**
 * Source trees for the copy benchmarks, made fast:
 * - large files: random bytes (incompressible), written in 16 MiB chunks;
 * - many small files: worker threads (plain JS, `eval`) each writing a share of the folders with
 *   synchronous writeFileSync — a syscall per step on its own thread, no libuv pool round trips —
 *   which makes a million 4 KiB files in about a minute on two cores. Every file gets different
 *   bytes (a window of a random pool, shifted per file).
 */
import { randomFillSync, randomBytes } from 'node:crypto';
import { open, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { isInterrupted, trackTool } from './session.js';

/** `count` files `big-N.bin` of `bytes` random bytes each in `dir`. */
export async function makeLargeFiles(dir: string, count: number, bytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const chunk = Buffer.allocUnsafe(16 << 20);
  for (let i = 0; i < count; i++) {
    const fh = await open(join(dir, `big-${i}.bin`), 'w');
    try {
      for (let left = bytes; left > 0;) {
        if (isInterrupted()) throw new Error('interrupted');
        const n = Math.min(left, chunk.length);
        randomFillSync(chunk, 0, n);
        await fh.write(chunk, 0, n);
        left -= n;
      }
    } finally {
      await fh.close();
    }
  }
}

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { dir, folders, perFolder, extra, fileBytes, pool } = workerData;
const buf = Buffer.from(pool);
let made = 0;
for (const f of folders) {
  const d = path.join(dir, 'd' + String(f).padStart(5, '0'));
  fs.mkdirSync(d, { recursive: true });
  const n = perFolder + (f < extra ? 1 : 0);
  for (let i = 0; i < n; i++) {
    const off = (f * 7919 + i * 131) % (buf.length - fileBytes);
    fs.writeFileSync(path.join(d, 'f' + String(i).padStart(6, '0') + '.bin'), buf.subarray(off, off + fileBytes));
    if (++made % 5000 === 0) parentPort.postMessage(made);
  }
}
parentPort.postMessage(made);
`;

/**
 * `files` files of `fileBytes` bytes spread evenly over `folders` folders `dNNNNN/fNNNNNN.bin` of
 * `dir`. `onProgress` gets the running total now and then.
 */
export async function makeSmallTree(dir: string, files: number, folders: number, fileBytes: number, onProgress?: (made: number) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  const nFolders = Math.max(1, Math.min(folders, files));
  const perFolder = Math.floor(files / nFolders);
  const extra = files % nFolders;
  const threads = Math.max(2, availableParallelism());
  const pool = new Uint8Array(randomBytes(Math.max(1 << 20, fileBytes * 4)));
  const made = new Array<number>(threads).fill(0);
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: threads }, (_, w) => new Promise<void>((resolve, reject) => {
      const mine: number[] = [];
      for (let f = w; f < nFolders; f += threads) mine.push(f);
      const worker = new Worker(WORKER, { eval: true, workerData: { dir, folders: mine, perFolder, extra, fileBytes, pool } });
      workers.push(worker);
      worker.on('message', (n: number) => {
        made[w] = n;
        onProgress?.(made.reduce((a, b) => a + b, 0));
        if (isInterrupted()) void worker.terminate();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(isInterrupted() ? 'interrupted' : `tree worker exited ${code}`))));
    })));
  } finally {
    await Promise.allSettled(workers.map((w) => w.terminate()));
  }
}

/** Removes everything inside `dir` (kept itself: it is a share's root). */
export async function emptyDir(dir: string): Promise<void> {
  const child = spawn('find', [dir, '-mindepth', '1', '-delete'], { stdio: ['ignore', 'ignore', 'inherit'] });
  trackTool(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`emptying ${dir} failed (find exited ${code})`);
}
