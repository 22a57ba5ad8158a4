/**
 * The index record that closes each write session on a cartridge (LTFS keeps its index on the tape
 * for the same reason: the medium describes itself, a lost catalog is rebuilt from it). It is an
 * ordinary tar member, `.barge-index/session-NNNNNN-<id>.json`, so `tar -xf` extracts it beside the
 * files; its pax `comment` holds the SHA-256 of the JSON, so a reader knows an index is whole.
 *
 * Why a session without its index counts for nothing: the index is written (and synced) only after
 * every file of the session is durable; a session cut before that — `kill -9`, a power cut, a full
 * disk — has no index, and the next session starts over its bytes.
 */
import { createHash } from 'node:crypto';
import { BLOCK, EOA_BYTES, memberHeaderBytes, padTo } from './tar-format.js';

export const INDEX_FORMAT = 'barge-tape-index/1';
export const INDEX_DIR = '.barge-index/';

/** One file of a session, as its index lists it. */
export interface IndexedFile {
  /** Member name (relative, as `tar -tvf` lists it). */
  path: string;
  /** Byte offset of the file's first data byte in the cartridge. */
  offset: number;
  /** Byte offset of the member's first header block (its pax header). */
  header_offset: number;
  size: number;
  /** Lowercase hex digest of the data, by the session's `algorithm`. */
  checksum: string;
  mtime_ms: number;
  mode: number;
  uid: number | null;
  gid: number | null;
}

/** The index record of a complete session. */
export interface SessionIndex {
  format: typeof INDEX_FORMAT;
  barcode: string;
  /** 1, 2, 3… in the order written on this cartridge. */
  session: number;
  session_id: string;
  algorithm: string;
  /** Offset of the session's first header. */
  start: number;
  closed_at: string;
  files: IndexedFile[];
}

/** A complete session as found on the medium: its index and where the index member ends (the next session starts there). */
export interface SessionOnTape {
  index: SessionIndex;
  /** Offset of the index member's first header. */
  indexOffset: number;
  /** Offset just after the index member (its data padded): where an appended session begins. */
  end: number;
}

export function indexMemberPath(session: number, sessionId: string): string {
  return `${INDEX_DIR}session-${String(session).padStart(6, '0')}-${sessionId.slice(0, 8)}.json`;
}

/** Hex digest lengths of the checksum algorithms the medium records. */
export const DIGEST_HEX_LENGTH: Record<string, number> = { crc32: 8, md5: 32, xxhash64: 16 };

/** The JSON of one file record (the index is built from these, in order). */
export function fileRecordJson(f: IndexedFile): string {
  return JSON.stringify({
    path: f.path, offset: f.offset, header_offset: f.header_offset, size: f.size, checksum: f.checksum,
    mtime_ms: f.mtime_ms, mode: f.mode, uid: f.uid, gid: f.gid,
  });
}

/** The index's JSON text: a fixed head, the file records, a fixed tail (so its length is known as files are added). */
export function indexJson(head: Omit<SessionIndex, 'files'>, records: string[]): string {
  const h = JSON.stringify({
    format: head.format, barcode: head.barcode, session: head.session, session_id: head.session_id,
    algorithm: head.algorithm, start: head.start, closed_at: head.closed_at,
  });
  return `${h.slice(0, -1)},"files":[${records.join(',')}]}`;
}

export function indexComment(json: string): string {
  return `barge-index sha256=${createHash('sha256').update(json).digest('hex')}`;
}

/**
 * Bytes the index member takes for a JSON of `jsonBytes` bytes, plus the end-of-archive blocks after
 * it: what a session must keep free for its close. `slack` absorbs a head longer than estimated.
 */
export function indexReserve(path: string, jsonBytes: number, slack = BLOCK): number {
  const headers = memberHeaderBytes({ path, size: jsonBytes, mtimeMs: 0, mode: 0o644, comment: indexComment('') });
  return headers + padTo(jsonBytes + slack) + EOA_BYTES;
}

/**
 * Reads an index member's data: the JSON, checked against the digest of its pax comment and
 * against the format. Undefined when it is not a whole, well-formed index (a torn one).
 */
export function parseIndex(data: Buffer, comment: string | undefined): SessionIndex | undefined {
  const json = data.toString('utf8');
  if (comment === undefined || comment !== indexComment(json)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const x = parsed as Partial<SessionIndex> | null;
  if (!x || x.format !== INDEX_FORMAT || !Array.isArray(x.files) || typeof x.session !== 'number' || typeof x.start !== 'number') return undefined;
  return x as SessionIndex;
}
