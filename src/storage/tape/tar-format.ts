/**
 * The bytes of a POSIX pax tar archive (IEEE 1003.1-2001 `pax` format, what GNU `tar --format=pax`
 * writes): 512-byte ustar headers, pax extended headers (`x`) carrying what ustar cannot hold, the
 * two zero blocks that end an archive. Why pax and not Barge's own framing: a cartridge must stay
 * readable without Barge — `tar -tvf` lists it and `tar -xf` restores it (issue #12). Pure functions,
 * no I/O; the cartridge (cartridge.ts) does the reading and writing.
 *
 * Every member Barge writes has a pax header with its `path` (no 100-byte limit, any UTF-8) and its
 * `mtime` to the microsecond; `size`, `uid` and `gid` go there too when the ustar fields are too small
 * (8 GiB - 1 bytes, 2097151). Readers take a pax value over the ustar field, as the standard says.
 */
import { TapeError } from './tape-error.js';

export const BLOCK = 512;
/** The end-of-archive marker: two zero blocks. */
export const EOA_BYTES = 2 * BLOCK;

/** `n` rounded up to whole blocks. */
export function padTo(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** What Barge records of a member (file) in its headers. */
export interface MemberMeta {
  /** Member name: relative, `/`-separated (see checkMemberPath). */
  path: string;
  size: number;
  /** Modification time in ms since the epoch (fractions kept to the microsecond in the pax header). */
  mtimeMs: number;
  /** Permission bits (`& 0o7777`). */
  mode: number;
  uid?: number;
  gid?: number;
  /** A pax `comment` (readers ignore it; the index entry keeps its own digest there). */
  comment?: string;
}

/** A header as read back: the ustar fields with the pax values applied. */
export interface ParsedMember {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  typeflag: string;
  pax: Record<string, string>;
}

const MAX_OCTAL_11 = 8 ** 11 - 1;
const MAX_OCTAL_7 = 8 ** 7 - 1;

/**
 * Refuses a member name tar would alter or refuse on extraction: empty, absolute, with `.`/`..` or
 * empty segments, a NUL byte, or longer than 4096 bytes. Why refuse rather than normalise: the index
 * and `tar -tvf` must show the very name the caller asked for.
 */
export function checkMemberPath(path: string): void {
  const bad = (why: string): never => {
    throw new TapeError('invalid_path', `Cannot write ${JSON.stringify(path)} to tape: ${why}`);
  };
  if (path === '') bad('empty path');
  if (path.includes('\0')) bad('NUL byte');
  if (path.startsWith('/')) bad('absolute path');
  if (Buffer.byteLength(path) > 4096) bad('longer than 4096 bytes');
  for (const seg of path.split('/')) if (seg === '' || seg === '.' || seg === '..') bad('empty, . or .. segment');
}

/** The first `max` bytes of `s` in UTF-8, cut at a character boundary. */
function utf8Prefix(s: string, max: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header block. Numbers that do not fit their field are written as 0: the pax header carries them. */
function ustarHeader(name: string, typeflag: string, m: { size: number; mtimeMs: number; mode: number; uid?: number; gid?: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  utf8Prefix(name, 100).copy(b, 0);
  const fit = (v: number | undefined, max: number) => (v !== undefined && v >= 0 && v <= max ? v : 0);
  b.write(octal(m.mode & 0o7777, 8), 100, 'ascii');
  b.write(octal(fit(m.uid, MAX_OCTAL_7), 8), 108, 'ascii');
  b.write(octal(fit(m.gid, MAX_OCTAL_7), 8), 116, 'ascii');
  b.write(octal(fit(m.size, MAX_OCTAL_11), 12), 124, 'ascii');
  b.write(octal(fit(Math.floor(m.mtimeMs / 1000), MAX_OCTAL_11), 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(typeflag, 156, 'ascii');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  b.write(octal(0, 8), 329, 'ascii');
  b.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return b;
}

/**
 * A pax time value: seconds with up to six decimals (`1700000000.123456`). Why microseconds: a time in
 * ms as a JS number (what `stat` gives) holds about a quarter of a microsecond at today's epochs, so
 * digits beyond the sixth would be float noise.
 */
export function paxTime(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(ms);
  let whole = Math.floor(abs);
  let us = Math.round((abs - whole) * 1000);
  if (us === 1000) {
    whole += 1;
    us = 0;
  }
  const total = BigInt(whole) * 1000n + BigInt(us);
  const sec = total / 1_000_000n;
  const frac = (total % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${sec}${frac ? `.${frac}` : ''}`;
}

function parsePaxTime(v: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,9})\d*)?$/.exec(v);
  if (!m) return NaN;
  const ns = BigInt(m[2] as string) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return (m[1] === '-' ? -1 : 1) * Number(ns) / 1e6;
}

/** Encodes pax records: `<length> <key>=<value>\n`, where length counts the whole record, itself included. */
export function paxRecords(entries: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of entries) {
    const body = Buffer.byteLength(` ${key}=${value}\n`);
    let len = body + String(body).length;
    if (String(len).length > String(body).length) len = body + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=${value}\n`, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** Reads pax records back (a malformed record ends the list). */
export function parsePaxRecords(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(buf.toString('ascii', at, space));
    if (!Number.isInteger(len) || len <= 0 || at + len > buf.length) break;
    const record = buf.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/**
 * The header blocks of one member: a pax extended header (`x`) and its records, then the ustar
 * header (type `0`, regular file). The member's data follows, padded to a block (see padTo).
 */
export function memberHeaders(m: MemberMeta): Buffer {
  const records: Array<[string, string]> = [['path', m.path], ['mtime', paxTime(m.mtimeMs)]];
  if (m.size > MAX_OCTAL_11) records.push(['size', String(m.size)]);
  if (m.uid !== undefined && m.uid > MAX_OCTAL_7) records.push(['uid', String(m.uid)]);
  if (m.gid !== undefined && m.gid > MAX_OCTAL_7) records.push(['gid', String(m.gid)]);
  if (m.comment !== undefined) records.push(['comment', m.comment]);
  const pax = paxRecords(records);
  const base = m.path.slice(m.path.lastIndexOf('/') + 1);
  const paxBlocks = Buffer.alloc(padTo(pax.length));
  pax.copy(paxBlocks);
  return Buffer.concat([
    ustarHeader(`PaxHeaders/${utf8Prefix(base, 80).toString('utf8')}`, 'x', { size: pax.length, mtimeMs: m.mtimeMs, mode: 0o644 }),
    paxBlocks,
    ustarHeader(m.path, '0', m),
  ]);
}

/** Bytes the headers of `m` take (without the data). */
export function memberHeaderBytes(m: MemberMeta): number {
  return memberHeaders(m).length;
}

function readOctal(b: Buffer, at: number, width: number): number {
  if (((b[at] as number) & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    let v = (b[at] as number) & 0x7f;
    for (let i = 1; i < width; i++) v = v * 256 + (b[at + i] as number);
    return v;
  }
  const s = b.toString('ascii', at, at + width).replace(/[\0 ]+$/g, '').replace(/^[ ]+/, '');
  return s === '' ? 0 : parseInt(s, 8);
}

/** What one 512-byte block is: a header, a zero block (end of archive), or not a header at all. */
export type HeaderBlock = { kind: 'zero' } | { kind: 'invalid' } | { kind: 'header'; name: string; typeflag: string; size: number; mtimeMs: number; mode: number; uid: number; gid: number };

export function decodeHeader(b: Buffer): HeaderBlock {
  if (b.length < BLOCK) return { kind: 'invalid' };
  if (b.every((x) => x === 0)) return { kind: 'zero' };
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (b[i] as number);
  if (readOctal(b, 148, 8) !== sum) return { kind: 'invalid' };
  const field = (at: number, len: number) => {
    const end = b.indexOf(0, at);
    return b.toString('utf8', at, end < 0 || end > at + len ? at + len : end);
  };
  const prefix = b.toString('ascii', 257, 262) === 'ustar' ? field(345, 155) : '';
  const name = field(0, 100);
  return {
    kind: 'header', name: prefix ? `${prefix}/${name}` : name, typeflag: String.fromCharCode(b[156] as number || 0x30),
    size: readOctal(b, 124, 12), mtimeMs: readOctal(b, 136, 12) * 1000, mode: readOctal(b, 100, 8), uid: readOctal(b, 108, 8), gid: readOctal(b, 116, 8),
  };
}

/** A header with the pax records that preceded it applied (pax wins over ustar). */
export function applyPax(h: Extract<HeaderBlock, { kind: 'header' }>, pax: Record<string, string>): ParsedMember {
  const num = (k: string, fallback: number) => {
    const v = pax[k];
    if (v === undefined) return fallback;
    const n = Number(v);
    return Number.isFinite(n) ? n : fallback;
  };
  const mtime = pax.mtime === undefined ? NaN : parsePaxTime(pax.mtime);
  return {
    path: pax.path ?? h.name, size: num('size', h.size), mtimeMs: Number.isNaN(mtime) ? h.mtimeMs : mtime, mode: h.mode,
    uid: num('uid', h.uid), gid: num('gid', h.gid), typeflag: h.typeflag, pax,
  };
}
