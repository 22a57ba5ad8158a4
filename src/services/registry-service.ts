/**
 * The storage registry: NAS and their shares, cloud connectors and their buckets, pools. Everybody
 * authenticated may read it (tasks point at it); only admins change it. A connector's secret key is
 * sealed at rest and never leaves the server; a storage still used by a task cannot be deleted.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import { parseListQuery, type AttributeType, type ListSpec } from '../domain/list-query.js';
import type { EndpointKind } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/secret-box.js';
import { newId } from '../lib/tokens.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import { UniqueTaken } from '../domain/conflicts.js';
import { REGISTRY_ATTRIBUTES, type RegistryTable } from '../domain/registry.js';
import type { CloudBucketRow, CloudConnectorRow, NasShareRow, PoolRow } from '../store/schema.js';
import type { TaskRepository } from '../store/task-repository.js';
import type { ConnectorCredentials, ConnectorTest, MountStatus, StorageProbes } from '../storage/probes/probes.js';
import type { Principal } from './principal.js';
import { checkFields, type FieldRules } from './registry-fields.js';
import type { StorageIndex } from './task-service.js';
import { connectorCredentials } from './bucket-config.js';
import { RIGHTS } from '../domain/privileges.js';
import { unwrapBody } from './request-body.js';
import { CLOUD_PROVIDERS, NAS_TYPES, canonicalProvider, cloudDriverOf } from '../domain/storage-types.js';

export { CLOUD_PROVIDERS, NAS_TYPES } from '../domain/storage-types.js';
export const POOL_TYPES = ['primary', 'active_archive', 'offline_archive', 'data_exchange', 'scratch', 'data_enrichment'] as const;
export const POOL_CONTENTS = ['nas', 'cloud', 'tape'] as const;

type AnyRow = { id: string; name: string; created_at: string; updated_at: string; [k: string]: unknown };
type Json = Record<string, unknown>;

export type ResourceName = 'nas' | 'nas_shares' | 'cloud_connectors' | 'cloud_buckets' | 'pools';

interface ResourceDef {
  table: RegistryTable;
  label: string;
  plural: string;
  rules: FieldRules;
  /** The parent's id column, filled from the path on create and never changed afterwards. */
  parent?: { column: string; resource: ResourceName; label: string };
  /** A member's pool must hold this content. */
  poolContent?: EndpointKind;
  /** Children that block deletion. */
  children?: Array<{ resource: ResourceName; column: string; label: string }>;
  /** Task endpoint column that references this resource. */
  usedBy?: 'storage_id' | 'pool_id';
  json?: string[];
}

const NAME = { kind: 'string', required: true, max: 255 } as const;
/** Every authenticated user's right on a storage; new storages start at `none` (domain/privileges.ts). */
const GUEST = { kind: 'enum', values: RIGHTS } as const;

/**
 * What a non-admin sees of each resource (only those they may read): never a share's path, a
 * storage's settings or a connector's endpoint and credentials — those belong to the admins.
 */
