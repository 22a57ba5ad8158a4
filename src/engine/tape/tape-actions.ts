/**
 * The tape workflow actions on cartridges (issue #12): `format` (erase to a blank archive; one holding
 * data needs `options.overwrite`), `get_index` (read the index records back into the catalog and say
 * what differed: a lost catalog is rebuilt from the media, as LTFS's index allows) and `ejection`
 * (slot → mailslot → out of the library). Cartridges come from `options.barcodes` (or, for
 * `get_index`, every cartridge in the library of the task's tape pool). Why in the engine, through a
 * drive hold: format and get_index load cartridges, and only the engine's process operates the drives
 * (the library's drive queue lives there), so they queue for a drive like any archive. Each cartridge
 * is one ledger row (`c:<barcode>`) and a line in the execution's log; a resumed run skips the ones
 * already done or failed.
 */
import { TapeError } from '../../storage/tape/tape-error.js';
import { selectedDriveOrAny } from '../../domain/tape-drives.js';
import type { TapeLibrary } from '../../storage/tape/library.js';
import type { TapeFileRow, TapeLibraryRow, TapeRow } from '../../store/schema.js';
import { DriveHold } from './drive-hold.js';
import type { TapeLibraries } from './tape-libraries.js';
import type { TapeRunState } from './tape-parts.js';

export type TapeActionName = 'format' | 'get_index' | 'ejection';

/** A cartridge the action works on, or a barcode the store does not know. */
type Target = { barcode: string; tape: TapeRow | undefined };

/** What one cartridge's work ends as: done (bytes it concerned), or failed with a stable code. */
type Outcome = { ok: true; bytes: number } | { ok: false; code: string; message: string };

const MiB = 1024 * 1024;
const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

export class TapeActions {
  constructor(
    private readonly run: TapeRunState,
    private readonly libraries: TapeLibraries,
    private readonly action: TapeActionName,
  ) {}

  private get store() {
    return this.run.store;
  }

  /** The cartridges named by the task: `barcodes`, else the tape pool's cartridges still in the library. */
  async targets(barcodes: string[] | undefined, poolId: string | undefined): Promise<Target[]> {
    if (barcodes) return Promise.all(barcodes.map(async (barcode) => ({ barcode, tape: await this.store.tapes.findTapeByBarcode(barcode) })));
    if (!poolId) return [];
    const tapes = await this.store.tapes.poolTapes(poolId);
    return tapes.filter((t) => Number(t.ejected) === 0 && t.location !== 'offline').map((t) => ({ barcode: t.barcode, tape: t }));
  }

  /** Works through `targets` (skipping those the ledger has); false when a stop cut it short. */
  async perform(targets: Target[], overwrite: boolean): Promise<boolean> {
    const keys = targets.map((t) => `c:${t.barcode}`);
    const ledger = await this.store.ledger.forKeys(this.run.ctx.id, keys);
    this.run.resumeFrom(ledger.values());
    const left = targets.filter((t) => !['done', 'failed'].includes(ledger.get(`c:${t.barcode}`)?.status ?? ''));
    const byLibrary = new Map<string, Target[]>();
    for (const t of left) {
      if (!t.tape) {
        await this.record(t.barcode, { ok: false, code: 'not_found', message: `no cartridge ${t.barcode} in any tape library` });
        continue;
      }
      byLibrary.set(t.tape.tape_library_id, [...(byLibrary.get(t.tape.tape_library_id) ?? []), t]);
    }
    for (const [libraryId, list] of byLibrary) {
      const row = await this.store.tapes.findLibrary(libraryId);
      if (!row) {
        for (const t of list) await this.record(t.barcode, { ok: false, code: 'not_found', message: `the tape library of ${t.barcode} no longer exists` });
        continue;
      }
      const lib = await this.libraries.library(row);
      if (!(await this.onLibrary(row, lib, list, overwrite))) return false;
    }
    return true;
  }

