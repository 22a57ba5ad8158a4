/**
 * Reachability checks behind the registry's `mount`, `-/test` and `-/sync` endpoints: is a share's
 * path there and writable on this host; do a connector's credentials work; which buckets does its
 * endpoint have. Behind an interface so the services stay free of I/O and tests can substitute it.
 */
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { listAzureContainers } from './azure-probe.js';

export interface MountStatus {
  path: string;
  mounted: boolean;
  readable: boolean;
  writable: boolean;
  error: string | null;
}

/** The storage driver behind a connector (domain/storage-types.ts maps providers to it). */
export type CloudDriverKind = 's3' | 'azure';

/** What a connector check needs (the secret in clear, only in memory). */
export interface ConnectorCredentials {
  /** Which protocol the connector speaks; `azure`: `accessKey` is the account name, `secretKey` its key. */
  driver: CloudDriverKind;
  url: string | null;
  region: string | null;
  accessKey: string | null;
  secretKey: string | null;
  forcePathStyle: boolean;
}

export interface ConnectorTest {
  ok: boolean;
  buckets: number;
  error: string | null;
}

export interface StorageProbes {
  shareStatus(path: string, signal?: AbortSignal): Promise<MountStatus>;
  testConnector(c: ConnectorCredentials, signal?: AbortSignal): Promise<ConnectorTest>;
  listBuckets(c: ConnectorCredentials, signal?: AbortSignal): Promise<Array<{ name: string }>>;
}

/** The SDK is loaded on first use (see registry.ts: an installation without S3 never pays for it). */
async function s3Client(c: ConnectorCredentials): Promise<{ client: S3Client; ListBucketsCommand: typeof import('@aws-sdk/client-s3').ListBucketsCommand }> {
  const { S3Client, ListBucketsCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: c.url ?? undefined,
    region: c.region || 'us-east-1',
    forcePathStyle: c.forcePathStyle,
    credentials: { accessKeyId: c.accessKey ?? '', secretAccessKey: c.secretKey ?? '' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
  return { client, ListBucketsCommand };
}

/** The real probes: the local filesystem, and the S3 or Azure Blob API of a connector. */
export const realProbes: StorageProbes = {
  async shareStatus(path) {
    const out: MountStatus = { path, mounted: false, readable: false, writable: false, error: null };
    try {
      const s = await stat(path);
      if (!s.isDirectory()) return { ...out, error: 'not a directory' };
      out.mounted = true;
      out.readable = await access(path, constants.R_OK | constants.X_OK).then(() => true, () => false);
      out.writable = await access(path, constants.W_OK).then(() => true, () => false);
      return out;
    } catch (err) {
      return { ...out, error: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  },
  async testConnector(c, signal) {
    try {
      const buckets = await this.listBuckets(c, signal);
      return { ok: true, buckets: buckets.length, error: null };
    } catch (err) {
      const e = err as { name?: string; message?: string };
      return { ok: false, buckets: 0, error: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
    }
  },
  async listBuckets(c, signal) {
    return BUCKET_LISTERS[c.driver](c, signal);
  },
};

async function listS3Buckets(c: ConnectorCredentials, signal?: AbortSignal): Promise<Array<{ name: string }>> {
  const { client, ListBucketsCommand } = await s3Client(c);
  try {
    const r = await client.send(new ListBucketsCommand({}), { abortSignal: signal });
    return (r.Buckets ?? []).filter((b) => b.Name).map((b) => ({ name: b.Name as string }));
  } finally {
    client.destroy();
  }
}

/** How each driver's endpoint lists its buckets (Azure: the account's containers). */
const BUCKET_LISTERS: Record<CloudDriverKind, (c: ConnectorCredentials, signal?: AbortSignal) => Promise<Array<{ name: string }>>> = {
  s3: listS3Buckets,
  azure: listAzureContainers,
};
