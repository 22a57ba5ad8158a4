/**
 * Small helpers for the conformance suite. Why separate: every case file needs them, and keeping them
 * here keeps each case readable as a list of behaviours.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { xxhash64 } from 'hash-wasm';
import type { ChecksumAlgorithm, CommitResult, Entry, ReadOptions, StorageDriver, WriteOptions } from '../driver.js';
import type { StorageErrorCode } from '../errors.js';
import { toStorageError } from '../errors.js';

/** What a conformance factory returns: a driver on fresh, empty storage and how to dispose of that storage. */
export interface DriverUnderTest {
  readonly driver: StorageDriver;
  /** Remove the storage. Called after the driver was closed. */
  readonly cleanup: () => Promise<void>;
}

/** Factory of fresh drivers; called once per test so tests cannot see each other's objects. */
export type MakeDriver = () => Promise<DriverUnderTest>;

/** What case files get from `runConformance`. */
export interface ConformanceContext {
  /** Run `fn` with a fresh driver; close and clean up afterwards whatever happens. */
  use(fn: (driver: StorageDriver) => Promise<void>): Promise<void>;
  /** Run `fn` with two fresh drivers of the same kind on separate storages (cross-storage operations). */
  usePair(fn: (a: StorageDriver, b: StorageDriver) => Promise<void>): Promise<void>;
}

/** Write `data` through an atomic writer and commit it. */
export async function writeBytes(driver: StorageDriver, path: string, data: Buffer | string, options?: WriteOptions): Promise<CommitResult> {
  const writer = await driver.openWrite(path, options);
  writer.stream.end(Buffer.from(data));
  return writer.commit();
}

/** Read a whole object (or a range) into memory. */
export async function readBytes(driver: StorageDriver, path: string, options?: ReadOptions): Promise<Buffer> {
  const stream = await driver.openRead(path, options);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Collect a listing. */
export async function collect(iterable: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

/** Sorted names of a directory. */
export async function listNames(driver: StorageDriver, dir: string): Promise<string[]> {
  return (await collect(driver.list(dir))).map((e) => e.name).sort();
}

/** Assert that `action` rejects with a StorageError (or an error mapping to one) of one of `codes`. */
export async function rejectsWithCode(action: () => Promise<unknown>, codes: StorageErrorCode | readonly StorageErrorCode[], what = ''): Promise<void> {
  const allowed = typeof codes === 'string' ? [codes] : codes;
  let outcome: unknown = undefined;
  let threw = false;
  try {
    outcome = await action();
  } catch (err) {
    threw = true;
    const code = toStorageError(err).code;
    assert.ok(allowed.includes(code), `${what}: expected code ${allowed.join('|')}, got ${code} (${String(err)})`);
  }
  assert.ok(threw, `${what}: expected rejection with ${allowed.join('|')}, resolved with ${String(outcome)}`);
}

/** The digest a backend must return for `algorithm`, computed locally. */
export async function expectedDigest(algorithm: ChecksumAlgorithm, data: Buffer): Promise<string> {
  switch (algorithm) {
    case 'md5':
    case 'sha1':
    case 'sha256':
      return createHash(algorithm).update(data).digest('hex');
    case 'crc32':
      return crc32(data).toString(16).padStart(8, '0');
    case 'xxhash64':
      return xxhash64(data);
  }
}

/** sha256 hex of a buffer (content comparison without printing megabytes on failure). */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  });
  await Promise.all(workers);
}
