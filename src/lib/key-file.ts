/**
 * Server secrets kept in the data dir (JWT signing key, secret-box key): created once with mode
 * 0600 and read back on every start, so restarts keep sessions and sealed secrets valid.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Reads a 32-byte key from `file`, creating it when missing. */
export function loadOrCreateKey(file: string): Buffer {
  try {
    const k = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (k.length === 32) return k;
    throw new Error(`${file} does not hold a 32-byte key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process just created.
  try {
    writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKey(file);
    throw err;
  }
}
