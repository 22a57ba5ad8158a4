/**
 * Archive: files of a NAS or S3 source written to the cartridges of a tape pool through one drive.
 * Each batch is one write session; the session's close (its index synced on the medium) is the
 * commit point — only then are its `tape_files` rows, the tape's counters and the ledger rows
 * written, so a `kill -9` before it leaves a torn session that the next session overwrites and the
 * batch is written again: no file is ever in two indexes. A file that does not fit on the cartridge
 * closes the session and goes whole to the next cartridge of the pool (cartridge-choice.ts); one
 * larger than a cartridge fails (`too_large`). A move removes each source after its commit.
 */
import type { StorageDriver } from '../../storage/driver.js';
import type { TapeWriteSession } from '../../storage/tape/library.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import type { TapeRow } from '../../store/schema.js';
import type { BusyCartridge, DriveHold } from './drive-hold.js';
import { noCartridgeReason, writableCartridges } from './cartridge-choice.js';
import type { TapeRunState } from './tape-parts.js';

/** A source file and the member name it gets on tape. */
export interface ArchiveFile {
  key: string;
  src: string;
  member: string;
  size: number;
  mtimeMs: number;
  mode: number;
  uid?: number;
  gid?: number;
}

/** Codes meaning "this cartridge cannot be written now": try the next one of the pool. */
const PICK_ANOTHER = new Set(['write_protected', 'offline', 'cartridge_full', 'wrong_location', 'not_found', 'no_space', 'drive_busy']);

/** How long an archive waits for a writable cartridge in another drive before it looks again (a robot move wakes it sooner). */
const CARTRIDGE_WAIT_MS = 1000;

/** No cartridge of the pool can be written: the archive cannot go on. */
export class NoCartridgeError extends Error {}

interface Written { file: ArchiveFile; checksum: string }

export class TapeArchive {
  private session: TapeWriteSession | undefined;
  private tape: TapeRow | undefined;
  private pending: Written[] = [];
  private readonly tried = new Set<string>();
  /** What a pause gives up (see TapeRunState.gate): the open session is committed and the drive freed; resumed, a drive is queued for again. */
  private readonly park = {
    pause: async () => {
      await this.commit();
      await this.hold.suspend();
    },
    resume: async () => void (await this.hold.ensure(this.run.signal)),
  };

  constructor(
    private readonly run: TapeRunState,
    private readonly hold: DriveHold,
    private readonly source: StorageDriver,
    private readonly pool: { id: string; libraryId: string },
    private readonly o: { algorithm: ChecksumAlgorithm; move: boolean; batchFiles: number; batchBytes: number },
  ) {}

  /**
   * Writes `files` in order as they come (the walk feeds them: nothing is listed whole first), a
   * session per batch of ≤ batchFiles files / batchBytes bytes. Paused, it commits the open session
   * and frees its drive; resumed, it queues for a drive again and goes on with the next file. Stopped,
   * it commits what is written. Returns false when a stop ended it early.
   */
  async archive(files: AsyncIterable<ArchiveFile> | Iterable<ArchiveFile>): Promise<boolean> {
    try {
      for await (const f of files) {
        if ((await this.run.gate(this.park)) === 'stop') {
          await this.commit();
          return false;
        }
        const bytes = this.pending.reduce((a, w) => a + w.file.size, 0);
        if (this.pending.length >= this.o.batchFiles || (this.pending.length > 0 && bytes + f.size > this.o.batchBytes)) await this.commit();
        await this.writeOne(f);
      }
      await this.commit();
      await this.run.flush();
      return true;
    } finally {
      if (this.session) await this.session.abort().catch(() => undefined);
      this.session = undefined;
    }
  }

  private async writeOne(f: ArchiveFile): Promise<void> {
    const meta = { path: f.member, size: f.size, mtimeMs: f.mtimeMs, mode: f.mode, uid: f.uid, gid: f.gid };
    for (;;) {
      const session = await this.openSession();
      if (!session) return; // stopped while waiting for a cartridge: this file is not written (nor counted)
      const fit = session.fits(meta);
      if (fit === 'too_large') {
        await this.run.failed(f.key, f.src, null, f.size, 'too_large', `${f.src} (${f.size} bytes) is larger than a cartridge of the pool can hold`);
        return;
      }
      if (fit === 'no_space') {
        // Whole to the next cartridge: this session ends here (committed), the cartridge is not tried again.
        await this.commit();
        if (this.tape) this.tried.add(this.tape.barcode);
        continue;
      }
      try {
        const stream = await this.source.openRead(f.src, { signal: this.run.signal });
        const written = await session.writeFile(meta, stream, this.run.signal);
        this.pending.push({ file: f, checksum: written.checksum });
      } catch (err) {
        if (this.run.signal.aborted) throw err;
        const code = err instanceof TapeError || typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'io';
        await this.run.failed(f.key, f.src, null, f.size, code, `${f.src}: ${(err as Error).message}`);
      }
      return;
    }
  }

