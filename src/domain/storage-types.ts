/**
 * The kinds of storage the registry accepts, as Nodeum's API names them (its `nas.type` and
 * `cloud_connector.provider` enumerations), plus Barge's own, and which storage driver serves each
 * cloud provider. Pure constants: the services validate with them, the OpenAPI document lists them, the
 * CLI offers them as choices.
 */

/**
 * NAS types. Barge's `local` (a directory of this host) and Nodeum's protocols. Why the protocols are
 * accepted although Barge mounts nothing: a share's `path` is where the share is mounted on the movers'
 * hosts (by the operator: fstab, autofs, a CSI volume); the type records what sits behind it, and
 * Nodeum's clients send it.
 */
export const NAS_TYPES = ['local', 'smb_v1', 'smb_v2_1', 'smb_v3', 'nfs_v3', 'nfs_v4', 'storenext_v5'] as const;
export type NasType = (typeof NAS_TYPES)[number];

/** Storage drivers that serve cloud buckets. */
export type CloudDriver = 's3' | 'azure';

/**
 * Cloud connector providers and their driver: Nodeum's nine (its `cloud_connector.provider`
 * enumeration). Every provider but `azure` speaks the S3 protocol (Google Cloud Storage through its XML
 * API with HMAC keys, OpenStack Swift through its s3api middleware); `azure` is the Azure Blob driver,
 * its containers the buckets.
 */
export const CLOUD_PROVIDER_DRIVERS = {
  generic_s3: 's3',
  amazon_aws_s3: 's3',
  cloudian_hyperstore: 's3',
  scality_ring: 's3',
  dell_emc_ecs: 's3',
  azure: 'azure',
  google_cloud_storage: 's3',
  openstack_swift: 's3',
  wasabi: 's3',
} as const satisfies Record<string, CloudDriver>;

export type CloudProvider = keyof typeof CLOUD_PROVIDER_DRIVERS;
/** The providers Barge stores and returns: Nodeum's nine. */
export const NODEUM_CLOUD_PROVIDERS = Object.keys(CLOUD_PROVIDER_DRIVERS) as CloudProvider[];

/**
 * Values Barge accepted before it followed Nodeum's list, and the Nodeum value each is stored as.
 * Why accepted still: scripts written against earlier Barge keep working. Why never returned: a
 * Nodeum client (its generated SDK validates enumerations) rejects a connector whose provider it does
 * not know — migration 0017 rewrote stored rows the same way.
 */
export const LEGACY_CLOUD_PROVIDERS: Readonly<Record<string, CloudProvider>> = {
  ceph_rgw: 'generic_s3',
  minio: 'generic_s3',
  ovh: 'generic_s3',
  scality: 'scality_ring',
};

/** What a request may name as `provider`: Nodeum's nine, then the legacy values. */
export const CLOUD_PROVIDERS: readonly string[] = [...NODEUM_CLOUD_PROVIDERS, ...Object.keys(LEGACY_CLOUD_PROVIDERS)];

/** The provider as stored and returned: a legacy value becomes its Nodeum equivalent. */
export function canonicalProvider(provider: string): string {
  return LEGACY_CLOUD_PROVIDERS[provider] ?? provider;
}

/** The driver of a connector's provider; a connector without one (older rows) is S3. */
export function cloudDriverOf(provider: string | null | undefined): CloudDriver {
  return (CLOUD_PROVIDER_DRIVERS as Record<string, CloudDriver>)[canonicalProvider(provider ?? '')] ?? 's3';
}
