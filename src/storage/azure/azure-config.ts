/**
 * Configuration of the Azure Blob driver: validation of the untrusted config row and construction of the
 * SDK client.
 *
 * Why a module of its own (as for s3): the config is operator input (a cloud connector and its bucket) and
 * carries the account key; validating it in one place, with messages that never echo the key, keeps the
 * driver free of config concerns and makes the rules testable without a server.
 */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { ConfigReader } from '../object/config-reader.js';

const MiB = 1024 * 1024;
/** Largest block Put Block accepts (service version 2019-12-12 and later). */
export const AZURE_MAX_BLOCK_BYTES = 4000 * MiB;
/** Most blocks a block blob may have. Why: copy blocks grow so that `size / block ≤ 50,000`. */
export const AZURE_MAX_BLOCKS = 50_000;
/** The access tiers of block blobs, coldest last. */
export const AZURE_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;

/** Configuration accepted by `createDriver('azure', config)`. Every field is validated by {@link parseAzureConfig}. */
export interface AzureDriverConfig {
  /** Blob service URL with the account: `https://<account>.blob.core.windows.net`, or Azurite's `http://127.0.0.1:10000/devstoreaccount1`. */
  readonly endpoint: string;
  readonly accountName: string;
  /** Base64 account key. Never logged nor echoed in errors; only handed to the SDK's credential. */
  readonly accountKey: string;
  /** The container (a cloud bucket in the API). */
  readonly container: string;
  /** Blob name prefix acting as the storage root. Default: the whole container. */
  readonly prefix?: string;
  /** Block size in bytes (default 8 MiB, 1 MiB–4000 MiB); blobs up to it go up as one Put Blob. */
  readonly blockSize?: number;
  /** Blocks staged in parallel per writer (default 4). Memory per writer is about (queueSize + 1) × blockSize. */
  readonly queueSize?: number;
  /** Attempts per request, including the first (default 5): the SDK backs off on throttling, 5xx and network errors. */
  readonly maxAttempts?: number;
  /** Access tiers `openWrite({storageClass})` accepts (default Hot, Cool, Cold, Archive). */
  readonly storageClasses?: readonly string[];
  /** Declare `restoreFromCold` (default true): archived blobs are rehydrated before they are read. */
  readonly restoreFromCold?: boolean;
  /** Tier an archived blob is rehydrated to (default Hot). */
  readonly rehydrateTier?: 'Hot' | 'Cool' | 'Cold';
  /** Blobs per listing page (default and maximum 5000). */
  readonly listPageSize?: number;
  /** Size of the Put Block From URL ranges of server-side copies (default 100 MiB; raised to stay within 50,000 blocks). */
  readonly copyBlockSize?: number;
}

/** A validated config with every default applied. The key stays in the credential; see {@link createAzureClient}. */
export interface AzureSettings {
  readonly endpoint: string;
  readonly accountName: string;
  readonly container: string;
  /** '' or a name prefix ending in '/'. */
  readonly keyPrefix: string;
  readonly blockSize: number;
  readonly queueSize: number;
  readonly maxAttempts: number;
  readonly storageClasses: readonly string[];
  readonly restoreFromCold: boolean;
  readonly rehydrateTier: 'Hot' | 'Cool' | 'Cold';
  readonly listPageSize: number;
  readonly copyBlockSize: number;
}

const KNOWN_KEYS = new Set([
  'endpoint', 'accountName', 'accountKey', 'container', 'prefix', 'blockSize', 'queueSize', 'maxAttempts', 'storageClasses',
  'restoreFromCold', 'rehydrateTier', 'listPageSize', 'copyBlockSize',
]);

/** Azure container naming rules: 3–63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
const CONTAINER_RE = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ACCOUNT_RE = /^[a-z0-9]{3,24}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Validate an untrusted config; throws `invalid_argument` listing every problem (object/config-reader.ts:
 * unknown keys refused, the account key never quoted).
 */
export function parseAzureConfig(config: unknown): { settings: AzureSettings; accountKey: string } {
  const r = new ConfigReader('azure', config, KNOWN_KEYS);
  const endpoint = r.endpoint('endpoint', (url) => (url.search !== '' ? 'endpoint must not carry a query (SAS tokens are not supported: give the account key)' : undefined));
  const accountName = r.str('accountName');
  if (accountName !== undefined && !ACCOUNT_RE.test(accountName)) r.problem('accountName must be 3-24 lower-case letters or digits');
  const accountKey = r.str('accountKey');
  if (accountKey !== undefined && !BASE64_RE.test(accountKey)) r.problem('accountKey must be the base64 account key');
  const container = r.str('container');
  if (container !== undefined && !CONTAINER_RE.test(container)) {
    r.problem('container must be a valid Azure container name (3-63 lower-case letters, digits, single hyphens)');
  }
  const keyPrefix = r.keyPrefix();
  const storageClasses = r.distinctList('storageClasses', AZURE_TIERS, (s) => (AZURE_TIERS as readonly unknown[]).includes(s),
    `storageClasses must be a list of distinct access tiers among ${AZURE_TIERS.join(', ')}`);
  const restoreFromCold = r.bool('restoreFromCold', true);
  const rehydrateTier = r.oneOf<AzureSettings['rehydrateTier']>('rehydrateTier', 'Hot', ['Hot', 'Cool', 'Cold'], 'rehydrateTier must be Hot, Cool or Cold');
  const settings: AzureSettings = {
    endpoint: (endpoint ?? '').replace(/\/+$/, ''),
    accountName: accountName ?? '',
    container: container ?? '',
    keyPrefix,
    blockSize: r.int('blockSize', 8 * MiB, MiB, AZURE_MAX_BLOCK_BYTES),
    queueSize: r.int('queueSize', 4, 1, 64),
    maxAttempts: r.int('maxAttempts', 5, 1, 20),
    storageClasses,
    restoreFromCold,
    rehydrateTier,
    listPageSize: r.int('listPageSize', 5000, 1, 5000),
    copyBlockSize: r.int('copyBlockSize', 100 * MiB, MiB, AZURE_MAX_BLOCK_BYTES),
  };
  r.finish();
  return { settings: Object.freeze(settings), accountKey: accountKey as string };
}

/**
 * Build the SDK client with shared-key credentials. Why these settings: exponential retries on
 * throttling, 5xx and network errors (`maxAttempts`), and keep-alive connections (the SDK's default).
 * Why a shared key and not a SAS: server-side copies read their source through a SAS URL the driver
 * signs with the key (Put Block From URL needs the source authorised).
 */
export function createAzureClient(settings: Pick<AzureSettings, 'endpoint' | 'accountName' | 'maxAttempts'>, accountKey: string): BlobServiceClient {
  const credential = new StorageSharedKeyCredential(settings.accountName, accountKey);
  return new BlobServiceClient(settings.endpoint, credential, {
    retryOptions: { maxTries: settings.maxAttempts, retryDelayInMs: 200, maxRetryDelayInMs: 10_000 },
    keepAliveOptions: { enable: true },
  });
}
