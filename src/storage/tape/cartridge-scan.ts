/**
 * Finding the sessions of a cartridge by reading it from the beginning, header after header, as a
 * drive reads a tape (data blocks are skipped, never read). A session is complete when its index
 * member is found whole; members after the last complete index are a torn tail (a session cut by
 * `kill -9`): readers ignore them, and the next write session starts over them.
 */
import type { FileHandle } from 'node:fs/promises';
import { INDEX_DIR, parseIndex, type SessionOnTape } from './cartridge-index.js';
import { BLOCK, applyPax, decodeHeader, padTo, parsePaxRecords } from './tar-format.js';
import { TapeError, throwIfAborted } from './tape-error.js';

/** What a scan found. */
export interface ScanResult {
  sessions: SessionOnTape[];
  /** Where the next session starts: the end of the last complete session (0 for a blank cartridge). */
  end: number;
  /** Members found after the last complete session (a torn session), ignored. */
  tornMembers: number;
  /** Bytes after `end` other than the end-of-archive blocks (what the next session overwrites). */
  tornBytes: number;
}

/** Positional reads through a window, so that consecutive small members cost one read. */
class WindowReader {
  private start = 0;
  private buf = Buffer.alloc(0);
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly window = 256 * 1024,
  ) {}

  /** `len` bytes at `pos`, or fewer at the end of the file. */
  async read(pos: number, len: number): Promise<Buffer> {
    if (pos >= this.start && pos + len <= this.start + this.buf.length) return this.buf.subarray(pos - this.start, pos - this.start + len);
    const want = Math.min(Math.max(len, this.window), Math.max(0, this.size - pos));
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.start = pos;
    this.buf = buf.subarray(0, got);
    return this.buf.subarray(0, Math.min(len, got));
  }
}

interface Pending {
  path: string;
  offset: number;
  size: number;
}

/**
 * Scans a cartridge file. Throws `corrupt` when a whole index contradicts the members before it
 * (never silently: the next session would truncate data it does not understand).
 */
export async function scanCartridge(fh: FileHandle, barcode: string, signal?: AbortSignal): Promise<ScanResult> {
  const size = (await fh.stat()).size;
  const reader = new WindowReader(fh, size);
  const sessions: SessionOnTape[] = [];
  let end = 0;
  let pending: Pending[] = [];
  let pos = 0;
  let memberStart = 0;
  let pax: Record<string, string> | undefined;
  let eoa = false;
  for (;;) {
    throwIfAborted(signal);
    if (pos + BLOCK > size) break;
    const h = decodeHeader(await reader.read(pos, BLOCK));
    if (h.kind === 'zero') {
      eoa = true;
      break;
    }
    if (h.kind === 'invalid') break;
    if (pax === undefined) memberStart = pos;
    const dataAt = pos + BLOCK;
    if (h.typeflag === 'x' || h.typeflag === 'g') {
      if (dataAt + h.size > size) break;
      const records = parsePaxRecords(await reader.read(dataAt, h.size));
      if (h.typeflag === 'x') pax = records;
      pos = dataAt + padTo(h.size);
      continue;
    }
    const m = applyPax(h, pax ?? {});
    pax = undefined;
    if (dataAt + m.size > size) break;
    pos = dataAt + padTo(m.size);
    if (m.path.startsWith(INDEX_DIR) && m.pax.comment?.startsWith('barge-index ')) {
      const index = parseIndex(await reader.read(dataAt, m.size), m.pax.comment);
      if (index === undefined) break; // a torn index: the session is not complete
      if (index.barcode !== barcode) throw new TapeError('corrupt', `Cartridge ${barcode} holds an index written for ${index.barcode}`);
      checkAgainstHeaders(index.files, pending, barcode, index.session);
      sessions.push({ index, indexOffset: memberStart, end: pos });
      end = pos;
      pending = [];
      continue;
    }
    pending.push({ path: m.path, offset: dataAt, size: m.size });
  }
  const tail = size - end;
  return { sessions, end, tornMembers: pending.length, tornBytes: eoa && pending.length === 0 ? Math.max(0, tail - 2 * BLOCK) : tail };
}

function checkAgainstHeaders(files: Array<{ path: string; offset: number; size: number }>, found: Pending[], barcode: string, session: number): void {
  const ok = files.length === found.length && files.every((f, i) => f.path === found[i]?.path && f.offset === found[i]?.offset && f.size === found[i]?.size);
  if (!ok) throw new TapeError('corrupt', `Cartridge ${barcode}: the index of session ${session} does not match the members before it`);
}
