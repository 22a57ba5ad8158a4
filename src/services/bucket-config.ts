/**
 * A cloud bucket (and its connector's credentials) as a storage-driver configuration. Which driver
 * serves a connector follows from its provider (`cloudDriverOf`, domain/storage-types.ts): `azure` is the Azure Blob
 * driver (containers are the buckets), every other provider speaks S3.
 *
 * Bucket options a user may set: `prefix` (name prefix as the storage root), `storage_classes` (S3
 * classes, or Azure access tiers), `restore_from_cold` (S3: off by default; Azure: on, since any blob may
 * be archived), `part_size` (bytes: S3 part / Azure block), and for S3 `object_lock` (the bucket has
 * Object Lock) and `lock_mode` (GOVERNANCE | COMPLIANCE), for Azure `rehydrate_tier` (Hot | Cool | Cold).
 */
import { cloudDriverOf, type CloudDriver } from '../domain/storage-types.js';
import type { CloudBucketRow, CloudConnectorRow } from '../store/schema.js';
import type { ConnectorCredentials } from '../storage/probes/probes.js';
import type { SecretBox } from '../lib/secret-box.js';

/** A stored connector's credentials, its secret unsealed (for drivers and probes, never for the API). */
export function connectorCredentials(conn: CloudConnectorRow, secrets: SecretBox): ConnectorCredentials {
  const options = JSON.parse(conn.options) as Record<string, unknown>;
  return {
    driver: cloudDriverOf(conn.provider),
    url: conn.url, region: conn.region, accessKey: conn.access_key,
    secretKey: conn.secret_key_enc ? secrets.open(conn.secret_key_enc) : null,
    forcePathStyle: options.force_path_style !== false,
  };
}

function bucketOptions(bucket: CloudBucketRow): Record<string, unknown> {
  return JSON.parse(bucket.options || '{}') as Record<string, unknown>;
}

export function s3DriverConfig(bucket: CloudBucketRow, creds: ConnectorCredentials): Record<string, unknown> {
  const o = bucketOptions(bucket);
  return {
    endpoint: creds.url ?? 'https://s3.amazonaws.com',
    region: creds.region ?? bucket.location ?? 'us-east-1',
    accessKeyId: creds.accessKey ?? '',
    secretAccessKey: creds.secretKey ?? '',
    bucket: bucket.name,
    forcePathStyle: creds.forcePathStyle,
    ...(typeof o.prefix === 'string' && o.prefix !== '' ? { prefix: o.prefix } : {}),
    ...(o.object_lock === true ? { objectLock: true } : {}),
    ...(o.lock_mode === 'GOVERNANCE' || o.lock_mode === 'COMPLIANCE' ? { lockMode: o.lock_mode } : {}),
    ...(o.restore_from_cold === true ? { restoreFromCold: true } : {}),
    ...(Array.isArray(o.storage_classes) ? { storageClasses: o.storage_classes.filter((x) => typeof x === 'string') } : {}),
    ...(typeof o.part_size === 'number' ? { partSize: o.part_size } : {}),
  };
}

/**
 * The Azure driver's config: the connector's `url` is the blob endpoint (default
 * `https://<account>.blob.core.windows.net`), `access_key` the account name, `secret_key` the account key.
 */
export function azureDriverConfig(bucket: CloudBucketRow, creds: ConnectorCredentials): Record<string, unknown> {
  const o = bucketOptions(bucket);
  const account = creds.accessKey ?? '';
  return {
    endpoint: creds.url ?? `https://${account}.blob.core.windows.net`,
    accountName: account,
    accountKey: creds.secretKey ?? '',
    container: bucket.name,
    ...(typeof o.prefix === 'string' && o.prefix !== '' ? { prefix: o.prefix } : {}),
    ...(o.restore_from_cold === false ? { restoreFromCold: false } : {}),
    ...(Array.isArray(o.storage_classes) ? { storageClasses: o.storage_classes.filter((x) => typeof x === 'string') } : {}),
    ...(typeof o.part_size === 'number' ? { blockSize: o.part_size } : {}),
    ...(typeof o.rehydrate_tier === 'string' ? { rehydrateTier: o.rehydrate_tier } : {}),
  };
}

/**
 * The driver kind and configuration of a bucket, by its connector's provider. Why one function: the
 * engine's resolver and the API's browsing open buckets the same way, whatever the provider.
 */
export function bucketDriver(bucket: CloudBucketRow, creds: ConnectorCredentials): { kind: CloudDriver; config: Record<string, unknown> } {
  return { kind: creds.driver, config: DRIVER_CONFIGS[creds.driver](bucket, creds) };
}

const DRIVER_CONFIGS: Record<CloudDriver, (bucket: CloudBucketRow, creds: ConnectorCredentials) => Record<string, unknown>> = {
  s3: s3DriverConfig,
  azure: azureDriverConfig,
};
