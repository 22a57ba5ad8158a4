/**
 * The `duplication` workflow action (issue #12): cartridge → cartridge, for the vault. The cartridges
 * to copy are `options.barcodes` (or every cartridge of the task's source tape pool); the copies go
 * to cartridges of the task's destination tape pool and become their **secondary copies**
 * (`secondary_of`), which a restore reads when the primary is out of the library or unreadable
 * (secondary-copies.ts).
 *
 * Two drives at once (drive-pair.ts): the source is loaded in `selected_drive` (or any), the copy in
 * `selected_drive_2` (or any other). Each file the catalog places on the source is read in tape
 * order, checked against the medium's own index (a file the medium does not have is not copied:
 * run `get_index`), streamed through a hash that must equal the checksum recorded at archive time,
 * and written into a write session on the target (copy-writer.ts), whose own hash must equal it too.
 *
 * Resumable like an archive: what a committed session copied is in the catalog (rows on cartridges
 * whose `secondary_of` is the source), so a resumed run — or a later duplication of the same cartridge,
 * which then copies only what was added since — skips the files with a copy of the same path, size
 * and checksum. One ledger row per file (`d:<barcode>:<session>:<path>`).
 */
import { Transform, type Readable } from 'node:stream';
import { selectedDriveOrAny } from '../../domain/tape-drives.js';
import { createHasher, type ChecksumAlgorithm } from '../../lib/hashing.js';
import type { IndexedFile } from '../../storage/tape/library.js';
import { TapeError } from '../../storage/tape/tape-error.js';
import type { TapeFileRow, TapeRow } from '../../store/schema.js';
import type { TaskSnapshot } from '../execution-context.js';
import { CopyWriter, type CopyFile } from './copy-writer.js';
import { DrivePair } from './drive-pair.js';
import type { DriveLease } from '../../storage/tape/library.js';
import type { TapeLibraries } from './tape-libraries.js';
import type { TapeRunState } from './tape-parts.js';

/** One source cartridge and the files of it left to copy. */
interface SourcePlan {
  tape: TapeRow;
  files: CopyFile[];
}

/** What identifies a file's content on any cartridge: a copy with the same is that file. */
const contentKey = (r: { path: string; size: number; checksum: string }) => `${r.path}\u0000${Number(r.size)}\u0000${r.checksum}`;

/** The bytes of `f` from `lease`, failing (`checksum_mismatch`) at their end unless they hash to the recorded checksum. */
async function verifiedRead(lease: DriveLease, f: TapeFileRow, signal: AbortSignal): Promise<Readable> {
  const hasher = await createHasher(f.algorithm as ChecksumAlgorithm);
  const stream = await lease.openRead(Number(f.data_offset), Number(f.size), signal);
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hasher.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const digest = hasher.digest();
      cb(digest === f.checksum ? null : new TapeError('checksum_mismatch', `read ${digest} from the source cartridge, ${f.checksum} recorded when it was archived`));
    },
  });
  stream.on('error', (err) => check.destroy(err));
  return stream.pipe(check);
}

export class TapeDuplication {
  constructor(
    private readonly run: TapeRunState,
    private readonly libraries: TapeLibraries,
    private readonly snapshot: TaskSnapshot,
    private readonly o: { batchFiles: number; batchBytes: number },
  ) {}

  private get store() {
    return this.run.store;
  }

  /** The source cartridges and their files left to copy; files already copied are recorded done. */
  async plan(): Promise<{ sources: SourcePlan[]; todo: { files: number; bytes: number } }> {
    const opts = this.snapshot.options ?? {};
    const raw = opts.barcodes;
    const barcodes = Array.isArray(raw) && raw.length > 0 ? [...new Set(raw.filter((b): b is string => typeof b === 'string' && b !== ''))] : undefined;
    const poolId = this.snapshot.sources[0]?.pool_id ?? undefined;
    let tapes: TapeRow[];
    if (barcodes) {
      tapes = [];
      for (const b of barcodes) {
        const t = await this.store.tapes.findTapeByBarcode(b);
        if (t) tapes.push(t);
        else await this.run.failed(`c:${b}`, b, null, 0, 'not_found', `no cartridge ${b} in any tape library`);
      }
    } else {
      // A pool's cartridges still in the library (copies of other cartridges are not copied again).
      const all = poolId ? await this.store.tapes.poolTapes(poolId) : [];
      tapes = all.filter((t) => t.secondary_of === null && Number(t.ejected) === 0 && t.location !== 'offline');
      const out = all.filter((t) => !tapes.includes(t) && t.secondary_of === null).map((t) => t.barcode);
      if (out.length) await this.run.note(`not copied, out of the library: ${out.join(', ')}`);
    }
    const sources: SourcePlan[] = [];
    let files = 0;
    let bytes = 0;
    for (const tape of tapes) {
      const rows: TapeFileRow[] = [];
      for (let after = -1; ;) {
        const page = await this.store.files.onTape(tape.id, 1000, after);
        rows.push(...page);
        if (page.length < 1000) break;
        after = Number(page[page.length - 1]!.data_offset);
      }
      const copied = new Set((await this.store.files.onCopiesOf(tape.id)).map(contentKey));
      const seen = new Set<string>();
      const all: CopyFile[] = [];
      for (const row of rows) {
        const k = contentKey(row);
        if (seen.has(k)) continue; // the same content twice on the source: one copy serves both
        seen.add(k);
        all.push({ key: `d:${tape.barcode}:${row.session_no}:${row.path}`, row, uid: null, gid: null });
      }
      files += all.length;
      bytes += all.reduce((a, f) => a + Number(f.row.size), 0);
      const ledger = await this.store.ledger.forKeys(this.run.ctx.id, all.map((f) => f.key));
      this.run.resumeFrom(ledger.values());
      const left: CopyFile[] = [];
      const already: CopyFile[] = [];
      for (const f of all) {
        const status = ledger.get(f.key)?.status;
        if (status === 'done' || status === 'failed') continue;
        if (copied.has(contentKey(f.row))) already.push(f);
        else left.push(f);
      }
      // Copied by a session that committed before a crash (or by an earlier duplication): not again.
      if (already.length) await this.run.done(already.map((f) => ({ key: f.key, src: `${tape.barcode}:${f.row.path}`, dst: '', size: Number(f.row.size), checksum: f.row.checksum })));
      sources.push({ tape, files: left });
    }
    return { sources, todo: { files, bytes } };
  }

