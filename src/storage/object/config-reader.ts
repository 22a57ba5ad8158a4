/**
 * Validation of an object-store driver's untrusted config (a storage row, a cloud connector): the rules
 * both drivers apply to their own keys.
 *
 * Why one reader: the config is operator input that carries a secret. Every problem is listed at once
 * (one `invalid_argument`, so an operator fixes the whole row in one go), unknown keys are refused (a typo
 * such as `bucketName` must not fall back to a default), and messages name keys but never quote values of
 * credentials (errors end up in logs and API responses). Written once, those promises cannot differ
 * between drivers.
 */
import { StorageError } from '../errors.js';
import { normalizeStoragePath } from '../paths.js';

/** Reads one config object, collecting problems; `finish()` throws them all. */
export class ConfigReader {
  private readonly problems: string[] = [];
  private readonly c: Record<string, unknown>;

  /** `driver` names the driver in messages; keys outside `knownKeys` are problems. */
  constructor(private readonly driver: string, config: unknown, knownKeys: ReadonlySet<string>) {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new StorageError('invalid_argument', `${driver} driver config must be an object`);
    }
    this.c = config as Record<string, unknown>;
    for (const key of Object.keys(this.c)) if (!knownKeys.has(key)) this.problem(`unknown key ${JSON.stringify(key)}`);
  }

  /** Record a problem found by the driver's own rules. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** The raw value of `key`. */
  raw(key: string): unknown {
    return this.c[key];
  }

  /** A non-empty string; undefined (and a problem when `required`) otherwise. */
  str(key: string, required = true): string | undefined {
    const v = this.c[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.problem(`${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  }

  /** A boolean, `fallback` when absent. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.c[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.problem(`${key} must be a boolean`);
    return v === true;
  }

  /** An integer within [min, max], `fallback` when absent. */
  int(key: string, fallback: number, min: number, max: number): number {
    const v = this.c[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.problem(`${key} must be an integer between ${min} and ${max}`);
    return typeof v === 'number' ? v : fallback;
  }

  /** One of `allowed`, `fallback` when absent. */
  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[], message: string): T {
    const v = this.c[key] ?? fallback;
    if (!(allowed as readonly unknown[]).includes(v)) this.problem(message);
    return v as T;
  }

  /** A list of distinct strings each passing `valid`, `fallback` when absent (frozen either way). */
  distinctList(key: string, fallback: readonly string[], valid: (s: unknown) => boolean, message: string): readonly string[] {
    const v = this.c[key];
    if (v === undefined) return Object.freeze([...fallback]);
    if (!Array.isArray(v) || !v.every(valid) || new Set(v).size !== v.length) {
      this.problem(message);
      return Object.freeze([...fallback]);
    }
    return Object.freeze([...(v as string[])]);
  }

  /**
   * The service URL at `key`: http(s), without embedded credentials; `extra` adds a driver's own rule
   * (returns a problem or undefined).
   */
  endpoint(key = 'endpoint', extra?: (url: URL) => string | undefined): string | undefined {
    const endpoint = this.str(key);
    if (endpoint === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) this.problem(`${key} must be an http(s) URL`);
    else if (url.username !== '' || url.password !== '') this.problem(`${key} must not embed credentials`);
    else {
      const more = extra?.(url);
      if (more !== undefined) this.problem(more);
    }
    return endpoint;
  }

  /** The storage root as a key prefix (`prefix` normalized like a storage path): '' or ending in '/'. */
  keyPrefix(key = 'prefix'): string {
    const v = this.c[key];
    if (v === undefined) return '';
    if (typeof v !== 'string') {
      this.problem(`${key} must be a string`);
      return '';
    }
    try {
      const norm = normalizeStoragePath(v);
      return norm === '' ? '' : `${norm}/`;
    } catch (err) {
      this.problem(`${key}: ${(err as Error).message}`);
      return '';
    }
  }

  /** Throw every problem found as one `invalid_argument`. */
  finish(): void {
    if (this.problems.length > 0) throw new StorageError('invalid_argument', `${this.driver} driver config: ${this.problems.join('; ')}`);
  }
}