  private async onLibrary(row: TapeLibraryRow, lib: TapeLibrary, list: Target[], overwrite: boolean): Promise<boolean> {
    let hold: DriveHold | undefined;
    try {
      if (this.action !== 'ejection') {
        hold = await DriveHold.acquire(lib, row, { executionId: this.run.ctx.id, taskId: this.run.ctx.taskId }, { tapes: this.store.tapes, clock: this.store.clock, note: (l) => this.run.note(l) }, this.run.signal, this.driveOpts());
      }
      for (const t of list) {
        if ((await this.run.gate()) === 'stop') return false;
        const tape = t.tape as TapeRow;
        let outcome: Outcome;
        try {
          outcome = this.action === 'format' ? await this.format(hold as DriveHold, lib, tape, overwrite)
            : this.action === 'get_index' ? await this.getIndex(hold as DriveHold, lib, tape)
              : await this.eject(lib, tape);
        } catch (err) {
          if (this.run.signal.aborted || !(err instanceof TapeError)) throw err;
          outcome = { ok: false, code: err.code, message: `${tape.barcode}: ${err.message}` };
        }
        await this.record(tape.barcode, outcome);
        await this.run.flush();
      }
      return true;
    } finally {
      await hold?.release();
    }
  }

  /** `options.selected_drive`: the drive this action loads cartridges in (any when absent). */
  private driveOpts(): { drive?: number } {
    const drive = selectedDriveOrAny(this.run.ctx.snapshot.options, 'selected_drive');
    return drive === undefined ? {} : { drive };
  }

  private async record(barcode: string, o: Outcome): Promise<void> {
    if (o.ok) await this.run.done([{ key: `c:${barcode}`, src: barcode, dst: barcode, size: o.bytes, checksum: '' }]);
    else {
      await this.run.failed(`c:${barcode}`, barcode, null, 0, o.code, o.message);
      await this.run.note(`${this.action} ${barcode} failed: ${o.message}`);
    }
  }

  /** Why a cartridge cannot be loaded (out of the library), or undefined. */
  private async outOfLibrary(lib: TapeLibrary, barcode: string): Promise<Outcome | undefined> {
    const st = await lib.cartridge(barcode);
    if (st.location.kind === 'offline' || st.location.kind === 'mailslot') {
      return { ok: false, code: 'offline', message: `${barcode} is ${st.location.kind === 'offline' ? 'ejected (out of the library)' : 'in a mailslot'}; it cannot be loaded` };
    }
    return undefined;
  }

  private async format(hold: DriveHold, lib: TapeLibrary, tape: TapeRow, overwrite: boolean): Promise<Outcome> {
    const out = await this.outOfLibrary(lib, tape.barcode);
    if (out) return out;
    if ((await lib.cartridge(tape.barcode)).writeProtected) return { ok: false, code: 'write_protected', message: `${tape.barcode} is write-protected; it is never formatted` };
    // Files cache_cleaning evicted rely on this cartridge's copies: erasing it would lose them, overwrite or not.
    const evicted = (await this.store.cache?.evictedOn(tape.id)) ?? 0;
    if (evicted > 0) return { ok: false, code: 'holds_evicted', message: `${tape.barcode} holds the copies of ${evicted} evicted file(s) (deleted from their share by cache_cleaning); rehydrate them first` };
    await hold.load(tape.barcode, this.run.signal);
    // Counted now: the medium is a live object that the format below empties.
    const medium = await hold.lease.medium(this.run.signal);
    const before = { sessions: medium.sessions.length, usedBytes: medium.usedBytes };
    if (before.sessions > 0 && !overwrite) {
      return { ok: false, code: 'holds_data', message: `${tape.barcode} holds data (${before.sessions} session${before.sessions > 1 ? 's' : ''}, ${mb(before.usedBytes)}); set options.overwrite: true to erase it` };
    }
    const files = await this.store.files.countOnTape(tape.id);
    await hold.lease.format({ overwrite, signal: this.run.signal });
    await this.store.files.forgetTape(tape.id);
    const after = await hold.lease.medium(this.run.signal);
    const now = this.store.clock.now().toISOString();
    await this.store.tapes.updateTape(tape.id, { used_bytes: after.usedBytes, free_bytes: after.freeBytes, sessions: 0, scratch: 1, last_size_update: now, updated_at: now });
    await this.run.note(`formatted ${tape.barcode}: erased ${before.sessions} session(s), ${mb(before.usedBytes)}; ${files.files} file(s) removed from the catalog`);
    return { ok: true, bytes: before.usedBytes };
  }

