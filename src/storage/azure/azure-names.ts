/**
 * Names on Azure Blob storage: storage paths ↔ blob names, and user metadata names ↔ Azure metadata names.
 *
 * Why an encoding at all: Azure does not store every name a POSIX file system holds.
 * - A backslash in a blob name is turned into '/' by the service ("a\b" becomes the blob "a/b", a file
 *   in a folder), and a path segment ending in '.' is trimmed by the service's URL handling; control
 *   characters do not survive the XML of listings. So, like rclone's azureblob encoding, such characters
 *   are stored as look-alike symbols: '\' → '＼' (U+FF3C), a trailing '.' of a segment → '．' (U+FF0E),
 *   control characters U+0000–U+001F → '␀'–'␟' (U+2400+c), DEL → '␡' (U+2421). A name that already holds
 *   one of those symbols, or the quote '‛' (U+201B), has it prefixed with '‛', so decoding is exact.
 *   Names without them (nearly all) are stored unchanged, as other tools expect.
 * - Metadata names must be C# identifiers (letters, digits, '_', not starting with a digit), while user
 *   metadata names are lower-case HTTP tokens (the S3 rule, so a task's metadata works on both): '_' is
 *   stored as '__', any other character as `_<hex code>_` (and a leading digit too).
 * The driver encodes at the request boundary only (azure-blobs.ts): everything above it speaks storage paths.
 */

const QUOTE = '\u201B';
const BACKSLASH_SYMBOL = '\uFF3C';
const PERIOD_SYMBOL = '\uFF0E';
const DEL_SYMBOL = '\u2421';
const CONTROL_SYMBOLS_START = 0x2400;

/** Characters that are replacement symbols (or the quote) when they appear literally in a name. */
function isSymbol(ch: string): boolean {
  const c = ch.codePointAt(0) as number;
  return ch === QUOTE || ch === BACKSLASH_SYMBOL || ch === PERIOD_SYMBOL || ch === DEL_SYMBOL || (c >= CONTROL_SYMBOLS_START && c < CONTROL_SYMBOLS_START + 0x20);
}

function encodeSegment(segment: string): string {
  let out = '';
  const chars = Array.from(segment);
  chars.forEach((ch, i) => {
    const c = ch.codePointAt(0) as number;
    if (isSymbol(ch)) out += QUOTE + ch;
    else if (ch === '\\') out += BACKSLASH_SYMBOL;
    else if (c < 0x20) out += String.fromCodePoint(CONTROL_SYMBOLS_START + c);
    else if (c === 0x7f) out += DEL_SYMBOL;
    else if (ch === '.' && i === chars.length - 1) out += PERIOD_SYMBOL;
    else out += ch;
  });
  return out;
}

function decodeSegment(segment: string): string {
  let out = '';
  const chars = Array.from(segment);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const c = ch.codePointAt(0) as number;
    if (ch === QUOTE && i + 1 < chars.length) out += chars[++i];
    else if (ch === BACKSLASH_SYMBOL) out += '\\';
    else if (ch === PERIOD_SYMBOL) out += '.';
    else if (ch === DEL_SYMBOL) out += '\x7f';
    else if (c >= CONTROL_SYMBOLS_START && c < CONTROL_SYMBOLS_START + 0x20) out += String.fromCodePoint(c - CONTROL_SYMBOLS_START);
    else out += ch;
  }
  return out;
}

/**
 * The blob name of a key (storage root prefix + storage path, '/'-separated, possibly ending in '/' for a
 * directory prefix). Segment by segment, so a directory prefix encodes to the prefix of its children's names.
 */
export function encodeBlobName(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

/** Inverse of {@link encodeBlobName}: the key of a blob name from a listing. */
export function decodeBlobName(name: string): string {
  return name.split('/').map(decodeSegment).join('/');
}

/** Azure's rule for metadata names (C# identifiers). */
const AZURE_META_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The Azure metadata name of a user metadata name (see the file header). */
export function encodeMetaName(name: string): string {
  let out = '';
  Array.from(name).forEach((ch, i) => {
    if (/[a-z]/.test(ch) || (i > 0 && /[0-9]/.test(ch))) out += ch;
    else if (ch === '_') out += '__';
    else out += `_${(ch.codePointAt(0) as number).toString(16)}_`;
  });
  return out;
}

/**
 * Inverse of {@link encodeMetaName}. Names another tool wrote (`Author`, `my_key`) are returned as they are
 * when they do not decode cleanly.
 */
export function decodeMetaName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    if (ch !== '_') {
      out += ch;
      continue;
    }
    if (name[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = name.indexOf('_', i + 1);
    const hex = end < 0 ? '' : name.slice(i + 1, end);
    if (!/^[0-9a-f]{1,6}$/.test(hex)) return name;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) return name;
    out += String.fromCodePoint(code);
    i = end;
  }
  return out;
}

/** True if `name` is acceptable to Azure as a metadata name. Why exported: the tests pin the encoding against it. */
export function isAzureMetaName(name: string): boolean {
  return AZURE_META_NAME_RE.test(name);
}
