/**
 * One write session on a cartridge: files appended at the end of the medium as pax tar members (the
 * way `tar --append` does, starting over the previous end-of-archive blocks), each hashed as it is
 * written, then closed by the session's index member and new end-of-archive blocks.
 *
 * Durability: at close the data is synced before the index is written, and the index is synced
 * before the session counts as written — a crash at any point leaves either the whole session or a
 * torn tail that readers ignore. A file that fails half-way (its source broke, the signal fired) is
 * cut off the medium at once, so the session goes on with the next file.
 *
 * Space: a session always keeps room for its own index, so a file is accepted only if it fits with
 * the index grown by its record. `fits` answers `no_space` (the next cartridge may take it whole) or
 * `too_large` (no cartridge of this capacity can).
 */
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { createHasher, type ChecksumAlgorithm } from '../../lib/hashing.js';
import {
  DIGEST_HEX_LENGTH, INDEX_FORMAT, fileRecordJson, indexComment, indexJson, indexMemberPath, indexReserve,
  type IndexedFile, type SessionIndex, type SessionOnTape,
} from './cartridge-index.js';
import { BLOCK, EOA_BYTES, checkMemberPath, memberHeaders, padTo, type MemberMeta } from './tar-format.js';
import { TapeError, abortedError } from './tape-error.js';

/** A file to write: its tar metadata (size announced up front, as tar headers need it). */
export type TapeFileMeta = Omit<MemberMeta, 'comment'>;

/** Whether a file can be written in this session. */
export type Fit = 'ok' | 'no_space' | 'too_large';

/** What the session needs from its cartridge (cartridge.ts). */
export interface SessionHost {
  readonly barcode: string;
  readonly capacityBytes: number;
  /** Called once the session is durable on the medium. */
  sessionClosed(s: SessionOnTape): void;
  /** Called when the session ends either way (the cartridge accepts a new one). */
  sessionEnded(): void;
}

export interface WriteSessionOptions {
  algorithm: ChecksumAlgorithm;
  /** The session's number on the cartridge (previous + 1). */
  session: number;
  /** Where the session starts: the end of the last complete session. */
  start: number;
  now: () => Date;
  /** Bytes written to the medium, as they go (for drive bandwidth). */
  onBytes?: (n: number) => void;
}

const ZEROS = Buffer.alloc(BLOCK);

export class WriteSession {
  readonly sessionId = randomUUID();
  private pos: number;
  private readonly files: IndexedFile[] = [];
  private readonly records: string[] = [];
  private readonly paths = new Set<string>();
  private recordsBytes = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private truncated = false;
  private readonly headBytes: number;
  private readonly indexPath: string;

  constructor(
    private readonly fh: FileHandle,
    private readonly host: SessionHost,
    private readonly opts: WriteSessionOptions,
  ) {
    this.pos = opts.start;
    this.indexPath = indexMemberPath(opts.session, this.sessionId);
    this.headBytes = Buffer.byteLength(indexJson(this.head(new Date(0)), []));
  }

  /** Files written so far in this session. */
  get written(): readonly IndexedFile[] {
    return this.files;
  }

  /** Where the next member would start. */
  get position(): number {
    return this.pos;
  }

  private head(closedAt: Date): Omit<SessionIndex, 'files'> {
    return {
      format: INDEX_FORMAT, barcode: this.host.barcode, session: this.opts.session, session_id: this.sessionId,
      algorithm: this.opts.algorithm, start: this.opts.start, closed_at: closedAt.toISOString(),
    };
  }

  private planned(meta: TapeFileMeta, at: number): { headers: Buffer; record: IndexedFile } {
    const m: MemberMeta = { path: meta.path, size: meta.size, mtimeMs: meta.mtimeMs, mode: meta.mode & 0o7777, uid: meta.uid, gid: meta.gid };
    const headers = memberHeaders(m);
    const record: IndexedFile = {
      path: meta.path, offset: at + headers.length, header_offset: at, size: meta.size, checksum: '0'.repeat(DIGEST_HEX_LENGTH[this.opts.algorithm] ?? 64),
      mtime_ms: meta.mtimeMs, mode: meta.mode & 0o7777, uid: meta.uid ?? null, gid: meta.gid ?? null,
    };
    return { headers, record };
  }

  /** Bytes the session's end takes (index + end of archive) with `extraRecordBytes` more of records. */
  private closeBytes(records: number, recordsBytes: number): number {
    return indexReserve(this.indexPath, this.headBytes + recordsBytes + Math.max(0, records - 1));
  }

  /** Whether `meta` can be written now (see the file comment). Throws `invalid_path` for a bad or repeated name. */
  fits(meta: TapeFileMeta): Fit {
    this.checkName(meta.path);
    if (!Number.isSafeInteger(meta.size) || meta.size < 0) throw new TapeError('invalid_argument', `Bad size ${meta.size} for ${meta.path}`);
    const { headers, record } = this.planned(meta, this.pos);
    const need = (from: number, records: number, bytes: number) => from + headers.length + padTo(meta.size) + this.closeBytes(records, bytes);
    const rec = Buffer.byteLength(fileRecordJson(record));
    if (need(this.pos, this.files.length + 1, this.recordsBytes + rec) <= this.host.capacityBytes) return 'ok';
    const alone = this.planned(meta, 0);
    const aloneRec = Buffer.byteLength(fileRecordJson(alone.record));
    return need(0, 1, aloneRec) <= this.host.capacityBytes ? 'no_space' : 'too_large';
  }

