/**
 * Unguessable tokens and their storage form. API keys, defer ids and generated passwords come from
 * here so that every secret has ≥128 bits of entropy and is kept only as a SHA-256 digest.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A random token of `bytes` bytes, base64url; `prefix` makes keys recognisable in logs and configs. */
export function randomToken(bytes = 32, prefix = ''): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** Hex SHA-256, the stored form of high-entropy tokens (no KDF needed for 256-bit secrets). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Opaque ids for resources (tasks, executions, storages): UUID v4. */
export function newId(): string {
  return randomUUID();
}

/** A readable generated password (24 base64url chars ≈ 144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
