/**
 * The secret-box key of a mover host without the data dir: `BARGE_SECRET_KEY` set to the content of
 * the data dir's `keys/secret-box.key` opens what a server with that data dir sealed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config/config.js';
import { secretBox } from './compose-engine.js';

describe('secretBox', () => {
  it('BARGE_SECRET_KEY (the key file\'s content) opens what the data dir\'s key sealed; another key does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'barge-key-'));
    const other = mkdtempSync(join(tmpdir(), 'barge-key-'));
    try {
      const sealed = secretBox(loadConfig({ BARGE_DATA_DIR: dir })).seal('s3-secret');
      const key = readFileSync(join(dir, 'keys', 'secret-box.key'), 'utf8').trim();
      assert.equal(secretBox(loadConfig({ BARGE_DATA_DIR: other, BARGE_SECRET_KEY: key })).open(sealed), 's3-secret');
      assert.throws(() => secretBox(loadConfig({ BARGE_DATA_DIR: other })).open(sealed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
