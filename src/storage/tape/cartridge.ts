/**
 * A virtual cartridge: one file holding a POSIX pax tar archive, written only at its end, one write
 * session after another (cartridge-session.ts), each closed by an index member (cartridge-index.ts).
 * Plain GNU `tar -tvf` lists what every session wrote and `tar -xf` restores it, without Barge.
 *
 * - Capacity is fixed per cartridge: a session never writes past `capacityBytes` (its own index and
 *   the end-of-archive blocks included).
 * - Write protection is the file's write permission bits (the cartridge's tab): a cartridge without any
 *   `w` bit is never opened for writing, whoever the process runs as.
 * - One write session at a time; reads go straight to the file (a drive serialises its users, see
 *   drive-queue.ts).
 */
import { constants } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createHasher, type ChecksumAlgorithm } from '../../lib/hashing.js';
import type { IndexedFile, SessionOnTape } from './cartridge-index.js';
import { indexReserve } from './cartridge-index.js';
import { scanCartridge } from './cartridge-scan.js';
import { WriteSession, type SessionHost } from './cartridge-session.js';
import { EOA_BYTES, memberHeaderBytes } from './tar-format.js';
import { TapeError, throwIfAborted } from './tape-error.js';

export interface CartridgeOptions {
  barcode: string;
  capacityBytes: number;
  now?: () => Date;
}

export interface BeginSessionOptions {
  algorithm?: ChecksumAlgorithm;
  signal?: AbortSignal;
  /** Bytes written to the medium, as they go. */
  onBytes?: (n: number) => void;
}

/** The smallest member a session could write (a one-letter name, no data): what "full" is measured with. */
function smallestSessionBytes(): number {
  return memberHeaderBytes({ path: 'x', size: 0, mtimeMs: 0, mode: 0o644 }) + indexReserve('.barge-index/session-000000-00000000.json', 512);
}

export class Cartridge {
  private scanned: SessionOnTape[];
  private endOffset: number;
  private torn: number;
  private writing = false;

  private constructor(
    readonly file: string,
    private readonly opts: CartridgeOptions,
    scan: { sessions: SessionOnTape[]; end: number; tornMembers: number },
  ) {
    this.scanned = scan.sessions;
    this.endOffset = scan.end;
    this.torn = scan.tornMembers;
  }

