/**
 * `check_consistency` on tape (issue #12): re-read files from their cartridges and compare each with
 * the checksum the catalog recorded when it was written. The files are those of a tape pool at the
 * task's node paths (`/`: all) or every file of the cartridges of `options.barcodes` — every copy the
 * catalog has, not only the latest, since an older copy may be the one a restore needs. Each
 * library's cartridges go through one drive, each loaded once and read in offset order (tape
 * order). A mismatch or a file that cannot be read is a failed ledger row with a stable error class
 * (`checksum_mismatch`, `io`, `offline`, `not_found`…); the others are done. Nothing is changed.
 */
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { TapeFileRow } from '../../store/schema.js';
import { DriveHold } from './drive-hold.js';
import type { TapeLibraries } from './tape-libraries.js';
import type { TapeRunState } from './tape-parts.js';

/** A catalogued copy to check, with its cartridge. */
type Copy = TapeFileRow & { barcode: string; tape_library_id: string };

const keyOf = (c: Copy) => `v:${c.barcode}:${c.session_no}:${c.path}`;
const srcOf = (c: Copy) => `${c.barcode}:${c.path}`;
const under = (path: string, roots: string[]) => roots.some((r) => r === '' || path === r || path.startsWith(`${r}/`));

/** What the task names: a tape pool and its member paths, and/or cartridges. */
export interface VerifyTask {
  poolId?: string;
  /** Member paths (relative, `''` for all) under which files are checked. */
  paths: string[];
  barcodes?: string[];
}

export class TapeVerify {
  private copies: Copy[] = [];

  constructor(
    private readonly run: TapeRunState,
    private readonly libraries: TapeLibraries,
    private readonly task: VerifyTask,
  ) {}

  private get store() {
    return this.run.store;
  }

  /** The copies to check, minus those the ledger has (a resumed run); returns the execution's todo. */
  async prepare(): Promise<{ files: number; bytes: number }> {
    let all: Copy[] = [];
    if (this.task.barcodes) {
      for (const barcode of this.task.barcodes) {
        const tape = await this.store.tapes.findTapeByBarcode(barcode);
        if (!tape) {
          await this.run.failed(`v:${barcode}`, barcode, null, 0, 'not_found', `no cartridge ${barcode} in any tape library`);
          continue;
        }
        if (this.task.poolId && tape.pool_id !== this.task.poolId) continue;
        for (let after = -1; ;) {
          const page = await this.store.files.onTape(tape.id, 1000, after);
          all.push(...page.map((r) => ({ ...r, barcode: tape.barcode, tape_library_id: tape.tape_library_id })));
          if (page.length < 1000) break;
          after = Number(page[page.length - 1]!.data_offset);
        }
      }
      all = all.filter((c) => under(c.path, this.task.paths));
    } else if (this.task.poolId) {
      all = await this.store.files.inPool(this.task.poolId, this.task.paths);
    }
    const ledger = await this.store.ledger.forKeys(this.run.ctx.id, all.map(keyOf));
    this.run.resumeFrom(ledger.values());
    this.copies = all.filter((c) => !['done', 'failed'].includes(ledger.get(keyOf(c))?.status ?? ''));
    return { files: all.length, bytes: all.reduce((a, c) => a + Number(c.size), 0) };
  }

  /** Checks library by library, cartridge by cartridge in tape order; false when a stop cut it short. */
  async perform(): Promise<boolean> {
    const byLibrary = new Map<string, Map<string, Copy[]>>();
    for (const c of [...this.copies].sort((a, b) => Number(a.data_offset) - Number(b.data_offset))) {
      const lib = byLibrary.get(c.tape_library_id) ?? new Map<string, Copy[]>();
      lib.set(c.barcode, [...(lib.get(c.barcode) ?? []), c]);
      byLibrary.set(c.tape_library_id, lib);
    }
    for (const [libraryId, cartridges] of byLibrary) {
      const row = await this.store.tapes.findLibrary(libraryId);
      if (!row) {
        for (const list of cartridges.values()) for (const c of list) await this.fail(c, 'not_found', 'its tape library no longer exists');
        continue;
      }
      const lib = await this.libraries.library(row);
      const hold = await DriveHold.acquire(lib, row, { executionId: this.run.ctx.id, taskId: this.run.ctx.taskId }, { tapes: this.store.tapes, clock: this.store.clock, note: (l) => this.run.note(l) }, this.run.signal);
      try {
        for (const barcode of [...cartridges.keys()].sort()) {
          if (!(await this.cartridge(hold, barcode, cartridges.get(barcode) as Copy[]))) return false;
        }
      } finally {
        await hold.release();
      }
    }
    await this.run.flush();
    return true;
  }

  /** One cartridge: loaded once, its files read in offset order. False when a stop cut it short. */
  private async cartridge(hold: DriveHold, barcode: string, list: Copy[]): Promise<boolean> {
    const st = await hold.library.cartridge(barcode).catch(() => undefined);
    if (!st || st.location.kind === 'offline' || st.location.kind === 'mailslot') {
      const why = !st ? 'is not in the library' : st.location.kind === 'offline' ? 'is ejected (out of the library)' : 'is in a mailslot';
      for (const c of list) await this.fail(c, 'offline', `${barcode} ${why}; it cannot be read`);
      await this.run.note(`check of ${barcode}: ${list.length} file(s) not read, the cartridge ${why}`);
      return true;
    }
    try {
      await hold.load(barcode, this.run.signal);
    } catch (err) {
      if (this.run.signal.aborted) throw err;
      const code = err instanceof TapeError ? err.code : 'io';
      for (const c of list) await this.fail(c, code, `${barcode} could not be loaded: ${(err as Error).message}`);
      return true;
    }
    let bad = 0;
    let n = 0;
    for (const c of list) {
      if ((await this.run.gate()) === 'stop') return false;
      try {
        await hold.lease.verify({ path: c.path, offset: Number(c.data_offset), header_offset: Number(c.header_offset), size: Number(c.size), checksum: c.checksum, mtime_ms: Number(c.mtime_ms), mode: Number(c.mode ?? 0o644), uid: null, gid: null }, c.algorithm as ChecksumAlgorithm, this.run.signal);
        await this.run.done([{ key: keyOf(c), src: srcOf(c), dst: srcOf(c), size: Number(c.size), checksum: c.checksum }]);
      } catch (err) {
        if (this.run.signal.aborted) throw err;
        bad += 1;
        await this.fail(c, err instanceof TapeError ? err.code : 'io', (err as Error).message);
      }
      if (++n % 64 === 0) await this.run.flush();
    }
    await this.run.note(`check of ${barcode}: ${list.length} file(s) read, ${bad === 0 ? 'all match their checksums' : `${bad} failed`}`);
    return true;
  }

  private async fail(c: Copy, code: string, message: string): Promise<void> {
    await this.run.failed(keyOf(c), srcOf(c), null, Number(c.size), code, `${c.path} on ${c.barcode} (session ${c.session_no}): ${message}`);
  }
}
