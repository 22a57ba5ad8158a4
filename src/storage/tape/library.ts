/**
 * The tape library contract: a changer (slots, drives, mailslots, a robot that moves cartridges
 * between them) and its drives (each reads and writes the cartridge it holds). Barge's virtual
 * library (virtual-library.ts) implements it over files; a real backend implements the same
 * interface over Debian's `mtx` (the changer, on the library's SCSI generic device) and `mt-st` (each
 * drive's non-rewinding device, `/dev/nstN`). What a backend must guarantee:
 *
 * Changer
 * - `inventory()` is what the hardware reports now (`mtx status`: storage elements, data transfer
 *   elements, import/export elements, with barcodes). The store mirrors it; after a crash the
 *   store is reconciled from here, never the other way round.
 * - Moves are serialised (one robot) and each takes its mechanical time (`load_seconds` in the
 *   virtual library). A move a library cannot make fails with a TapeError code and moves nothing:
 *   `drive_busy` (the target drive is full, or the cartridge is in a drive), `no_free_slot`,
 *   `wrong_location` (a load from a mailslot, an eject from a slot), `offline` (ejected),
 *   `not_found`.
 * - `eject` takes a cartridge that is in a mailslot out of the library (an operator removed it): it
 *   is then offline and cannot be loaded until imported again.
 * - `setWriteProtected` is the cartridge's tab. A real library cannot flip it by itself: a real backend
 *   may refuse (`invalid_argument`) and report the tab (`mt status` WR_PROT) through `cartridge()`.
 *
 * Drives
 * - A drive holds one cartridge and serves one user at a time: `acquireDrive` queues callers first
 *   come first served (drive-queue.ts) and honours their AbortSignal; only the holder of a drive's
 *   lease may load, unload, read, write or format through it, and `release()` frees it for the next.
 * - Media are sequential: a read at an offset costs a seek from where the head is (the virtual library
 *   charges `seek_mb_per_second`; a real drive positions with `mt seek`/`mtx`-independent SCSI LOCATE).
 *   Callers that read many files sort them by offset (tape order) so the head only moves forward.
 * - Writing appends write sessions at the end of the medium in the format of cartridge.ts (pax tar
 *   members, then the session's index member, synced before the session counts): a real backend writes
 *   the same bytes to the non-rewinding device, so a cartridge moved between the virtual library and a
 *   real one (or read with `tar -tvf /dev/nst0`) means the same. A write-protected, ejected or full
 *   cartridge is never opened for writing (`write_protected`, `offline`, `cartridge_full`).
 * - `format` erases a cartridge; one that holds sessions needs `overwrite` (`holds_data`).
 */
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import type { IndexedFile, SessionOnTape } from './cartridge-index.js';
import type { Fit, TapeFileMeta } from './cartridge-session.js';
import type { AcquireOptions } from './drive-queue.js';

export type { AcquireOptions } from './drive-queue.js';
export type { Fit, TapeFileMeta } from './cartridge-session.js';
export type { IndexedFile, SessionIndex, SessionOnTape } from './cartridge-index.js';

/** Where a cartridge is: in a storage slot, a drive, a mailslot (import/export element) — or out of the library. */
export type CartridgeLocation = { kind: 'slot' | 'drive' | 'mailslot'; index: number } | { kind: 'offline' };

/** The elements of a library and the barcode each holds (null: empty). */
export interface LibraryInventory {
  slots: Array<string | null>;
  drives: Array<string | null>;
  mailslots: Array<string | null>;
  /** Cartridges taken out of the library (ejected), known by barcode. */
  offline: string[];
}

export interface CartridgeStatus {
  barcode: string;
  location: CartridgeLocation;
  writeProtected: boolean;
  capacityBytes: number;
  /** Loads into a drive since the cartridge entered the library. */
  mounts: number;
}

/** What a loaded cartridge holds: its complete sessions and its room (a scan of the medium). */
export interface TapeMedium {
  readonly barcode: string;
  readonly capacityBytes: number;
  readonly sessions: readonly SessionOnTape[];
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly full: boolean;
  /** Members of a torn session after the last complete one (ignored; the next session starts over them). */
  readonly tornMembers: number;
  latest(path: string): { file: IndexedFile; session: SessionOnTape } | undefined;
}

/** An open write session on a loaded cartridge (cartridge-session.ts). */
export interface TapeWriteSession {
  readonly sessionId: string;
  readonly written: readonly IndexedFile[];
  fits(meta: TapeFileMeta): Fit;
  writeFile(meta: TapeFileMeta, source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, signal?: AbortSignal): Promise<IndexedFile>;
  close(): Promise<SessionOnTape | undefined>;
  abort(): Promise<void>;
}

export interface WriteOptions {
  algorithm?: ChecksumAlgorithm;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** A drive held by one user (see acquireDrive). Every method but `release` fails once released. */
export interface DriveLease {
  readonly drive: number;
  readonly owner: string;
  /** The barcode of the cartridge in the drive, or null. */
  loaded(): string | null;
  /** Moves a cartridge from its slot into this (empty) drive. */
  load(barcode: string, signal?: AbortSignal): Promise<void>;
  /** Moves the drive's cartridge back to its home slot (or the first free one). */
  unload(signal?: AbortSignal): Promise<void>;
  /** The loaded cartridge's content (`not_loaded` when empty). */
  medium(signal?: AbortSignal): Promise<TapeMedium>;
  openWrite(o?: WriteOptions): Promise<TapeWriteSession>;
  /** The bytes at `offset`, after seeking there. */
  openRead(offset: number, size: number, signal?: AbortSignal): Promise<Readable>;
  /** Reads a file back and compares it with its recorded checksum. */
  verify(file: IndexedFile, algorithm: ChecksumAlgorithm, signal?: AbortSignal): Promise<void>;
  format(o: { overwrite: boolean; signal?: AbortSignal }): Promise<void>;
  release(): void;
}

export interface TapeLibrary {
  /** Number of drives. */
  readonly drives: number;
  inventory(): Promise<LibraryInventory>;
  cartridge(barcode: string): Promise<CartridgeStatus>;
  /** Who holds each drive now (an owner, or undefined), and who waits. */
  driveUsers(): { holders: Array<string | undefined>; waiting: Array<{ owner: string; drive: number | undefined }> };
  acquireDrive(o: AcquireOptions): Promise<DriveLease>;
  /**
   * Resolves at the next robot move or drive release of this library, or after `ms` at the latest
   * (the signal ends the wait early, without throwing). Why: a run that waits for a cartridge another
   * execution has in its drive carries on as soon as that one unloads it, without polling the changer
   * in a tight loop. A backend that cannot observe moves may simply wait `ms`.
   */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void>;
  /** Slot → a free mailslot; returns the mailslot's index. */
  moveToMailslot(barcode: string, signal?: AbortSignal): Promise<number>;
  /** Mailslot → out of the library (offline). */
  eject(barcode: string): Promise<void>;
  /** Offline or mailslot → a free slot (its home slot when free); returns the slot's index. */
  importCartridge(barcode: string, signal?: AbortSignal): Promise<number>;
  setWriteProtected(barcode: string, on: boolean): Promise<void>;
}
