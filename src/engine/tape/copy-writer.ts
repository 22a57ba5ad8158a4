/**
 * The writing half of a duplication: files of one source cartridge written into write sessions on
 * cartridges of the destination tape pool (the same pax tar members and session index as an archive:
 * cartridge-session.ts), each a **secondary copy** of that source — the target's `secondary_of`
 * names it. A target only ever holds copies of one source cartridge (a blank cartridge, or one that
 * already holds copies of it), so `secondary_of` says exactly which cartridge it can stand in for.
 *
 * Commit point: `session.close()` (the index synced on the target). Only then are the copies'
 * `tape_files` rows, the target's row and the ledger written — a `kill -9` before leaves a torn
 * session that the next one overwrites, and those files are copied again: never twice in an index.
 * A session also ends when a file does not fit (the rest spills whole to the next target), when the
 * checksum algorithm of the source files changes (a session has one), and when a path comes again
 * (a cartridge may hold a path in several sessions; a session holds it once).
 */
import type { Readable } from 'node:stream';
import type { TapeWriteSession } from '../../storage/tape/library.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { ChecksumAlgorithm } from '../../lib/hashing.js';
import type { TapeFileRow, TapeRow } from '../../store/schema.js';
import type { DriveHold } from './drive-hold.js';
import { unwritable } from './cartridge-choice.js';
import { NoCartridgeError } from './tape-archive.js';
import type { TapeRunState } from './tape-parts.js';

/** A file of the source cartridge to copy: its catalog row, and the tar metadata it had on the source. */
export interface CopyFile {
  key: string;
  row: TapeFileRow;
  uid: number | null;
  gid: number | null;
}

/** Codes meaning "this target cannot be written now": try the next one of the pool. */
const PICK_ANOTHER = new Set(['write_protected', 'offline', 'cartridge_full', 'wrong_location', 'not_found', 'no_space', 'drive_busy']);

interface Written { file: CopyFile; checksum: string }

export class CopyWriter {
  private session: TapeWriteSession | undefined;
  private algorithm: string | undefined;
  private tape: TapeRow | undefined;
  private pending: Written[] = [];
  private pendingBytes = 0;
  private readonly tried = new Set<string>();
  /** Bytes read from the source since the last commit (its drive's and cartridge's counters). */
  private readBytes = 0;

  constructor(
    private readonly run: TapeRunState,
    private readonly hold: DriveHold,
    private readonly source: { tape: TapeRow; drive: () => number },
    private readonly target: { poolId: string; libraryId: string; exclude: ReadonlySet<string> },
    private readonly o: { batchFiles: number; batchBytes: number },
  ) {}

  /**
   * Copies one file: `open` gives its bytes from the source (checked against the recorded checksum
   * as they stream). The bytes written are hashed again by the session; both digests must equal the
   * one recorded at archive time. Failures are recorded on the file (the run goes on).
   */
  async write(f: CopyFile, open: () => Promise<Readable>): Promise<void> {
    const meta = { path: f.row.path, size: Number(f.row.size), mtimeMs: Number(f.row.mtime_ms), mode: f.row.mode === null ? 0o644 : Number(f.row.mode), uid: f.uid ?? undefined, gid: f.gid ?? undefined };
    const src = `${this.source.tape.barcode}:${f.row.path}`;
    for (;;) {
      const session = await this.open(f.row.algorithm);
      if (session.written.some((w) => w.path === meta.path)) {
        await this.commit();
        continue;
      }
      const fit = session.fits(meta);
      if (fit === 'too_large') {
        await this.run.failed(f.key, src, null, meta.size, 'too_large', `${src} (${meta.size} bytes) is larger than a cartridge of the destination pool can hold`);
        return;
      }
      if (fit === 'no_space') {
        await this.commit();
        if (this.tape) this.tried.add(this.tape.barcode);
        this.tape = undefined;
        continue;
      }
      let checksum: string;
      try {
        const written = await session.writeFile(meta, await open(), this.run.signal);
        checksum = written.checksum;
      } catch (err) {
        if (this.run.signal.aborted) throw err;
        const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'io';
        await this.run.failed(f.key, src, null, meta.size, code, `${src}: ${(err as Error).message}`);
        return;
      }
      this.readBytes += meta.size;
      if (checksum !== f.row.checksum) {
        // The bytes written are not those archived: nothing of this session can be trusted.
        const lost = [...this.pending.map((p) => p.file), f];
        await this.abandon();
        for (const l of lost) await this.run.failed(l.key, `${this.source.tape.barcode}:${l.row.path}`, null, Number(l.row.size), 'checksum_mismatch', `${l.row.path}: the copy's digest ${checksum} differs from ${f.row.checksum} recorded at archive time; the session was cut off`);
        return;
      }
      this.pending.push({ file: f, checksum });
      this.pendingBytes += meta.size;
      if (this.pending.length >= this.o.batchFiles || this.pendingBytes >= this.o.batchBytes) await this.commit();
      return;
    }
  }

