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
import type { TapeRunState } from './tape-parts.js';

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

export class TapeRestore {
  constructor(
    private readonly run: TapeRunState,
    private readonly hold: DriveHold,
    private readonly dest: StorageDriver,
  ) {}

  /** Restores `files` (sorted here in tape order). Returns false when a stop ended it early. */
  async restore(files: RestoreFile[]): Promise<boolean> {
    const ordered = [...files].sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : a.offset - b.offset));
    let n = 0;
    for (const f of ordered) {
      if ((await this.run.gate()) === 'stop') return false;
      try {
        await this.hold.load(f.barcode, this.run.signal);
        await this.one(f);
        await this.run.done([{ key: f.key, src: `${f.barcode}:${f.member}`, dst: f.dst, size: f.size, checksum: f.checksum }]);
      } catch (err) {
        if (this.run.signal.aborted) throw err;
        const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'io';
        await this.run.failed(f.key, `${f.barcode}:${f.member}`, f.dst, f.size, code, `${f.member} from ${f.barcode}: ${(err as Error).message}`);
      }
      if (++n % 64 === 0) await this.run.flush();
    }
    await this.run.flush();
    return true;
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
