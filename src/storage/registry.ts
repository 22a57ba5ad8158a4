/**
 * The one index of storage-driver kinds.
 *
 * Why: the composition root (main.ts) and the storages service create drivers from configuration rows
 * (`{kind: 'posix', config: {...}}`) without importing driver folders; adding a driver means writing its
 * folder and one line here. Each factory validates its own untrusted config.
 */
import type { DriverFactory, StorageDriver } from './driver.js';
import { StorageError } from './errors.js';
import { createMemoryDriver } from './memory/memory-driver.js';
import { createPosixDriver } from './posix/posix-driver.js';

/** A set of driver factories keyed by kind. Why a class: tests and plugins can build isolated registries. */
export class DriverRegistry {
  private readonly factories = new Map<string, DriverFactory>();

  /** Register a factory; registering a kind twice is a programming error (`invalid_argument`). */
  register(kind: string, factory: DriverFactory): this {
    if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new StorageError('invalid_argument', `invalid driver kind ${JSON.stringify(kind)}`);
    if (this.factories.has(kind)) throw new StorageError('invalid_argument', `driver kind ${kind} is already registered`);
    this.factories.set(kind, factory);
    return this;
  }

  /** Kinds available, sorted. Why: the API lists them and validates storage definitions against them. */
  kinds(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** True if `kind` is registered. Why: config validation can reject unknown kinds before creating anything. */
  has(kind: string): boolean {
    return this.factories.has(kind);
  }

  /** Create a driver; unknown kind → `unsupported`; bad config → the factory's `invalid_argument`. */
  async create(kind: string, config: unknown): Promise<StorageDriver> {
    const factory = this.factories.get(kind);
    if (factory === undefined) {
      throw new StorageError('unsupported', `unknown storage driver kind ${JSON.stringify(kind)} (known: ${this.kinds().join(', ')})`);
    }
    return factory(config);
  }
}

/**
 * The s3 factory, loading the driver (and the AWS SDK under it, ~15 MiB of code) on first use. Why: a
 * Barge that only moves files between NAS shares should not pay for an SDK it never calls.
 */
async function createS3DriverLazily(config: unknown): Promise<StorageDriver> {
  const { createS3Driver } = await import('./s3/s3-driver.js');
  return createS3Driver(config);
}

/**
 * The azure factory, loaded on first use like s3 (the Azure SDK is only paid for by installations that
 * have an Azure connector).
 */
async function createAzureDriverLazily(config: unknown): Promise<StorageDriver> {
  const { createAzureDriver } = await import('./azure/azure-driver.js');
  return createAzureDriver(config);
}

/** A registry holding every built-in driver. Why a function: each caller gets its own mutable registry. */
export function builtinDriverRegistry(): DriverRegistry {
  return new DriverRegistry().register('memory', createMemoryDriver).register('posix', createPosixDriver).register('s3', createS3DriverLazily)
    .register('azure', createAzureDriverLazily);
}

const defaultRegistry = builtinDriverRegistry();

/** Create a built-in driver by kind, e.g. `createDriver('posix', {root: '/data'})`. */
export function createDriver(kind: string, config: unknown): Promise<StorageDriver> {
  return defaultRegistry.create(kind, config);
}

/** Kinds of the built-in drivers. */
export function driverKinds(): string[] {
  return defaultRegistry.kinds();
}
