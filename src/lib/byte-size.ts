/**
 * Sizes typed by people: a whole number of bytes, or a number with a binary unit (`500G`, `1.5TiB`,
 * `20 MiB`), or `none` (null: no limit). Why one module: the CLI's `--quota` and the console's quota
 * field must read the same text the same way. Binary units, as `df -h` shows them. Pure: the web
 * console imports it too.
 */
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Why a size could not be read; the message says what is accepted. */
export class ByteSizeError extends Error {}

/** Bytes of `text`, or null for `none`; throws {@link ByteSizeError} for anything else. */
export function parseByteSize(text: string): number | null {
  if (/^\s*none\s*$/i.test(text)) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new ByteSizeError(`${JSON.stringify(text)} is not a size (bytes, or a number with K, M, G, T or P: 500G, 1.5TiB; none for no quota)`);
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes)) throw new ByteSizeError(`${JSON.stringify(text)} is too large`);
  return bytes;
}
