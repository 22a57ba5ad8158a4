/**
 * A drive of the virtual library, held through the drive queue (drive-queue.ts): the DriveLease of
 * library.ts. Every operation checks the lease is still held; the changer's moves and the head's
 * position belong to the library (virtual-library.ts), which this reaches through `DriveHost`.
 */
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import type { Cartridge } from './cartridge.js';
import type { IndexedFile } from './cartridge-index.js';
import type { DriveGrant } from './drive-queue.js';
import type { DriveLease, TapeMedium, TapeWriteSession, WriteOptions } from './library.js';
import { TapeError } from './tape-error.js';

/** What a drive needs of its library. */
export interface DriveHost {
  loadedIn(drive: number): string | null;
  load(drive: number, barcode: string, signal?: AbortSignal): Promise<void>;
  unload(drive: number, signal?: AbortSignal): Promise<void>;
  medium(drive: number, signal?: AbortSignal): Promise<Cartridge>;
  /** Moves the head to `offset`, taking the simulated seek time. */
  seek(drive: number, offset: number, signal?: AbortSignal): Promise<void>;
  /** Records where the head is after reading or writing (no extra cost). */
  placeHead(drive: number, offset: number): void;
}

export class VirtualDriveLease implements DriveLease {
  private released = false;

  constructor(
    private readonly lib: DriveHost,
    private readonly grant: DriveGrant,
  ) {}

  get drive(): number {
    return this.grant.drive;
  }

  get owner(): string {
    return this.grant.owner;
  }

  private check(): void {
    if (this.released) throw new TapeError('invalid_argument', `The lease on drive ${this.drive} was released`);
  }

  loaded(): string | null {
    return this.lib.loadedIn(this.drive);
  }

  async load(barcode: string, signal?: AbortSignal): Promise<void> {
    this.check();
    await this.lib.load(this.drive, barcode, signal);
  }

  async unload(signal?: AbortSignal): Promise<void> {
    this.check();
    await this.lib.unload(this.drive, signal);
  }

  async medium(signal?: AbortSignal): Promise<TapeMedium> {
    this.check();
    return this.lib.medium(this.drive, signal);
  }

  async openWrite(o: WriteOptions = {}): Promise<TapeWriteSession> {
    this.check();
    const cart = await this.lib.medium(this.drive, o.signal);
    await this.lib.seek(this.drive, cart.usedBytes, o.signal);
    const session = await cart.beginSession(o);
    // Writing moves the head along: it ends where the session's bytes end.
    const lib = this.lib;
    const drive = this.drive;
    return {
      get sessionId() { return session.sessionId; },
      get written() { return session.written; },
      fits: (meta) => session.fits(meta),
      writeFile: async (meta, source, signal) => {
        try {
          return await session.writeFile(meta, source, signal);
        } finally {
          lib.placeHead(drive, session.position);
        }
      },
      close: async () => {
        try {
          return await session.close();
        } finally {
          lib.placeHead(drive, cart.usedBytes);
        }
      },
      abort: () => session.abort(),
    };
  }

  async openRead(offset: number, size: number, signal?: AbortSignal): Promise<Readable> {
    this.check();
    const cart = await this.lib.medium(this.drive, signal);
    await this.lib.seek(this.drive, offset, signal);
    const stream = cart.openRead(offset, size, signal);
    // Reading moves the head along with the data (no extra seek for the next file in tape order).
    this.lib.placeHead(this.drive, offset + size);
    return stream;
  }

  async verify(file: IndexedFile, algorithm: ChecksumAlgorithm, signal?: AbortSignal): Promise<void> {
    this.check();
    const cart = await this.lib.medium(this.drive, signal);
    await this.lib.seek(this.drive, file.offset, signal);
    await cart.verify(file, algorithm, signal);
    this.lib.placeHead(this.drive, file.offset + file.size);
  }

  async format(o: { overwrite: boolean; signal?: AbortSignal }): Promise<void> {
    this.check();
    const cart = await this.lib.medium(this.drive, o.signal);
    await this.lib.seek(this.drive, 0, o.signal);
    await cart.format(o);
  }

  release(): void {
    this.released = true;
    this.grant.release();
  }
}