  private checkName(path: string): void {
    checkMemberPath(path);
    if (this.paths.has(path)) throw new TapeError('invalid_path', `${path} is already written in this session`);
  }

  /**
   * Appends one file, reading exactly `meta.size` bytes from `source`. Throws `no_space`/`too_large`
   * before writing anything when it does not fit; on any failure the partial member is cut off.
   */
  async writeFile(meta: TapeFileMeta, source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, signal?: AbortSignal): Promise<IndexedFile> {
    this.checkOpen();
    const fit = this.fits(meta);
    if (fit !== 'ok') {
      throw new TapeError(fit, fit === 'too_large'
        ? `${meta.path} (${meta.size} bytes) is larger than a cartridge of ${this.host.capacityBytes} bytes can hold`
        : `${meta.path} (${meta.size} bytes) does not fit on ${this.host.barcode} (${this.host.capacityBytes - this.pos} bytes left)`);
    }
    if (!this.truncated) {
      // Starts over the previous end-of-archive blocks and any torn tail.
      await this.fh.truncate(this.opts.start);
      this.truncated = true;
    }
    const start = this.pos;
    const { headers, record } = this.planned(meta, start);
    const hasher = await createHasher(this.opts.algorithm);
    try {
      await this.write(headers, start);
      let at = start + headers.length;
      let count = 0;
      for await (const chunk of source) {
        if (signal?.aborted) throw abortedError(signal);
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        count += buf.length;
        if (count > meta.size) throw new TapeError('size_mismatch', `${meta.path}: the source gave more than the announced ${meta.size} bytes`);
        hasher.update(buf);
        await this.write(buf, at);
        at += buf.length;
      }
      if (signal?.aborted) throw abortedError(signal);
      if (count !== meta.size) throw new TapeError('size_mismatch', `${meta.path}: the source gave ${count} bytes, ${meta.size} announced`);
      const pad = padTo(meta.size) - meta.size;
      if (pad > 0) await this.write(ZEROS.subarray(0, pad), at);
    } catch (err) {
      hasher.digest();
      await this.fh.truncate(start).catch(() => undefined);
      throw err instanceof TapeError ? err : new TapeError('io', `Writing ${meta.path} to ${this.host.barcode} failed: ${(err as Error).message}`, { cause: err });
    }
    const done: IndexedFile = { ...record, checksum: hasher.digest() };
    this.pos = record.offset + padTo(meta.size);
    this.files.push(done);
    this.paths.add(meta.path);
    const json = fileRecordJson(done);
    this.records.push(json);
    this.recordsBytes += Buffer.byteLength(json);
    return done;
  }

  private async write(buf: Buffer, at: number): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, at + off);
      off += bytesWritten;
    }
    this.opts.onBytes?.(buf.length);
  }

  /**
   * Ends the session: data synced, then the index and end-of-archive blocks written and synced.
   * Returns the session as it now is on the medium, or undefined when no file was written (then the
   * medium is left exactly as it was).
   */
  async close(): Promise<SessionOnTape | undefined> {
    this.checkOpen();
    try {
      if (this.files.length === 0) {
        await this.restoreEnd();
        return undefined;
      }
      await this.fh.datasync();
      const index: SessionIndex = { ...this.head(this.opts.now()), files: this.files };
      const json = indexJson(index, this.records);
      const data = Buffer.from(json, 'utf8');
      const headers = memberHeaders({ path: this.indexPath, size: data.length, mtimeMs: Date.parse(index.closed_at), mode: 0o644, comment: indexComment(json) });
      const member = Buffer.alloc(headers.length + padTo(data.length) + EOA_BYTES);
      headers.copy(member, 0);
      data.copy(member, headers.length);
      const indexOffset = this.pos;
      await this.write(member, indexOffset);
      await this.fh.truncate(indexOffset + member.length);
      await this.fh.datasync();
      const s: SessionOnTape = { index, indexOffset, end: indexOffset + headers.length + padTo(data.length) };
      this.state = 'closed';
      this.host.sessionClosed(s);
      return s;
    } finally {
      if (this.state === 'open') this.state = 'aborted';
      this.host.sessionEnded();
    }
  }

  /** Gives the session up: what it wrote is cut off and the medium ends as before it began. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    try {
      await this.restoreEnd();
    } finally {
      this.host.sessionEnded();
    }
  }

  /** Puts the medium back as it was before the session: its last session, then end-of-archive blocks. */
  private async restoreEnd(): Promise<void> {
    if (!this.truncated) return;
    await this.fh.truncate(this.opts.start);
    await this.fh.write(Buffer.alloc(EOA_BYTES), 0, EOA_BYTES, this.opts.start);
    await this.fh.datasync();
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new TapeError('invalid_argument', `The write session on ${this.host.barcode} is ${this.state}`);
  }
}
