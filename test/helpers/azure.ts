/**
 * Azure fixtures for engine tests against Azurite (`scripts/azurite-up.sh`): a connector registered
 * through the API with the account's credentials, containers created with the SDK and imported with
 * `-/sync`, and looks behind Barge's back (blob hashes, metadata, tiers, temporary blobs and staged blocks
 * left over). Containers are removed by `cleanup()`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import { decodeBlobName } from '../../src/storage/azure/azure-names.js';
import { azureTestEnv, rawAzureClient, uniqueContainerName, type AzureTestEnv } from '../../src/storage/azure/azure-test-support.js';
import type { Client } from './barge.js';
import { unique } from './fixtures.js';
import { CloudFixture, type TestBucket } from './cloud-fixture.js';
import { TEMP_KEY } from './s3.js';

export { azureTestEnv, type AzureTestEnv };

/** sha256 of each blob under `prefix` (storage name relative to it, decoded), without directory markers and temporary blobs. */
export async function blobHashes(raw: BlobServiceClient, container: string, prefix = ''): Promise<Record<string, string>> {
  const c = raw.getContainerClient(container);
  const out: Record<string, string> = {};
  for await (const b of c.listBlobsFlat({ prefix })) {
    if (b.name.endsWith('/') || TEMP_KEY.test(b.name)) continue;
    out[decodeBlobName(b.name.slice(prefix.length))] = createHash('sha256').update(await c.getBlockBlobClient(b.name).downloadToBuffer()).digest('hex');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [z]) => (a < z ? -1 : 1)));
}

/** Every blob name (committed or holding only staged blocks), sorted. */
export async function allBlobs(raw: BlobServiceClient, container: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const b of raw.getContainerClient(container).listBlobsFlat({ prefix, includeUncommitedBlobs: true })) out.push(b.name);
  return out.sort();
}

/** What an interrupted write may leave: temporary blobs (committed, or staged blocks only). */
export async function azureLeftovers(raw: BlobServiceClient, container: string): Promise<string[]> {
  return (await allBlobs(raw, container)).filter((n) => TEMP_KEY.test(n));
}

/** One Azure connector on the test account (registered through `admin`) and the containers the tests create. */
export class AzureFixture extends CloudFixture {
  readonly raw: BlobServiceClient;
  private readonly created: string[] = [];

  constructor(readonly env: AzureTestEnv, admin: Client) {
    super(admin);
    this.raw = rawAzureClient(env);
  }

  /** The connector body: url = blob endpoint, access_key = account name, secret_key = account key (extra fields override). */
  connectorBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { name: unique('azure'), url: this.env.url, provider: 'azure', access_key: this.env.account, secret_key: this.env.key, ...extra };
  }

  /** Creates a container, imports it with `-/sync`, sets its options. */
  async container(tag: string, options?: Record<string, unknown>): Promise<TestBucket> {
    return this.register(await this.rawContainer(tag), options);
  }

  /** Creates a container on the account only (not registered). */
  async rawContainer(tag: string): Promise<string> {
    const name = uniqueContainerName(tag);
    await this.raw.getContainerClient(name).create();
    this.created.push(name);
    return name;
  }

  async cleanup(): Promise<void> {
    for (const name of this.created.splice(0)) {
      await this.raw.getContainerClient(name).deleteIfExists().catch((err: Error) => console.log(`# container ${name} not removed: ${err.message}`));
    }
  }
}