  /**
   * The open session, or a new one on the loaded cartridge or the next writable one of the pool. A
   * cartridge in another execution's drive is passed over for another one; when only such cartridges
   * are left, the run waits (saying for which and whose drive) until a robot move frees one.
   */
  private async openSession(): Promise<TapeWriteSession | undefined> {
    if (this.session) return this.session;
    const waitedFor = new Set<string>();
    for (;;) {
      const tapes = (await this.run.store.tapes.poolTapes(this.pool.id)).filter((t) => t.tape_library_id === this.pool.libraryId);
      const loaded = this.hold.held ? this.hold.lease.loaded() : null;
      const candidates = writableCartridges(tapes, this.tried);
      if (candidates.length === 0) throw new NoCartridgeError(noCartridgeReason(tapes));
      // Keep writing to the loaded cartridge while it can take files (saves a robot move).
      let next = candidates.find((t) => t.barcode === loaded);
      const busy: BusyCartridge[] = [];
      for (const t of next ? [] : candidates) {
        const at = await this.hold.inOtherDrive(t.barcode);
        if (!at) {
          next = t;
          break;
        }
        busy.push(at);
      }
      if (!next) {
        for (const at of busy.filter((b) => !waitedFor.has(b.barcode))) {
          waitedFor.add(at.barcode);
          await this.run.note(`waiting for a writable cartridge: ${at.barcode} is in drive ${at.drive}, used by execution ${at.holder ?? '(none)'}`);
        }
        // Wait holding no drive: a run waiting for a cartridge never holds what another run may wait for.
        await this.hold.suspend();
        await this.hold.library.waitForChange(CARTRIDGE_WAIT_MS, this.run.signal);
        if ((await this.run.gate(this.park)) === 'stop') return undefined;
        continue;
      }
      try {
        await this.hold.load(next.barcode, this.run.signal);
        this.session = await this.hold.lease.openWrite({ algorithm: this.o.algorithm, signal: this.run.signal });
        this.tape = next;
        return this.session;
      } catch (err) {
        if (this.run.signal.aborted || !(err instanceof TapeError) || !PICK_ANOTHER.has(err.code)) throw err;
        if (err.code === 'drive_busy' && (await this.hold.inOtherDrive(next.barcode))) continue; // loaded by another run meanwhile: choose again
        this.tried.add(next.barcode);
        await this.run.note(`cartridge ${next.barcode} not written: ${err.message}`);
      }
    }
  }

  /** Closes the session (the commit point), then records its files on tape and in the ledger. */
  private async commit(): Promise<void> {
    const session = this.session;
    const tape = this.tape;
    this.session = undefined;
    const pending = this.pending;
    this.pending = [];
    if (!session || !tape) return;
    const closed = await session.close();
    if (!closed) return;
    const { store } = this.run;
    const now = store.clock.now().toISOString();
    await store.files.recordSession(closed.index.files.map((f) => ({
      tape_id: tape.id, session_no: closed.index.session, path: f.path, data_offset: f.offset, header_offset: f.header_offset, size: f.size,
      checksum: f.checksum, algorithm: closed.index.algorithm, mtime_ms: f.mtime_ms, mode: f.mode, execution_id: this.run.ctx.id, recorded_at: now,
    })));
    const medium = await this.hold.lease.medium(this.run.signal);
    const written = closed.end - closed.index.start;
    const current = await store.tapes.findTapeByBarcode(tape.barcode);
    await store.tapes.updateTape(tape.id, {
      used_bytes: medium.usedBytes, free_bytes: medium.freeBytes, sessions: medium.sessions.length, scratch: 0, last_size_update: now, updated_at: now,
      bytes_written: Number(current?.bytes_written ?? 0) + written,
    });
    await store.tapes.addDriveCounters(this.pool.libraryId, this.hold.drive, { written }, undefined, now);
    const rows = pending.map((w) => ({ key: w.file.key, src: w.file.src, dst: `${tape.barcode}:${w.file.member}`, size: w.file.size, checksum: w.checksum }));
    if (!this.o.move) {
      await this.run.done(rows);
      await this.run.flush(); // each commit shows in the execution's counters
      return;
    }
    await this.run.done(rows, 'copied');
    for (const r of rows) {
      try {
        await this.source.remove(r.src, { signal: this.run.signal });
        await this.run.done([r]);
      } catch (err) {
        if (this.run.signal.aborted) throw err;
        await this.run.failed(r.key, r.src, r.dst, r.size, 'remove', `archived to ${r.dst} but the source could not be removed: ${(err as Error).message}`);
      }
    }
    await this.run.flush();
  }
}
