import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadObjectCommand, RestoreObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { rejectsWithCode } from '../conformance/helpers.js';
import { parseS3Config } from './s3-config.js';
import { S3Driver } from './s3-driver.js';
import { checkUserMetadata, decodeMetaValue, encodeMetaValue } from '../object/object-meta.js';
import { buildMetadata, encodeCopySource, entryFromHead, parseMetadata, parseRestoreHeader } from './s3-meta.js';

describe('s3 metadata', () => {
  it('encodes values that a header cannot carry and decodes them back', () => {
    for (const v of ['plain', 'with inner space', 'ünïcode', '日本語', ' edge ', '', 'tab\there', '=?UTF-8?B?Zm9v?=', 'a=?b']) {
      const enc = encodeMetaValue(v);
      assert.match(enc, /^[\x20-\x7e]*$/, `ASCII on the wire: ${enc}`);
      assert.equal(decodeMetaValue(enc), v, JSON.stringify(v));
    }
    assert.equal(encodeMetaValue('plain'), 'plain', 'plain values are stored as they are');
    assert.equal(decodeMetaValue('=?utf-8?b?w7w=?='), 'ü', 'encoded words from other tools are decoded');
  });

  it('round-trips POSIX attributes and user metadata, ignoring malformed barge-* values', () => {
    const attrs = { mtimeMs: 1577934245678.25, atimeMs: 1612235045456, mode: 0o4755, uid: 1000, gid: 0, checksum: 'xxhash64:0123456789abcdef' };
    const raw = buildMetadata({ owner: 'alice', note: 'ünïcode' }, attrs);
    assert.equal(raw['barge-mode'], '4755');
    assert.deepEqual(parseMetadata(raw), { user: { owner: 'alice', note: 'ünïcode' }, attrs });
    const bad = parseMetadata({ 'barge-mtime': 'soon', 'barge-mode': '99999', 'barge-uid': '-1', 'barge-checksum': 'nope', 'X-Other': 'v' });
    assert.deepEqual(bad.attrs, { mtimeMs: undefined, atimeMs: undefined, mode: undefined, uid: undefined, gid: undefined, checksum: undefined });
    assert.deepEqual(bad.user, { 'x-other': 'v' });
  });

  it('refuses user metadata names that cannot round-trip', () => {
    assert.doesNotThrow(() => checkUserMetadata({ 'x-note': 'a', owner_1: 'b' }, 'p'));
    for (const name of ['Owner', 'with space', 'barge-mtime', 'é']) {
      assert.throws(() => checkUserMetadata({ [name]: 'v' }, 'p'), /metadata name|reserved/, name);
    }
  });

  it('builds entries: stored mtime first, LastModified otherwise; class only when declared', () => {
    const lastModified = new Date('2024-05-06T07:08:09Z');
    const foreign = entryFromHead('f', 'file', { ContentLength: 3, LastModified: lastModified }, true);
    assert.deepEqual(foreign, { name: 'f', kind: 'file', size: 3, mtimeMs: lastModified.getTime(), storageClass: 'STANDARD' });
    const ours = entryFromHead('f', 'file', { ContentLength: 3, LastModified: lastModified, StorageClass: 'GLACIER', Metadata: buildMetadata(undefined, { mtimeMs: 5, mode: 0o640 }) }, false);
    assert.equal(ours.mtimeMs, 5);
    assert.equal(ours.mode, 0o640);
    assert.equal(ours.storageClass, undefined);
  });

  it('reads the x-amz-restore header', () => {
    assert.equal(parseRestoreHeader(undefined), undefined);
    assert.equal(parseRestoreHeader('ongoing-request="true"'), 'restoring');
    assert.equal(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'), 'available');
  });

  it('encodes copy sources byte-exactly', () => {
    assert.equal(encodeCopySource('b', "dir/50% #1 ?&=+'()!*.txt"), "b/dir/50%25%20%231%20%3F%26%3D%2B%27%28%29%21%2A.txt");
    assert.equal(encodeCopySource('b', 'k', 'v/1'), 'b/k?versionId=v%2F1');
  });
});

/** A client that answers HeadObject/RestoreObject from a script. Why: RGW 16 does not implement RestoreObject. */
function stubClient(heads: Record<string, unknown>[], restoreStatus: number | Error): { client: S3Client; restores: unknown[] } {
  const restores: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof HeadObjectCommand) {
        const next = heads.shift();
        if (next === undefined) throw new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } });
        return next;
      }
      if (command instanceof RestoreObjectCommand) {
        restores.push(command.input);
        if (restoreStatus instanceof Error) throw restoreStatus;
        return { $metadata: { httpStatusCode: restoreStatus } };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
    destroy: () => {},
  };
  return { client: client as unknown as S3Client, restores };
}

describe('s3 restore (stub client)', () => {
  const { settings } = parseS3Config({ endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 'b', bucket: 'bkt', prefix: 'root', restoreFromCold: true, restoreTier: 'Bulk' });

  it('requests a restore of a cold object and reports its progress from HeadObject', async () => {
    const { client, restores } = stubClient([
      { StorageClass: 'GLACIER', ContentLength: 1 },
      { StorageClass: 'GLACIER', ContentLength: 1, Restore: 'ongoing-request="true"' },
      { StorageClass: 'GLACIER', ContentLength: 1, Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2040 00:00:00 GMT"' },
      { StorageClass: 'STANDARD_IA', ContentLength: 1 },
    ], 202);
    const d = new S3Driver(client, settings);
    assert.deepEqual(await d.restore!('a/cold.bin', { days: 3 }), { state: 'restoring' });
    assert.deepEqual(restores, [{ Bucket: 'bkt', Key: 'root/a/cold.bin', RestoreRequest: { Days: 3, GlacierJobParameters: { Tier: 'Bulk' } } }]);
    assert.deepEqual(await d.restore!('a/cold.bin'), { state: 'restoring' });
    assert.deepEqual(await d.restore!('a/cold.bin'), { state: 'available' });
    assert.deepEqual(await d.restore!('a/warm.bin'), { state: 'available' }, 'not in a cold class: nothing to restore');
    assert.equal(restores.length, 1);
    await rejectsWithCode(() => d.restore!('a/x', { days: 0 }), 'invalid_argument', 'days 0');
  });

  it('treats "already in progress" as restoring and an immediate 200 as available', async () => {
    const busy = new S3ServiceException({ name: 'RestoreAlreadyInProgress', $fault: 'client', $metadata: { httpStatusCode: 409 } });
    assert.deepEqual(await new S3Driver(stubClient([{ StorageClass: 'DEEP_ARCHIVE' }], busy).client, settings).restore!('x'), { state: 'restoring' });
    assert.deepEqual(await new S3Driver(stubClient([{ StorageClass: 'GLACIER' }], 200).client, settings).restore!('x'), { state: 'available' });
  });
});