const PUBLIC_ATTRIBUTES: Record<ResourceName, readonly string[]> = {
  nas: ['id', 'name', 'type', 'created_at', 'updated_at'],
  nas_shares: ['id', 'nas_id', 'pool_id', 'name', 'guest_right', 'created_at', 'updated_at'],
  cloud_connectors: ['id', 'name', 'provider', 'created_at', 'updated_at'],
  cloud_buckets: ['id', 'cloud_connector_id', 'pool_id', 'name', 'location', 'guest_right', 'created_at', 'updated_at'],
  pools: ['id', 'name', 'comment', 'type', 'content', 'guest_right', 'created_at', 'updated_at'],
};
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const DEFS: Record<ResourceName, ResourceDef> = {
  nas: {
    table: 'nas', label: 'NAS', plural: 'nas',
    rules: { name: NAME, host: { kind: 'string' }, type: { kind: 'enum', required: true, values: NAS_TYPES }, comment: { kind: 'string', max: 4096 } },
    children: [{ resource: 'nas_shares', column: 'nas_id', label: 'shares' }],
  },
  nas_shares: {
    table: 'nas_shares', label: 'NAS share', plural: 'nas_shares',
    rules: {
      name: NAME, path: { kind: 'absolute_path', required: true }, pool_id: { kind: 'string' }, options: { kind: 'object' }, guest_right: GUEST,
      username: { kind: 'string', max: 255 }, password: { kind: 'string', max: 1024 },
      // A Barge addition (Nodeum's nas_share has no quota): what cache_cleaning keeps the share under.
      quota_bytes: { kind: 'bytes' },
    },
    parent: { column: 'nas_id', resource: 'nas', label: 'NAS' }, poolContent: 'nas', usedBy: 'storage_id', json: ['options'],
  },
  cloud_connectors: {
    table: 'cloud_connectors', label: 'Cloud connector', plural: 'cloud_connectors',
    rules: {
      name: NAME, url: { kind: 'url' }, region: { kind: 'string', max: 64 }, provider: { kind: 'enum', required: true, values: CLOUD_PROVIDERS },
      access_key: { kind: 'string' }, secret_key: { kind: 'string', max: 1024 }, options: { kind: 'object' },
    },
    children: [{ resource: 'cloud_buckets', column: 'cloud_connector_id', label: 'buckets' }], json: ['options'],
  },
  cloud_buckets: {
    table: 'cloud_buckets', label: 'Cloud bucket', plural: 'cloud_buckets',
    rules: { name: { ...NAME, pattern: BUCKET_NAME, patternMessage: 'must be a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)' }, location: { kind: 'string', max: 64 }, pool_id: { kind: 'string' }, options: { kind: 'object' }, guest_right: GUEST },
    parent: { column: 'cloud_connector_id', resource: 'cloud_connectors', label: 'Cloud connector' }, poolContent: 'cloud', usedBy: 'storage_id', json: ['options'],
  },
  pools: {
    table: 'pools', label: 'Pool', plural: 'pools',
    rules: { name: NAME, comment: { kind: 'string', max: 4096 }, type: { kind: 'enum', required: true, values: POOL_TYPES }, content: { kind: 'enum', required: true, values: POOL_CONTENTS }, guest_right: GUEST },
    children: [{ resource: 'nas_shares', column: 'pool_id', label: 'shares' }, { resource: 'cloud_buckets', column: 'pool_id', label: 'buckets' }],
    usedBy: 'pool_id',
  },
};

/** Filters and sorts of a list; a non-admin's only on what they may see (a filter on a path would reveal it). */
function listSpec(table: RegistryTable, admin: boolean): ListSpec {
  const cols = admin ? REGISTRY_ATTRIBUTES[table] : REGISTRY_ATTRIBUTES[table].filter((c) => PUBLIC_ATTRIBUTES[table].includes(c));
  const filters: Record<string, AttributeType> = {};
  for (const c of cols) filters[c] = c.endsWith('_at') ? 'date' : 'string';
  return { filters, sortable: cols };
}

export type Repos = { [K in ResourceName]: RegistryRepository<any> };

