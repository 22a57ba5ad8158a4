/**
 * Restore: files of a tape pool, by path, written to a NAS or S3 destination. The catalog
 * (`tape_files`) says where each file is; the files are grouped by cartridge and each cartridge is
 * loaded once and read in offset order (tape order: the head only moves forward). Each file is read
 * at its offset, hashed as it streams into the destination driver's atomic writer, and published only
 * when the digest equals the checksum recorded at archive time (`checksum_mismatch` otherwise:
 * nothing is published).
 */
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHasher, type ChecksumAlgorithm } from '../../lib/hashing.js';
import type { StorageDriver } from '../../storage/driver.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { DriveHold } from './drive-hold.js';
import type { Park, TapeRunState } from './tape-parts.js';
import { SecondaryCopies } from './secondary-copies.js';

/** A file to bring back: where it is on tape and where it goes. */
export interface RestoreFile {
  key: string;
  barcode: string;
  member: string;
  dst: string;
  offset: number;
  size: number;
  checksum: string;
  algorithm: string;
  mtimeMs: number;
  mode: number | null;
}

/** How long a restore waits for a cartridge in another drive before it looks again (a robot move wakes it sooner). */
const CARTRIDGE_WAIT_MS = 1000;

export class TapeRestore {
  constructor(
    private readonly run: TapeRunState,
    private readonly hold: DriveHold,
    private readonly dest: StorageDriver,
  ) {}

  /**
   * Restores `files`, one cartridge at a time, each read in tape order. A cartridge another
   * execution has in its drive is left for later; when every cartridge left is in such a drive, the
   * run gives its own drive up (the other run may be waiting for it) and waits, saying for which cartridge
   * and whose drive, until a robot move frees one. Paused, it frees its drive; resumed, it queues
   * again and carries on with the files not done. Returns false when a stop ended it early.
   */
  async restore(wanted: RestoreFile[]): Promise<boolean> {
    // Files on a cartridge out of the library are read from a secondary copy (secondary-copies.ts).
    const copies = new SecondaryCopies(this.run.store, (l) => this.run.note(l));
    const files = await copies.resolve(wanted);
    const tried = new Map<string, Set<string>>();
    const groups = new Map<string, RestoreFile[]>();
    for (const f of [...files].sort((a, b) => a.offset - b.offset)) groups.set(f.barcode, [...(groups.get(f.barcode) ?? []), f]);
    const park = {
      pause: async () => {
        await this.accountReads();
        await this.hold.suspend();
      },
      resume: async () => void (await this.hold.ensure(this.run.signal)),
    };
    try {
      return await this.restoreGroups(groups, park, copies, tried);
    } finally {
      await this.accountReads().catch(() => undefined);
    }
  }

  /** The restore's loop: cartridge after cartridge (see restore), each file read, or read again from a secondary copy. */
  private async restoreGroups(groups: Map<string, RestoreFile[]>, park: Park, copies: SecondaryCopies, tried: Map<string, Set<string>>): Promise<boolean> {
    const waitedFor = new Set<string>();
    let n = 0;
    while (groups.size > 0) {
      if ((await this.run.gate(park)) === 'stop') return false;
      const barcode = await this.nextCartridge([...groups.keys()].sort(), waitedFor);
      if (barcode === undefined) continue;
      const group = groups.get(barcode) as RestoreFile[];
      while (group.length > 0) {
        if ((await this.run.gate(park)) === 'stop') return false;
        const f = group[0] as RestoreFile;
        let unloadable: unknown;
        try {
          await this.hold.load(f.barcode, this.run.signal);
        } catch (err) {
          if (this.run.signal.aborted) throw err;
          // Taken by another execution's drive while this run was paused: back to choosing a cartridge.
          if (err instanceof TapeError && err.code === 'drive_busy' && (await this.hold.inOtherDrive(f.barcode))) break;
          unloadable = err;
        }
        group.shift();
        try {
          if (unloadable !== undefined) throw unloadable;
          await this.one(f);
          this.read(f.barcode, f.size);
          await this.run.done([{ key: f.key, src: `${f.barcode}:${f.member}`, dst: f.dst, size: f.size, checksum: f.checksum }]);
        } catch (err) {
          if (this.run.signal.aborted) throw err;
          const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'io';
          const seen = tried.get(f.key) ?? new Set<string>();
          tried.set(f.key, seen.add(f.barcode));
          const alt = await copies.instead(f, code, seen);
          // Unreadable here: read again from a secondary copy, with that cartridge's files.
          if (alt) groups.set(alt.barcode, [...(groups.get(alt.barcode) ?? []), alt].sort((a, b) => a.offset - b.offset));
          else await this.run.failed(f.key, `${f.barcode}:${f.member}`, f.dst, f.size, code, `${f.member} from ${f.barcode}: ${(err as Error).message}`);
        }
        if (++n % 64 === 0) await this.run.flush();
      }
      await this.accountReads();
      if (group.length === 0) groups.delete(barcode);
    }
    await this.run.flush();
    return true;
  }

