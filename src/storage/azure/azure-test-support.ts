/**
 * Support for the Azure driver's integration tests against Azurite (`scripts/azurite-up.sh`) or a real
 * account: environment, a raw SDK client for setup and inspection, unique containers and their removal.
 *
 * Why not part of the driver: tests look at the container behind the driver's back (uncommitted blocks,
 * temporary blobs, the tier the service recorded), which the driver must never offer.
 */
import { randomBytes } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createAzureClient } from './azure-config.js';

/** Azurite's well-known development account (published in Microsoft's Azurite documentation). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Connection to the test service, from BARGE_TEST_AZURE_URL / _ACCOUNT / _KEY. */
export interface AzureTestEnv {
  /** Blob endpoint including the account, e.g. http://127.0.0.1:10000/devstoreaccount1. */
  readonly url: string;
  readonly account: string;
  readonly key: string;
}

/** The test environment, or the reason the integration tests are skipped. */
export function azureTestEnv(): AzureTestEnv | { readonly skip: string } {
  const url = process.env.BARGE_TEST_AZURE_URL;
  if (url === undefined || url === '') {
    return { skip: 'BARGE_TEST_AZURE_URL is not set: Azure integration tests skipped (start Azurite with `bash scripts/azurite-up.sh` and export the variables it prints)' };
  }
  return { url, account: process.env.BARGE_TEST_AZURE_ACCOUNT || AZURITE_ACCOUNT, key: process.env.BARGE_TEST_AZURE_KEY || AZURITE_KEY };
}

/** A raw client on the test account. */
export function rawAzureClient(env: AzureTestEnv): BlobServiceClient {
  return createAzureClient({ endpoint: env.url, accountName: env.account, maxAttempts: 3 }, env.key);
}

/** A fresh container name: lower case, unique per call, within 63 characters. */
export function uniqueContainerName(tag: string): string {
  return `barge-${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Driver config for a test container (extra fields override). */
export function azureDriverConfig(env: AzureTestEnv, container: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: env.url, accountName: env.account, accountKey: env.key, container, maxAttempts: 3, ...extra };
}

/** Every blob name under a prefix, uncommitted ones included (raw names, as the service stores them). */
export async function rawBlobNames(client: BlobServiceClient, container: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const b of client.getContainerClient(container).listBlobsFlat({ prefix, includeUncommitedBlobs: true })) out.push(b.name);
  return out;
}

/** Delete every blob under `prefix` (committed or not). */
export async function emptyContainerPrefix(client: BlobServiceClient, container: string, prefix = ''): Promise<void> {
  const c = client.getContainerClient(container);
  const names = await rawBlobNames(client, container, prefix);
  for (let i = 0; i < names.length; i += 64) {
    await Promise.all(names.slice(i, i + 64).map((n) => c.getBlockBlobClient(n).deleteIfExists()));
  }
}
