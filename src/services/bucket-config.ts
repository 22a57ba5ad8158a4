/**
 * A cloud bucket (and its connector's credentials) as an s3 driver configuration. Bucket options a
 * user may set: `prefix` (key prefix as the storage root), `object_lock` (the bucket has Object Lock),
 * `lock_mode` (GOVERNANCE | COMPLIANCE), `restore_from_cold`, `storage_classes`, `part_size` (bytes).
 */
import type { CloudBucketRow, CloudConnectorRow } from '../store/schema.js';
import type { ConnectorCredentials } from '../storage/probes/probes.js';
import type { SecretBox } from '../lib/secret-box.js';

/** A stored connector's credentials, its secret unsealed (for drivers and probes, never for the API). */
export function connectorCredentials(conn: CloudConnectorRow, secrets: SecretBox): ConnectorCredentials {
  const options = JSON.parse(conn.options) as Record<string, unknown>;
  return {
    url: conn.url, region: conn.region, accessKey: conn.access_key,
    secretKey: conn.secret_key_enc ? secrets.open(conn.secret_key_enc) : null,
    forcePathStyle: options.force_path_style !== false,
  };
}

export function s3DriverConfig(bucket: CloudBucketRow, creds: ConnectorCredentials): Record<string, unknown> {
  const o = JSON.parse(bucket.options || '{}') as Record<string, unknown>;
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