  private async getIndex(hold: DriveHold, lib: TapeLibrary, tape: TapeRow): Promise<Outcome> {
    const out = await this.outOfLibrary(lib, tape.barcode);
    if (out) return out;
    await hold.load(tape.barcode, this.run.signal);
    const medium = await hold.lease.medium(this.run.signal);
    const key = (session: number, path: string) => `${session}\u0000${path}`;
    const catalog = new Map<string, TapeFileRow>();
    for (let after = -1; ;) {
      const page = await this.store.files.onTape(tape.id, 1000, after);
      for (const r of page) catalog.set(key(Number(r.session_no), r.path), r);
      if (page.length < 1000) break;
      after = Number(page[page.length - 1]!.data_offset);
    }
    const onMedium = new Set<string>();
    const added: TapeFileRow[] = [];
    const corrected: TapeFileRow[] = [];
    let bytes = 0;
    for (const s of medium.sessions) {
      for (const f of s.index.files) {
        const k = key(s.index.session, f.path);
        onMedium.add(k);
        bytes += f.size;
        const have = catalog.get(k);
        if (have && Number(have.data_offset) === f.offset && Number(have.size) === f.size && have.checksum === f.checksum) continue;
        if (have) corrected.push(have);
        added.push({
          tape_id: tape.id, session_no: s.index.session, path: f.path, data_offset: f.offset, header_offset: f.header_offset, size: f.size,
          checksum: f.checksum, algorithm: s.index.algorithm, mtime_ms: f.mtime_ms, mode: f.mode, execution_id: null, recorded_at: s.index.closed_at,
        });
      }
    }
    const missing = [...catalog.entries()].filter(([k]) => !onMedium.has(k)).map(([, r]) => r);
    // Rows that disagree with the medium (offset, size, checksum) are replaced by what the index says.
    await this.store.files.forgetFiles(tape.id, [...missing, ...corrected].map((r) => ({ session_no: Number(r.session_no), path: r.path })));
    await this.store.files.recordSession(added);
    const now = this.store.clock.now().toISOString();
    await this.store.tapes.updateTape(tape.id, { used_bytes: medium.usedBytes, free_bytes: medium.freeBytes, sessions: medium.sessions.length, scratch: medium.sessions.length === 0 ? 1 : 0, last_size_update: now, updated_at: now });
    const total = onMedium.size;
    const example = (rows: Array<{ path: string }>) => (rows.length ? ` (${rows.slice(0, 5).map((r) => r.path).join(', ')}${rows.length > 5 ? ', …' : ''})` : '');
    await this.run.note(`index of ${tape.barcode}: ${medium.sessions.length} session(s), ${total} file(s) on the medium; ${added.length - corrected.length} added to the catalog${example(added.filter((a) => !catalog.has(key(a.session_no, a.path))))}, ${corrected.length} corrected${example(corrected)}, ${missing.length} missing from the medium and removed from the catalog${example(missing)}${medium.tornMembers > 0 ? `; ${medium.tornMembers} member(s) of a torn session ignored` : ''}`);
    return { ok: true, bytes };
  }

  private async eject(lib: TapeLibrary, tape: TapeRow): Promise<Outcome> {
    const st = await lib.cartridge(tape.barcode);
    const now = () => this.store.clock.now().toISOString();
    if (st.location.kind === 'drive') return { ok: false, code: 'in_drive', message: `${tape.barcode} is in drive ${st.location.index} (another execution uses it); it returns to its slot when the drive is released` };
    if (st.location.kind !== 'offline') {
      if (st.location.kind !== 'mailslot') await lib.moveToMailslot(tape.barcode, this.run.signal);
      await lib.eject(tape.barcode);
      await this.run.note(`ejected ${tape.barcode}`);
    } else await this.run.note(`${tape.barcode} was already out of the library`);
    await this.store.tapes.updateTape(tape.id, { location: 'offline', location_index: null, ejected: 1, mounted: 0, date_move: now(), updated_at: now() });
    return { ok: true, bytes: 0 };
  }
}