  /** The open session for `algorithm`, or a new one on the loaded target or the next one of the pool. */
  private async open(algorithm: string): Promise<TapeWriteSession> {
    if (this.session && this.algorithm === algorithm) return this.session;
    if (this.session) await this.commit();
    for (;;) {
      const next = await this.nextTarget();
      try {
        await this.hold.load(next.barcode, this.run.signal);
        this.session = await this.hold.lease.openWrite({ algorithm: algorithm as ChecksumAlgorithm, signal: this.run.signal });
        this.algorithm = algorithm;
        this.tape = next;
        return this.session;
      } catch (err) {
        if (this.run.signal.aborted || !(err instanceof TapeError) || !PICK_ANOTHER.has(err.code)) throw err;
        this.tried.add(next.barcode);
        await this.run.note(`cartridge ${next.barcode} not written: ${err.message}`);
      }
    }
  }

  /**
   * The target to write next: one of the destination pool in the library that can be written and
   * is blank or already a copy of this source; those already copies first (they are continued),
   * the loaded one first of all (no robot move), then the fullest.
   */
  private async nextTarget(): Promise<TapeRow> {
    const tapes = (await this.run.store.tapes.poolTapes(this.target.poolId)).filter((t) => t.tape_library_id === this.target.libraryId && !this.target.exclude.has(t.barcode));
    const mine = (t: TapeRow) => t.secondary_of === this.source.tape.id;
    const blank = (t: TapeRow) => t.secondary_of === null && Number(t.sessions) === 0;
    const candidates = tapes.filter((t) => !this.tried.has(t.barcode) && unwritable(t) === undefined && (mine(t) || blank(t)))
      .sort((a, b) => Number(mine(b)) - Number(mine(a)) || Number(a.free_bytes) - Number(b.free_bytes) || (a.barcode < b.barcode ? -1 : 1));
    const loaded = this.hold.held ? this.hold.lease.loaded() : null;
    const next = candidates.find((t) => t.barcode === loaded) ?? candidates[0];
    if (next) return next;
    const why = tapes.map((t) => `${t.barcode} ${unwritable(t) ?? (this.tried.has(t.barcode) ? 'full' : t.secondary_of ? 'holds copies of another cartridge' : 'holds data')}`);
    throw new NoCartridgeError(`no cartridge of the destination tape pool can take copies of ${this.source.tape.barcode} (${tapes.length ? why.join(', ') : 'the pool has no cartridge in the library'}); a copy goes to a blank cartridge or one holding copies of the same source`);
  }

  /** Cuts the open session off the target (nothing of it counts). */
  private async abandon(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    await session?.abort();
  }

  /** Closes the session (the commit point), then records the copies, the target and the ledger. */
  async commit(): Promise<void> {
    const session = this.session;
    const tape = this.tape;
    const pending = this.pending;
    this.session = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    if (!session || !tape) return;
    const closed = await session.close();
    if (!closed) return;
    const { store } = this.run;
    const now = store.clock.now().toISOString();
    const byPath = new Map(pending.map((p) => [p.file.row.path, p.file.row]));
    // A copy keeps the recorded time of what it copies, so "the latest copy of a path" means the same on either cartridge.
    await store.files.recordSession(closed.index.files.map((f) => ({
      tape_id: tape.id, session_no: closed.index.session, path: f.path, data_offset: f.offset, header_offset: f.header_offset, size: f.size,
      checksum: f.checksum, algorithm: closed.index.algorithm, mtime_ms: f.mtime_ms, mode: f.mode, execution_id: this.run.ctx.id, recorded_at: byPath.get(f.path)?.recorded_at ?? now,
    })));
    const medium = await this.hold.lease.medium(this.run.signal);
    const written = closed.end - closed.index.start;
    const current = await store.tapes.findTapeByBarcode(tape.barcode);
    await store.tapes.updateTape(tape.id, {
      used_bytes: medium.usedBytes, free_bytes: medium.freeBytes, sessions: medium.sessions.length, scratch: 0, last_size_update: now, updated_at: now,
      bytes_written: Number(current?.bytes_written ?? 0) + written, secondary_of: this.source.tape.id,
    });
    this.tape = { ...(current ?? tape), secondary_of: this.source.tape.id, free_bytes: medium.freeBytes, sessions: medium.sessions.length };
    await store.tapes.addDriveCounters(this.target.libraryId, this.hold.drive, { written }, undefined, now);
    if (this.readBytes > 0) {
      const src = await store.tapes.findTapeByBarcode(this.source.tape.barcode);
      if (src) await store.tapes.updateTape(src.id, { bytes_read: Number(src.bytes_read) + this.readBytes, updated_at: now });
      await store.tapes.addDriveCounters(this.target.libraryId, this.source.drive(), { read: this.readBytes }, undefined, now);
      this.readBytes = 0;
    }
    await this.run.done(pending.map((w) => ({ key: w.file.key, src: `${this.source.tape.barcode}:${w.file.row.path}`, dst: `${tape.barcode}:${w.file.row.path}`, size: Number(w.file.row.size), checksum: w.checksum })));
  }

  /** Gives up the open session (force_stop, a failure): what it wrote is cut off. Never throws. */
  async close(): Promise<void> {
    await this.abandon().catch(() => undefined);
  }
}