  /**
   * The cartridge to read next: the loaded one if it has files left, else the first not in another
   * execution's drive. Undefined after waiting (drive given up, a robot move or a second at most) when
   * every one left is in such a drive; each cartridge waited for is named once in the log.
   */
  private async nextCartridge(barcodes: string[], waitedFor: Set<string>): Promise<string | undefined> {
    const loaded = this.hold.held ? this.hold.lease.loaded() : null;
    if (loaded !== null && barcodes.includes(loaded)) return loaded;
    const busy = [];
    for (const b of barcodes) {
      const at = await this.hold.inOtherDrive(b);
      if (!at) return b;
      busy.push(at);
    }
    for (const at of busy) {
      if (waitedFor.has(at.barcode)) continue;
      waitedFor.add(at.barcode);
      await this.run.note(`waiting for cartridge ${at.barcode}: it is in drive ${at.drive}, used by execution ${at.holder ?? '(none)'}`);
    }
    // Wait holding no drive: the other run may be waiting for this one's cartridge or drive.
    await this.hold.suspend();
    await this.hold.library.waitForChange(CARTRIDGE_WAIT_MS, this.run.signal);
    return undefined;
  }

  /** Bytes read since the last accountReads, by cartridge and by drive (the drive they were read in). */
  private readonly reads = { tapes: new Map<string, number>(), drives: new Map<number, number>() };

  private read(barcode: string, bytes: number): void {
    this.reads.tapes.set(barcode, (this.reads.tapes.get(barcode) ?? 0) + bytes);
    this.reads.drives.set(this.hold.drive, (this.reads.drives.get(this.hold.drive) ?? 0) + bytes);
  }

  /** Adds the bytes read to the cartridges' and drives' counters (`bytes_read`, /tape_stats' lifetime_mbytes_read). */
  private async accountReads(): Promise<void> {
    const { tapes, clock } = this.run.store;
    const now = clock.now().toISOString();
    for (const [barcode, bytes] of this.reads.tapes) {
      const t = await tapes.findTapeByBarcode(barcode);
      if (t) await tapes.updateTape(t.id, { bytes_read: Number(t.bytes_read) + bytes, updated_at: now });
    }
    for (const [drive, bytes] of this.reads.drives) await tapes.addDriveCounters(this.hold.libraryId, drive, { read: bytes }, undefined, now);
    this.reads.tapes.clear();
    this.reads.drives.clear();
  }

  private async one(f: RestoreFile): Promise<void> {
    const signal = this.run.signal;
    const hasher = await createHasher(f.algorithm as ChecksumAlgorithm);
    const hash = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hasher.update(chunk);
        cb(null, chunk);
      },
    });
    const writer = await this.dest.openWrite(f.dst, { size: f.size, mtimeMs: f.mtimeMs, ...(f.mode !== null && this.dest.features.permissions ? { mode: f.mode } : {}), signal });
    try {
      const stream = await this.hold.lease.openRead(f.offset, f.size, signal);
      await pipeline(stream, hash, writer.stream, { signal });
      const digest = hasher.digest();
      if (digest !== f.checksum) throw new TapeError('checksum_mismatch', `read ${digest}, ${f.checksum} recorded when it was archived`);
    } catch (err) {
      await writer.abort(err).catch(() => undefined);
      throw err;
    }
    await writer.commit();
  }
}