export class RegistryService implements StorageIndex {
  constructor(
    private readonly repos: Repos,
    private readonly tasks: TaskRepository,
    private readonly probes: StorageProbes,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** The API view of a row: JSON columns parsed, the connector's secret reduced to "is it set"; for a non-admin, the public attributes only. */
  view(resource: ResourceName, row: AnyRow, admin = true): Json {
    if (!admin) return Object.fromEntries(PUBLIC_ATTRIBUTES[resource].filter((a) => a in row).map((a) => [a, row[a]]));
    const out: Json = { ...row };
    for (const c of DEFS[resource].json ?? []) out[c] = JSON.parse(String(row[c] ?? '{}'));
    if (resource === 'cloud_connectors') {
      delete out.secret_key_enc;
      out.secret_key_set = row.secret_key_enc !== null;
    }
    if (resource === 'nas_shares') {
      // Sealed at rest (migration 0011): admins see the username, nobody the password.
      delete out.username_enc;
      delete out.password_enc;
      out.username = typeof row.username_enc === 'string' ? this.unsealed(row.username_enc) : null;
      out.quota_bytes = row.quota_bytes === null || row.quota_bytes === undefined ? null : Number(row.quota_bytes);
      out.password_set = typeof row.password_enc === 'string';
    }
    return out;
  }

  /** Admins list everything; other users the storages they may read (and the NAS/connectors holding one). */
  async list(p: Principal, resource: ResourceName, query: Record<string, unknown>, parentId?: string): Promise<Json> {
    const def = DEFS[resource];
    const q = parseListQuery(query, listSpec(def.table, p.isAdmin));
    let parent: Record<string, string> | undefined;
    if (parentId !== undefined && def.parent) {
      await this.visible(p, def.parent.resource, parentId);
      parent = { [def.parent.column]: parentId };
    }
    const { count, rows } = await this.repos[resource].list(q, parent, p.isAdmin ? undefined : p.userId);
    return { count, [def.plural]: rows.map((r: AnyRow) => this.view(resource, r, p.isAdmin)) };
  }

  /** A storage a non-admin may not read is a 404 to them, as if it did not exist. */
  async show(p: Principal, resource: ResourceName, id: string): Promise<Json> {
    return this.view(resource, await this.visible(p, resource, id), p.isAdmin);
  }

  async create(p: Principal, resource: ResourceName, body: unknown, parentId?: string): Promise<Json> {
    requireAdmin(p);
    const def = DEFS[resource];
    if (def.parent && parentId !== undefined) await this.get(def.parent.resource, parentId);
    const input = unwrap(body, resource);
    const errors = new ValidationErrors();
    const accepted = checkFields(input, def.rules, false, errors);
    guestNotBlank(accepted, errors);
    if (def.parent && parentId === undefined) errors.add(def.parent.column, { error: 'blank' }, `${def.parent.label} can't be blank`);
    await this.checkPool(def, accepted, errors);
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    const row: AnyRow = { id: newId(), name: accepted.name as string, created_at: now, updated_at: now, ...this.columns(resource, accepted, true) };
    if (def.parent && parentId !== undefined) row[def.parent.column] = parentId;
    await this.save(def, () => this.repos[resource].insert(row));
    return this.view(resource, row);
  }

  async update(p: Principal, resource: ResourceName, id: string, body: unknown): Promise<Json> {
    requireAdmin(p);
    const def = DEFS[resource];
    const current = await this.get(resource, id);
    const input = unwrap(body, resource);
    const errors = new ValidationErrors();
    const accepted = checkFields(input, def.rules, true, errors);
    guestNotBlank(accepted, errors);
    await this.checkPool(def, accepted, errors);
    if (resource === 'pools' && accepted.content !== undefined && accepted.content !== current.content) {
      const members = (await this.repos.nas_shares.countWhere('pool_id', id)) + (await this.repos.cloud_buckets.countWhere('pool_id', id)) + (await this.tasks.countUsing('pool_id', id));
      if (members > 0) errors.add('content', { error: 'frozen' }, 'Content cannot change while the pool has members or tasks');
    }
    errors.throwIfAny();
    const patch = { ...this.columns(resource, accepted, false), updated_at: this.clock.now().toISOString() };
    await this.save(def, () => this.repos[resource].update(id, patch));
    return this.view(resource, { ...current, ...patch });
  }

  async destroy(p: Principal, resource: ResourceName, id: string): Promise<void> {
    requireAdmin(p);
    const def = DEFS[resource];
    await this.get(resource, id);
    for (const child of def.children ?? []) {
      if ((await this.repos[child.resource].countWhere(child.column, id)) > 0) {
        throw invalid('id', { error: 'restrict_dependent_destroy', dependency: child.label }, `${def.label} still has ${child.label}`);
      }
    }
    if (def.usedBy && (await this.tasks.countUsing(def.usedBy, id)) > 0) {
      throw invalid('id', { error: 'restrict_dependent_destroy', dependency: 'tasks' }, `${def.label} is used by tasks`);
    }
    await this.repos[resource].delete(id);
  }

  async mountStatus(p: Principal, shareId: string): Promise<MountStatus> {
    const share = (await this.visible(p, 'nas_shares', shareId)) as unknown as NasShareRow;
    const status = await this.probes.shareStatus(share.path);
    if (p.isAdmin) return status;
    const { path: _path, ...rest } = status;
    if (typeof rest.error === 'string') rest.error = rest.error.split(share.path).join(`share ${share.name}`);
    return rest as MountStatus;
  }

  /** Checks credentials given in the body; with an `id` (or `name`) of a stored connector, its stored secret fills the gaps. */
  async testConnector(p: Principal, body: unknown): Promise<ConnectorTest> {
    requireAdmin(p);
    const input = unwrap(body, 'cloud_connectors');
    const errors = new ValidationErrors();
    const accepted = checkFields(input, DEFS.cloud_connectors.rules, true, errors);
    errors.throwIfAny();
    let stored: CloudConnectorRow | undefined;
    if (typeof input.id === 'string') stored = (await this.repos.cloud_connectors.findById(input.id)) as CloudConnectorRow | undefined;
    else if (typeof input.name === 'string') stored = (await this.repos.cloud_connectors.findByName(input.name)) as CloudConnectorRow | undefined;
    const merged = { driver: cloudDriverOf(null), ...(stored ? this.credentials(stored) : {}), ...this.credentialsFrom(accepted) } as ConnectorCredentials;
    return this.probes.testConnector(merged);
  }

  /** Imports the endpoint's buckets that are not registered yet; returns all the connector's buckets. */
  async syncBuckets(p: Principal, connectorId: string): Promise<Json> {
    requireAdmin(p);
    const conn = (await this.get('cloud_connectors', connectorId)) as unknown as CloudConnectorRow;
    let remote: Array<{ name: string }>;
    try {
      remote = await this.probes.listBuckets(this.credentials(conn));
    } catch (err) {
      throw invalid('cloud_connector_id', { error: 'unreachable' }, `Could not list the endpoint's buckets: ${(err as Error).message}`);
    }
    const now = this.clock.now().toISOString();
    for (const b of remote) {
      if (await this.repos.cloud_buckets.findByName(b.name, { cloud_connector_id: connectorId })) continue;
      const row: CloudBucketRow = { id: newId(), cloud_connector_id: connectorId, pool_id: null, name: b.name, location: null, options: '{}', guest_right: 'none', created_at: now, updated_at: now };
      await this.repos.cloud_buckets.insert(row);
    }
    const rows = await this.repos.cloud_buckets.all({ cloud_connector_id: connectorId });
    return { count: rows.length, cloud_buckets: rows.map((r: AnyRow) => this.view('cloud_buckets', r)) };
  }

  /** A sealed value in clear, or null when it cannot be opened (sealed with another key): a list must not fail for one row. */
  private unsealed(sealed: string): string | null {
    try {
      return this.secrets.open(sealed);
    } catch {
      return null;
    }
  }

  /** Decrypted credentials of a stored connector, for drivers (never for the API). */
  credentials(conn: CloudConnectorRow): ConnectorCredentials {
    return connectorCredentials(conn, this.secrets);
  }

  // --- StorageIndex (task validation)

  async existing(kind: EndpointKind, ids: string[]): Promise<Set<string>> {
    if (kind === 'nas') return this.repos.nas_shares.existing(ids);
    if (kind === 'cloud') return this.repos.cloud_buckets.existing(ids);
    return new Set(); // no tape storages yet: tape endpoints name a pool
  }

  async poolContents(ids: string[]): Promise<Map<string, EndpointKind>> {
    const out = new Map<string, EndpointKind>();
    for (const id of new Set(ids)) {
      const pool = (await this.repos.pools.findById(id)) as PoolRow | undefined;
      if (pool) out.set(id, pool.content as EndpointKind);
    }
    return out;
  }

  // --- helpers

  /** The row, if the principal may see it (admins: any). */
  private async visible(p: Principal, resource: ResourceName, id: string): Promise<AnyRow> {
    const row = await this.get(resource, id);
    if (!p.isAdmin && !(await this.repos[resource].isReadable(id, p.userId))) throw notFound(DEFS[resource].label);
    return row;
  }

  private async get(resource: ResourceName, id: string): Promise<AnyRow> {
    const row = (await this.repos[resource].findById(id)) as AnyRow | undefined;
    if (!row) throw notFound(DEFS[resource].label);
    return row;
  }

  private async checkPool(def: ResourceDef, accepted: Json, errors: ValidationErrors): Promise<void> {
    if (!def.poolContent || typeof accepted.pool_id !== 'string') return;
    const pool = (await this.repos.pools.findById(accepted.pool_id)) as PoolRow | undefined;
    if (!pool) errors.add('pool_id', { error: 'not_found', value: accepted.pool_id }, `Pool ${accepted.pool_id} does not exist`);
    else if (pool.content !== def.poolContent) errors.add('pool_id', { error: 'inclusion', value: accepted.pool_id }, `Pool ${pool.name} holds ${pool.content}, not ${def.poolContent}`);
  }

  /** Accepted attributes → row columns (JSON as text, the secret sealed). */
  private columns(resource: ResourceName, accepted: Json, create: boolean): Json {
    const def = DEFS[resource];
    const out: Json = {};
    for (const attr of Object.keys(def.rules)) {
      if (SEALED[attr] !== undefined) continue;
      if (accepted[attr] !== undefined) out[attr] = def.json?.includes(attr) ? JSON.stringify(accepted[attr] ?? {}) : accepted[attr];
      else if (create) out[attr] = def.json?.includes(attr) ? '{}' : attr === 'guest_right' ? 'none' : null;
    }
    for (const [attr, column] of Object.entries(SEALED)) {
      if (!(attr in def.rules)) continue;
      if (typeof accepted[attr] === 'string') out[column] = this.secrets.seal(accepted[attr]);
      else if (accepted[attr] === null || create) out[column] = null;
    }
    if (resource === 'cloud_connectors' && create && out.provider === null) out.provider = 'generic_s3';
    if (resource === 'cloud_connectors' && typeof out.provider === 'string') out.provider = canonicalProvider(out.provider);
    return out;
  }

  private credentialsFrom(accepted: Json): Partial<ConnectorCredentials> {
    const out: Partial<ConnectorCredentials> = {};
    if (accepted.url !== undefined) out.url = accepted.url as string | null;
    if (accepted.region !== undefined) out.region = accepted.region as string | null;
    if (accepted.access_key !== undefined) out.accessKey = accepted.access_key as string | null;
    if (accepted.secret_key !== undefined) out.secretKey = accepted.secret_key as string | null;
    if (typeof accepted.provider === 'string') out.driver = cloudDriverOf(accepted.provider);
    const options = accepted.options as Json | undefined;
    out.forcePathStyle = options?.force_path_style !== false;
    return out;
  }

  private async save(def: ResourceDef, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof UniqueTaken) throw invalid('name', { error: 'taken' }, `${def.label} name has already been taken`);
      throw err;
    }
  }
}

/**
 * Write-only attributes and the column that keeps them sealed with the secret box (never returned, never
 * logged: the logger redacts `password` and `secret_key`). A share's username is sealed too and shown to
 * admins (view).
 */
const SEALED: Record<string, string> = { secret_key: 'secret_key_enc', username: 'username_enc', password: 'password_enc' };

/** `guest_right: null` would mean nothing: the weakest right is `none`, said explicitly. */
function guestNotBlank(accepted: Json, errors: ValidationErrors): void {
  if (accepted.guest_right === null) errors.add('guest_right', { error: 'blank' }, `Guest right can't be blank (use none)`);
}

function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw forbidden('Only an admin can change storages');
}

const ROOTS: Record<ResourceName, string> = { nas: 'nas', nas_shares: 'nas_share', cloud_connectors: 'cloud_connector', cloud_buckets: 'cloud_bucket', pools: 'pool' };

/** The attributes of a body, wrapped in the resource's model name (Rails style) or bare. */
function unwrap(body: unknown, resource: ResourceName): Json {
  return unwrapBody(body, ROOTS[resource]);
}