  /** Copies every source's files; false when a stop ended it early. */
  async perform(sources: SourcePlan[]): Promise<boolean> {
    const work = sources.filter((s) => s.files.length > 0);
    if (work.length === 0) return true;
    const opts = this.snapshot.options ?? {};
    const libraryId = work[0]!.tape.tape_library_id;
    const row = await this.store.tapes.findLibrary(libraryId);
    if (!row) throw new Error('the tape library of the cartridges no longer exists');
    if (work.some((s) => s.tape.tape_library_id !== libraryId)) throw new Error('the cartridges to copy are in several tape libraries; one duplication uses one library');
    if (Number(row.drives) < 2) throw new Error(`duplication needs two drives (one reads, one writes) and tape library ${row.name} has ${row.drives}`);
    const targetPool = this.snapshot.destinations[0]?.pool_id;
    if (!targetPool) throw new Error('duplication needs a destination tape pool');
    const lib = await this.libraries.library(row);
    const deps = { tapes: this.store.tapes, clock: this.store.clock, note: (l: string) => this.run.note(l) };
    const pair = await DrivePair.acquire(lib, row, { executionId: this.run.ctx.id, taskId: this.run.ctx.taskId }, deps, this.run.signal, {
      source: selectedDriveOrAny(opts, 'selected_drive'), copy: selectedDriveOrAny(opts, 'selected_drive_2'),
    });
    try {
      await this.run.note(`duplication: reading on drive ${pair.source.drive}, writing on drive ${pair.copy.drive} of tape library ${row.name}`);
      const exclude = new Set(sources.map((s) => s.tape.barcode));
      for (const s of work) {
        const writer = new CopyWriter(this.run, pair.copy, { tape: s.tape, drive: () => pair.source.drive }, { poolId: targetPool, libraryId, exclude }, this.o);
        try {
          if (!(await this.copyCartridge(pair, writer, s))) return false;
          await writer.commit();
          await this.run.flush();
        } finally {
          await writer.close();
        }
      }
      return true;
    } finally {
      await pair.release();
    }
  }

  /** One source cartridge: loaded, its index read, its files copied in tape order. False on a stop. */
  private async copyCartridge(pair: DrivePair, writer: CopyWriter, s: SourcePlan): Promise<boolean> {
    const signal = this.run.signal;
    const barcode = s.tape.barcode;
    const failAll = async (files: CopyFile[], code: string, why: string) => {
      for (const f of files) await this.run.failed(f.key, `${barcode}:${f.row.path}`, null, Number(f.row.size), code, `${f.row.path}: ${why}`);
      await this.run.note(`duplication of ${barcode} failed: ${why}`);
    };
    if (Number(s.tape.ejected) === 1 || s.tape.location === 'offline' || s.tape.location === 'mailslot') {
      await failAll(s.files, 'offline', `${barcode} is out of the library (${s.tape.location}); it cannot be loaded`);
      return true;
    }
    let onMedium: Map<string, IndexedFile>;
    try {
      await pair.source.load(barcode, signal);
      const medium = await pair.source.lease.medium(signal);
      onMedium = new Map(medium.sessions.flatMap((ss) => ss.index.files.map((f) => [`${ss.index.session}\u0000${f.path}`, f] as const)));
    } catch (err) {
      if (signal.aborted || !(err instanceof TapeError)) throw err;
      await failAll(s.files, err.code, `${barcode}: ${err.message}`);
      return true;
    }
    const park = {
      pause: async () => {
        await writer.commit();
        await pair.suspend();
      },
      resume: () => pair.ensure(signal),
    };
    const ordered = [...s.files].sort((a, b) => Number(a.row.data_offset) - Number(b.row.data_offset));
    let n = 0;
    for (const f of ordered) {
      if ((await this.run.gate(park)) === 'stop') {
        await writer.commit();
        return false;
      }
      const m = onMedium.get(`${f.row.session_no}\u0000${f.row.path}`);
      if (!m || m.offset !== Number(f.row.data_offset) || m.size !== Number(f.row.size) || m.checksum !== f.row.checksum) {
        await this.run.failed(f.key, `${barcode}:${f.row.path}`, null, Number(f.row.size), 'not_on_medium', `${f.row.path}: the catalog places it on ${barcode} (session ${f.row.session_no}) but the cartridge's index ${m ? 'disagrees' : 'does not have it'}; run get_index`);
        continue;
      }
      f.uid = m.uid;
      f.gid = m.gid;
      await pair.source.load(barcode, signal); // after a pause the drives were given up
      await writer.write(f, () => verifiedRead(pair.source.lease, f.row, signal));
      if (++n % 64 === 0) await this.run.flush();
    }
    return true;
  }
}