  /** Writes a blank, formatted cartridge (end-of-archive blocks only). Never replaces an existing file. */
  static async create(file: string): Promise<void> {
    const fh = await open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    try {
      await fh.write(Buffer.alloc(EOA_BYTES), 0, EOA_BYTES, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Opens a cartridge and finds its sessions (cartridge-scan.ts). */
  static async open(file: string, opts: CartridgeOptions, signal?: AbortSignal): Promise<Cartridge> {
    const fh = await open(file, 'r');
    try {
      return new Cartridge(file, opts, await scanCartridge(fh, opts.barcode, signal));
    } finally {
      await fh.close();
    }
  }

  /** Sets or clears the write-protect tab (the file's write bits). */
  static async setWriteProtected(file: string, on: boolean): Promise<void> {
    await chmod(file, on ? 0o444 : 0o644);
  }

  static async isWriteProtected(file: string): Promise<boolean> {
    return ((await stat(file)).mode & 0o222) === 0;
  }

  get barcode(): string {
    return this.opts.barcode;
  }

  get capacityBytes(): number {
    return this.opts.capacityBytes;
  }

  /** The complete sessions, oldest first. */
  get sessions(): readonly SessionOnTape[] {
    return this.scanned;
  }

  /** Bytes of complete sessions (where the next session starts). */
  get usedBytes(): number {
    return this.endOffset;
  }

  /** What a new session may still use (its index and the end-of-archive blocks included). */
  get freeBytes(): number {
    return Math.max(0, this.opts.capacityBytes - this.endOffset);
  }

  /** Members of a torn session after the last complete one (ignored; the next session starts over them). */
  get tornMembers(): number {
    return this.torn;
  }

  /** Whether not even an empty file fits any more. */
  get full(): boolean {
    return this.endOffset + smallestSessionBytes() > this.opts.capacityBytes;
  }

  /** The latest copy of `path` on this cartridge (a later session's wins), if any. */
  latest(path: string): { file: IndexedFile; session: SessionOnTape } | undefined {
    for (let i = this.scanned.length - 1; i >= 0; i--) {
      const s = this.scanned[i] as SessionOnTape;
      const f = s.index.files.find((x) => x.path === path);
      if (f) return { file: f, session: s };
    }
    return undefined;
  }

  /**
   * Opens a write session at the end of the medium. Refuses a write-protected cartridge
   * (`write_protected`), a full one (`cartridge_full`) and a second session at once.
   */
  async beginSession(o: BeginSessionOptions = {}): Promise<WriteSession> {
    throwIfAborted(o.signal);
    if (this.writing) throw new TapeError('invalid_argument', `A write session is already open on ${this.barcode}`);
    if (await Cartridge.isWriteProtected(this.file)) throw new TapeError('write_protected', `Cartridge ${this.barcode} is write-protected`);
    if (this.full) throw new TapeError('cartridge_full', `Cartridge ${this.barcode} is full (${this.endOffset} of ${this.opts.capacityBytes} bytes used)`);
    const fh = await open(this.file, 'r+');
    this.writing = true;
    const host: SessionHost = {
      barcode: this.barcode,
      capacityBytes: this.opts.capacityBytes,
      sessionClosed: (s) => {
        this.scanned = [...this.scanned, s];
        this.endOffset = s.end;
        this.torn = 0;
      },
      sessionEnded: () => {
        this.writing = false;
        void fh.close().catch(() => undefined);
      },
    };
    const last = this.scanned[this.scanned.length - 1];
    return new WriteSession(fh, host, {
      algorithm: o.algorithm ?? 'xxhash64', session: (last?.index.session ?? 0) + 1, start: this.endOffset,
      now: this.opts.now ?? (() => new Date()), onBytes: o.onBytes,
    });
  }

  /** The bytes of a file at `offset` (from an index), as a stream. */
  openRead(offset: number, size: number, signal?: AbortSignal): Readable {
    throwIfAborted(signal);
    if (offset < 0 || size < 0 || offset + size > this.endOffset) throw new TapeError('invalid_argument', `Range ${offset}+${size} is outside the sessions of ${this.barcode}`);
    if (size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: offset, end: offset + size - 1, signal, highWaterMark: 1024 * 1024 });
  }

  /** Reads a file back and compares it with the checksum of its index (`checksum_mismatch` otherwise). */
  async verify(f: IndexedFile, algorithm: ChecksumAlgorithm, signal?: AbortSignal): Promise<void> {
    const h = await createHasher(algorithm);
    for await (const chunk of this.openRead(f.offset, f.size, signal)) h.update(chunk as Buffer);
    const got = h.digest();
    if (got !== f.checksum) throw new TapeError('checksum_mismatch', `${f.path} on ${this.barcode}: read ${got}, written ${f.checksum}`);
  }

  /**
   * Erases the cartridge (a blank, formatted medium). One that holds sessions needs `overwrite`
   * (`holds_data` otherwise); a write-protected one is refused.
   */
  async format(o: { overwrite: boolean }): Promise<void> {
    if (this.writing) throw new TapeError('invalid_argument', `A write session is open on ${this.barcode}`);
    if (await Cartridge.isWriteProtected(this.file)) throw new TapeError('write_protected', `Cartridge ${this.barcode} is write-protected`);
    if (this.scanned.length > 0 && !o.overwrite) throw new TapeError('holds_data', `Cartridge ${this.barcode} holds ${this.scanned.length} session(s): formatting it needs overwrite`);
    const fh = await open(this.file, 'r+');
    try {
      await fh.truncate(0);
      await fh.write(Buffer.alloc(EOA_BYTES), 0, EOA_BYTES, 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.scanned = [];
    this.endOffset = 0;
    this.torn = 0;
  }
}
