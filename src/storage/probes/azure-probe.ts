/**
 * The Azure side of the connector probes: a connector's `-/test` and `-/sync` list the account's
 * containers (the buckets of an Azure connector). The SDK is loaded on first use, like the S3 one.
 */
import type { ConnectorCredentials } from './probes.js';

/** Containers of the account named by the credentials (url: blob endpoint; accessKey: account; secretKey: account key). */
export async function listAzureContainers(c: ConnectorCredentials, signal?: AbortSignal): Promise<Array<{ name: string }>> {
  const account = c.accessKey ?? '';
  if (account === '' || (c.secretKey ?? '') === '') throw new Error('an Azure connector needs the account name (access_key) and the account key (secret_key)');
  const { createAzureClient } = await import('../azure/azure-config.js');
  const client = createAzureClient({ endpoint: c.url ?? `https://${account}.blob.core.windows.net`, accountName: account, maxAttempts: 2 }, c.secretKey ?? '');
  const out: Array<{ name: string }> = [];
  for await (const container of client.listContainers({ abortSignal: signal })) out.push({ name: container.name });
  return out;
}
