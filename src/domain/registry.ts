/** The storage registry's resources and the attributes their lists filter and sort on (never a secret). */
export type RegistryTable = 'nas' | 'nas_shares' | 'cloud_connectors' | 'cloud_buckets' | 'pools';

export const REGISTRY_ATTRIBUTES: Record<RegistryTable, readonly string[]> = {
  nas: ['id', 'name', 'host', 'type', 'comment', 'created_at', 'updated_at'],
  nas_shares: ['id', 'nas_id', 'pool_id', 'name', 'path', 'created_at', 'updated_at'],
  cloud_connectors: ['id', 'name', 'url', 'region', 'provider', 'access_key', 'created_at', 'updated_at'],
  cloud_buckets: ['id', 'cloud_connector_id', 'pool_id', 'name', 'location', 'created_at', 'updated_at'],
  pools: ['id', 'name', 'comment', 'type', 'content', 'created_at', 'updated_at'],
};
