/**
 * The Azure driver against Azurite (scripts/azurite-up.sh; or a real account): the shared conformance
 * suite, then what is Azure's own — staged blocks never visible before commit, tiers and rehydration,
 * names Azure would alter, paging, crash leftovers. Skipped with a printed reason when
 * BARGE_TEST_AZURE_URL is not set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runConformance } from '../conformance/conformance.js';
import { collect, readBytes, rejectsWithCode, sha256, writeBytes } from '../conformance/helpers.js';
import { chunks, outputOfKilledProcess, pollUntil, reportSkipped } from '../object/test-support.js';
import { isTempName } from '../paths.js';
import { createAzureDriver } from './azure-driver.js';
import { azureDriverConfig, azureTestEnv, emptyContainerPrefix, rawAzureClient, rawBlobNames, uniqueContainerName } from './azure-test-support.js';

const env = azureTestEnv();
const MiB = 1 << 20;

if ('skip' in env) reportSkipped('azure driver on Azurite', env.skip);
else {
  const raw = rawAzureClient(env);
  const confContainer = uniqueContainerName('conf');
  const container = uniqueContainerName('spec');
  before(async () => {
    await raw.getContainerClient(confContainer).create();
    await raw.getContainerClient(container).create();
  });
  after(async () => {
    await raw.getContainerClient(confContainer).deleteIfExists();
    await raw.getContainerClient(container).deleteIfExists();
  });

  let caseNo = 0;
  runConformance('azure (Azurite)', async () => {
    const prefix = `case-${++caseNo}`;
    const driver = await createAzureDriver(azureDriverConfig(env, confContainer, { prefix, blockSize: 4 * MiB }));
    return { driver, cleanup: async () => { await emptyContainerPrefix(raw, confContainer, `${prefix}/`); } };
  });

  describe('azure writer on Azurite', () => {
    it('stages ≥ 3 blocks on a temporary blob, never visible, verifies the stored bytes, then publishes', async () => {
      const driver = await createAzureDriver(azureDriverConfig(env, container, { prefix: 'st', blockSize: MiB }));
      const data = randomBytes(3 * MiB + 12_345);
      const w = await driver.openWrite('big/file.bin', { size: data.length, storageClass: 'Cool' });
      await pipeline(Readable.from(chunks(data, 100_003)), w.stream);
      assert.equal(await driver.stat('big/file.bin'), null, 'staged but not published');
      await rejectsWithCode(() => collect(driver.list('big')), 'not_found', 'staged blocks make no directory');
      const pending = await rawBlobNames(raw, container, 'st/big/');
      assert.equal(pending.length, 1);
      assert.ok(isTempName(pending[0]!.slice('st/big/'.length)), `only staged blocks of a temporary blob: ${pending[0]}`);
      const blocks = await raw.getContainerClient(container).getBlockBlobClient(pending[0]!).getBlockList('all');
      assert.equal(blocks.uncommittedBlocks?.length, 4, 'four blocks of 1 MiB staged');
      let verified = '';
      await w.commit({ verify: async (stored) => { verified = sha256(Buffer.concat(await stored.toArray())); } });
      assert.equal(verified, sha256(data), 'verify read the stored bytes');
      assert.equal(sha256(await readBytes(driver, 'big/file.bin')), sha256(data));
      const st = await driver.stat('big/file.bin');
      assert.equal(st?.storageClass, 'Cool');
      assert.match(st?.checksum ?? '', /^xxhash64:[0-9a-f]{16}$/);
      assert.deepEqual(await rawBlobNames(raw, container, 'st/big/'), ['st/big/file.bin'], 'temporary blob removed');
      await driver.close();
    });

    for (const how of ['abort()', 'signal', 'close()', 'stream error'] as const) {
      it(`staging stopped by ${how} leaves no blob and no staged block`, async () => {
        const prefix = `ab-${how.replace(/\W/g, '')}`;
        const driver = await createAzureDriver(azureDriverConfig(env, container, { prefix, blockSize: MiB }));
        const ac = new AbortController();
        const w = await driver.openWrite('x/big.bin', { signal: ac.signal });
        for (let i = 0; i < 5; i++) await new Promise<void>((resolve, reject) => w.stream.write(randomBytes(MiB), (e) => (e ? reject(e) : resolve())));
        await pollUntil('blocks to be staged', async () => (await rawBlobNames(raw, container, `${prefix}/`)).length === 1);
        if (how === 'abort()') await w.abort();
        if (how === 'signal') ac.abort();
        if (how === 'close()') await driver.close();
        if (how === 'stream error') w.stream.destroy(new Error('source failed'));
        await assert.rejects(w.commit());
        assert.deepEqual(await rawBlobNames(raw, container, `${prefix}/`), [], 'no blob, no uncommitted blocks');
        await driver.close();
      });
    }

    it('names Azure would alter (backslash, trailing dot, control characters) round-trip', async () => {
      const driver = await createAzureDriver(azureDriverConfig(env, container, { prefix: 'names' }));
      const names = ['back\\slash', 'dot.', 'tab\there', 'look＼alike', '‛quote', 'full．stop', 'del\x7f'];
      for (const n of names) await writeBytes(driver, `n/${n}`, n);
      await writeBytes(driver, 'n/dir./inner', 'x');
      assert.deepEqual((await collect(driver.list('n'))).map((e) => `${e.kind}:${e.name}`).sort(), [...names.map((n) => `file:${n}`), 'dir:dir.'].sort());
      for (const n of names) assert.equal((await readBytes(driver, `n/${n}`)).toString(), n, n);
      assert.ok((await rawBlobNames(raw, container, 'names/n/')).every((b) => !b.includes('\\') && !/\.(\/|$)/.test(b)), 'stored without backslashes or trailing dots');
      await driver.close();
    });
  });

  describe('azure tiers on Azurite', () => {
    it('writes each access tier; an archived blob is refused until rehydrated by restore()', async () => {
      const driver = await createAzureDriver(azureDriverConfig(env, container, { prefix: 'tiers' }));
      assert.deepEqual(driver.features.storageClasses, ['Hot', 'Cool', 'Cold', 'Archive']);
      assert.equal(driver.features.restoreFromCold, true);
      assert.equal(driver.features.restoreExpires, false, 'a rehydration does not expire: restoration_expiry_days has no meaning');
      for (const tier of ['Hot', 'Cool', 'Cold']) {
        await writeBytes(driver, `t/${tier}`, tier, { storageClass: tier });
        assert.equal((await driver.stat(`t/${tier}`))?.storageClass, tier);
        assert.deepEqual(await driver.restore!(`t/${tier}`), { state: 'available' });
      }
      await writeBytes(driver, 't/cold-archive', 'archived bytes', { storageClass: 'Archive', mtimeMs: 1_600_000_000_000 });
      assert.equal((await driver.stat('t/cold-archive'))?.storageClass, 'Archive');
      await rejectsWithCode(() => readBytes(driver, 't/cold-archive'), 'unsupported', 'an archived blob cannot be read');
      assert.equal((await driver.restore!('t/cold-archive', { days: 3, tier: 'Expedited' })).state, 'available', 'Azurite rehydrates at once');
      const st = await driver.stat('t/cold-archive');
      assert.equal(st?.storageClass, 'Hot');
      assert.equal(st?.mtimeMs, 1_600_000_000_000, 'metadata kept through the rehydration');
      assert.equal((await readBytes(driver, 't/cold-archive')).toString(), 'archived bytes');
      await rejectsWithCode(() => driver.restore!('t/missing'), 'not_found', 'restore of a missing blob');
      await rejectsWithCode(() => driver.restore!('t'), 'is_a_directory', 'restore of a directory');
      await rejectsWithCode(() => driver.restore!('t/Hot', { days: 0 }), 'invalid_argument', 'days');
      await driver.close();
    });
  });

  describe('azure listing on Azurite', () => {
    it('lists ≥ 2,500 blobs page by page (listPageSize 500) with their metadata, no request per file', async () => {
      const driver = await createAzureDriver(azureDriverConfig(env, container, { prefix: 'ls', listPageSize: 500 }));
      const names = Array.from({ length: 2_600 }, (_, i) => `k${String(i).padStart(4, '0')}`);
      const todo = [...names];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let n = todo.pop(); n !== undefined; n = todo.pop()) await writeBytes(driver, `many/${n}`, 'v', { mtimeMs: 1_500_000_000_000, mode: 0o640 });
      }));
      await writeBytes(driver, 'many/sub1/x', 'x');
      // White box: count the requests of the listing itself.
      const blobs = (driver as unknown as { blobs: { head: (...a: unknown[]) => Promise<unknown>; listPage: (...a: unknown[]) => Promise<unknown> } }).blobs;
      const calls = { head: 0, listPage: 0 };
      for (const m of ['head', 'listPage'] as const) {
        const original = blobs[m].bind(blobs);
        blobs[m] = (...a: unknown[]) => { calls[m]++; return original(...a); };
      }
      let count = 0;
      for await (const e of driver.list('many')) {
        if (count === 0) assert.ok(calls.listPage <= 2, 'the first entry comes before the later pages are fetched');
        count++;
        if (e.kind === 'file') {
          assert.equal(e.mtimeMs, 1_500_000_000_000);
          assert.equal(e.mode, 0o640);
        }
      }
      assert.equal(count, 2_601);
      assert.ok(calls.listPage >= 6, `pages: ${calls.listPage}`);
      assert.equal(calls.head, 1, 'one read of a directory marker (sub1), none per file');
      await driver.close();
    });
  });

  describe('azure crash recovery on Azurite', () => {
    it('a writer process killed mid-staging leaves blocks that cleanupTemp removes', async () => {
      const config = azureDriverConfig(env, container, { prefix: 'crash', blockSize: MiB });
      const driverModule = fileURLToPath(new URL('./azure-driver.ts', import.meta.url));
      const script = `
        import { createAzureDriver } from ${JSON.stringify(driverModule)};
        const d = await createAzureDriver(${JSON.stringify(config)});
        const w = await d.openWrite('victim/big.bin');
        for (let i = 0; i < 3; i++) await new Promise((r) => w.stream.write(Buffer.alloc(${MiB}, i), r));
        await new Promise((r) => setTimeout(r, 500));
        console.log('staging');
        process.exit(137);`;
      assert.match(await outputOfKilledProcess(script), /staging/);
      assert.equal((await rawBlobNames(raw, container, 'crash/')).length, 1, 'the dead writer left its staged blocks');
      const driver = await createAzureDriver(config);
      assert.equal(await driver.stat('victim/big.bin'), null);
      const dry = await driver.cleanupTemp('victim', { dryRun: true });
      assert.equal(dry.paths.length, 1);
      assert.ok(dry.bytes >= 2 * MiB, `staged bytes reported: ${dry.bytes}`);
      assert.deepEqual((await driver.cleanupTemp('victim', { minAgeMs: 3_600_000 })).paths, [], 'too young');
      const result = await driver.cleanupTemp('victim');
      assert.ok(isTempName(result.paths[0]?.slice('victim/'.length) ?? ''), String(result.paths[0]));
      assert.deepEqual(await rawBlobNames(raw, container, 'crash/'), []);
      await driver.close();
    });
  });

  describe('azure errors on Azurite', () => {
    it('maps a wrong key, a missing container and a missing blob', async () => {
      const wrong = await createAzureDriver(azureDriverConfig(env, container, { accountKey: Buffer.from('not the key').toString('base64'), maxAttempts: 1 }));
      await rejectsWithCode(() => wrong.stat('x'), 'permission_denied', 'wrong key');
      await wrong.close();
      const missing = await createAzureDriver(azureDriverConfig(env, 'barge-no-such-container', { maxAttempts: 1 }));
      await rejectsWithCode(() => writeBytes(missing, 'x', 'y'), 'not_found', 'missing container');
      await missing.close();
      const d = await createAzureDriver(azureDriverConfig(env, container, { prefix: 'err' }));
      await rejectsWithCode(() => d.openRead('nope'), 'not_found', 'missing blob');
      await d.close();
    });
  });
}
