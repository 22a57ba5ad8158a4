/**
 * The virtual tape library: the TapeLibrary contract (library.ts) over a directory — one file per
 * cartridge (cartridge.ts), the changer's memory in `library.json` (virtual-library-state.ts) — with
 * real tape behaviour: exclusive drives (drive-queue.ts), sequential media, a load time per robot
 * move and a seek time proportional to the distance the head travels (`load_seconds`,
 * `seek_mb_per_second`; 0 makes them free, as tests want).
 *
 * One process operates a library at a time (the engine holding the store's lease): the drive queue
 * and the robot's lock live in this object.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cartridge } from './cartridge.js';
import { DriveQueue, type AcquireOptions } from './drive-queue.js';
import type { CartridgeStatus, DriveLease, LibraryInventory, TapeLibrary } from './library.js';
import { VirtualDriveLease } from './virtual-drive.js';
import { confineLibraryPath, prepareEmptyDir } from './library-path.js';
import { TapeError, abortedError, throwIfAborted } from './tape-error.js';
import {
  CARTRIDGE_DIR, STATE_FILE, cartridgeFile, initialState, locate, readState, writeState, type LibraryState, type VirtualLibrarySpec,
} from './virtual-library-state.js';

export type { VirtualLibrarySpec } from './virtual-library-state.js';

export interface VirtualLibraryOptions {
  now?: () => Date;
}

/** Waits `seconds` of simulated mechanics (none at 0), giving up with `aborted` on the signal. */
async function mechanics(seconds: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  if (seconds <= 0) return;
  try {
    await sleep(seconds * 1000, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw abortedError(signal);
    throw err;
  }
}

export class VirtualTapeLibrary implements TapeLibrary {
  private readonly queue: DriveQueue;
  private robot: Promise<unknown> = Promise.resolve();
  /** Scanned media of loaded cartridges, and where each drive's head is. */
  private readonly media = new Map<string, Cartridge>();
  private readonly heads: number[];
  /** Callers of waitForChange, woken after each robot move and drive release. */
  private readonly watchers = new Set<() => void>();

  private constructor(
    readonly dir: string,
    private state: LibraryState,
    private readonly opts: VirtualLibraryOptions,
  ) {
    this.queue = new DriveQueue(state.drives.length);
    this.heads = state.drives.map(() => 0);
  }

  /**
   * Creates a library under `path` (confined to `roots`, new or empty): one blank cartridge per
   * barcode, then the state. Returns the real path. On failure nothing it created is left behind.
   */
  static async create(path: string, roots: readonly string[], spec: VirtualLibrarySpec): Promise<string> {
    const io = (err: unknown): TapeError => (err instanceof TapeError ? err : new TapeError('io', `Cannot use ${path} for a library: ${(err as Error).message}`, { cause: err }));
    const dir = await confineLibraryPath(path, roots).catch((err) => Promise.reject(io(err)));
    const state = initialState(spec);
    const created = await prepareEmptyDir(dir).catch((err) => Promise.reject(io(err)));
    try {
      await mkdir(join(dir, CARTRIDGE_DIR), { mode: 0o750 });
      for (const barcode of spec.barcodes) await Cartridge.create(cartridgeFile(dir, barcode));
      await writeState(dir, state);
      return dir;
    } catch (err) {
      await rm(join(dir, CARTRIDGE_DIR), { recursive: true, force: true });
      await rm(join(dir, STATE_FILE), { force: true });
      if (created) await rmdir(dir).catch(() => undefined);
      throw io(err);
    }
  }

  static async open(path: string, opts: VirtualLibraryOptions = {}): Promise<VirtualTapeLibrary> {
    return new VirtualTapeLibrary(path, await readState(path), opts);
  }

  /**
   * Removes a library's files. Refuses (`holds_data`) while any cartridge holds a complete session:
   * the data would be lost. The directory itself goes when it is left empty.
   */
  static async destroy(path: string, roots: readonly string[]): Promise<void> {
    const dir = await confineLibraryPath(path, roots);
    const state = await readState(dir);
    for (const [barcode, c] of Object.entries(state.cartridges)) {
      const cart = await Cartridge.open(cartridgeFile(dir, barcode), { barcode, capacityBytes: c.capacity_bytes });
      if (cart.sessions.length > 0) throw new TapeError('holds_data', `Cartridge ${barcode} holds data`);
    }
    await rm(join(dir, CARTRIDGE_DIR), { recursive: true, force: true });
    await rm(join(dir, STATE_FILE), { force: true });
    await rmdir(dir).catch(() => undefined);
  }

  get drives(): number {
    return this.state.drives.length;
  }

  async inventory(): Promise<LibraryInventory> {
    // What the changer's memory says now (another instance may have moved cartridges: see move()).
    const s = (this.state = await readState(this.dir));
    return { slots: [...s.slots], drives: [...s.drives], mailslots: [...s.mailslots], offline: [...s.offline] };
  }

  async cartridge(barcode: string): Promise<CartridgeStatus> {
    this.state = await readState(this.dir);
    const rec = this.state.cartridges[barcode];
    const location = locate(this.state, barcode);
    if (!rec || !location) throw new TapeError('not_found', `No cartridge ${barcode} in this library`);
    return { barcode, location, writeProtected: await Cartridge.isWriteProtected(this.file(barcode)), capacityBytes: rec.capacity_bytes, mounts: rec.mounts };
  }

  driveUsers(): { holders: Array<string | undefined>; waiting: Array<{ owner: string; drive: number | undefined }> } {
    return { holders: this.state.drives.map((_, i) => this.queue.holder(i)), waiting: this.queue.waiting() };
  }

  async acquireDrive(o: AcquireOptions): Promise<DriveLease> {
    const grant = await this.queue.acquire(o);
    // A released drive may be what a waiter for a cartridge (waitForChange) is waiting for.
    return new VirtualDriveLease(this, { drive: grant.drive, owner: grant.owner, release: () => { grant.release(); this.changed(); } });
  }

  waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.watchers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.watchers.add(done);
    });
  }

  /** Wakes every waitForChange. */
  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  async moveToMailslot(barcode: string, signal?: AbortSignal): Promise<number> {
    return this.move(signal, (s) => {
      const at = this.where(s, barcode);
      if (at.kind === 'mailslot') return at.index;
      if (at.kind === 'drive') throw new TapeError('drive_busy', `${barcode} is in drive ${at.index}: unload it first`);
      if (at.kind !== 'slot') throw new TapeError('wrong_location', `${barcode} is not in a slot`);
      const free = s.mailslots.indexOf(null);
      if (free < 0) throw new TapeError('no_free_slot', 'Every mailslot is taken');
      s.slots[at.index] = null;
      s.mailslots[free] = barcode;
      return free;
    });
  }

  async eject(barcode: string): Promise<void> {
    await this.move(undefined, (s) => {
      const at = this.where(s, barcode);
      if (at.kind === 'offline') return;
      if (at.kind !== 'mailslot') throw new TapeError('wrong_location', `${barcode} must be in a mailslot to be ejected (it is in a ${at.kind})`);
      s.mailslots[at.index] = null;
      s.offline.push(barcode);
    }, 0);
  }

  async importCartridge(barcode: string, signal?: AbortSignal): Promise<number> {
    return this.move(signal, (s) => {
      const at = this.where(s, barcode, true);
      if (at.kind === 'slot') return at.index;
      if (at.kind === 'drive') throw new TapeError('drive_busy', `${barcode} is in drive ${at.index}`);
      const slot = this.freeSlot(s, barcode);
      if (at.kind === 'mailslot') s.mailslots[at.index] = null;
      else s.offline = s.offline.filter((b) => b !== barcode);
      s.slots[slot] = barcode;
      return slot;
    });
  }

  async setWriteProtected(barcode: string, on: boolean): Promise<void> {
    if (!this.state.cartridges[barcode]) throw new TapeError('not_found', `No cartridge ${barcode} in this library`);
    await Cartridge.setWriteProtected(this.file(barcode), on);
  }

  // --- used by the drive leases

  file(barcode: string): string {
    return cartridgeFile(this.dir, barcode);
  }

  get now(): () => Date {
    return this.opts.now ?? (() => new Date());
  }

  loadedIn(drive: number): string | null {
    return this.state.drives[drive] ?? null;
  }

  async load(drive: number, barcode: string, signal?: AbortSignal): Promise<void> {
    await this.move(signal, (s) => {
      const at = this.where(s, barcode);
      if (s.drives[drive] === barcode) return;
      if (s.drives[drive] !== null) throw new TapeError('drive_busy', `Drive ${drive} holds ${s.drives[drive]}`);
      if (at.kind === 'drive') throw new TapeError('drive_busy', `${barcode} is in drive ${at.index}`);
      if (at.kind !== 'slot') throw new TapeError('wrong_location', `${barcode} is in a ${at.kind}, not in a slot`);
      s.slots[at.index] = null;
      s.drives[drive] = barcode;
      (s.cartridges[barcode] as { mounts: number }).mounts += 1;
      this.heads[drive] = 0;
    });
  }

  async unload(drive: number, signal?: AbortSignal): Promise<void> {
    await this.move(signal, (s) => {
      const barcode = s.drives[drive];
      if (barcode === null || barcode === undefined) return;
      const slot = this.freeSlot(s, barcode);
      s.drives[drive] = null;
      s.slots[slot] = barcode;
      this.media.delete(barcode);
    });
  }

  async medium(drive: number, signal?: AbortSignal): Promise<Cartridge> {
    const barcode = this.loadedIn(drive);
    if (barcode === null) throw new TapeError('not_loaded', `Drive ${drive} is empty`);
    let cart = this.media.get(barcode);
    if (!cart) {
      const rec = this.state.cartridges[barcode] as { capacity_bytes: number };
      cart = await Cartridge.open(this.file(barcode), { barcode, capacityBytes: rec.capacity_bytes, now: this.now }, signal);
      this.media.set(barcode, cart);
    }
    return cart;
  }

  /** Moves the head of `drive` to `offset`, taking the simulated seek time. */
  async seek(drive: number, offset: number, signal?: AbortSignal): Promise<void> {
    const mbps = this.state.seek_mb_per_second;
    const distance = Math.abs(offset - (this.heads[drive] ?? 0));
    await mechanics(mbps > 0 ? distance / (mbps * 1e6) : 0, signal);
    this.heads[drive] = offset;
  }

  placeHead(drive: number, offset: number): void {
    this.heads[drive] = offset;
  }

  private where(s: LibraryState, barcode: string, allowOffline = false): NonNullable<ReturnType<typeof locate>> {
    const at = locate(s, barcode);
    if (!at) throw new TapeError('not_found', `No cartridge ${barcode} in this library`);
    if (at.kind === 'offline' && !allowOffline) throw new TapeError('offline', `${barcode} has been ejected`);
    return at;
  }

  private freeSlot(s: LibraryState, barcode: string): number {
    const home = s.cartridges[barcode]?.home;
    if (home !== undefined && s.slots[home] === null) return home;
    const free = s.slots.indexOf(null);
    if (free < 0) throw new TapeError('no_free_slot', 'Every slot is taken');
    return free;
  }

  /**
   * One robot move: serialised with the others, checked and applied on a copy of the state, the
   * mechanics' time taken, then the new state written before the move counts.
   *
   * Each move starts from `library.json` as it is on disk, and is applied again to the file as it is
   * after the mechanics' time: another instance over the same directory (the API ejecting a
   * cartridge while the engine's instance holds the drives) may have moved cartridges meanwhile, and
   * its move must not be undone by a stale copy here. The drives are only ever moved by this
   * instance's leases, so what such a move can change is slots and mailslots.
   */
  private move<T>(signal: AbortSignal | undefined, apply: (s: LibraryState) => T, seconds = this.state.load_seconds): Promise<T> {
    const run = async (): Promise<T> => {
      throwIfAborted(signal);
      this.state = await readState(this.dir);
      const planned = structuredClone(this.state);
      const out = apply(planned);
      if (JSON.stringify(planned) === JSON.stringify(this.state)) return out;
      await mechanics(seconds, signal);
      const next = structuredClone(await readState(this.dir));
      apply(next);
      await writeState(this.dir, next);
      this.state = next;
      this.changed();
      return out;
    };
    const p = this.robot.then(run, run);
    this.robot = p.catch(() => undefined);
    return p;
  }
}

/**
 * The file operations the API needs on virtual libraries (services/tape-library-service.ts
 * `TapeLibraryFiles`), confined to `roots` — the roots of the configuration at the time of each call.
 */
export function virtualLibraryFiles(roots: readonly string[]): {
  create(path: string, spec: VirtualLibrarySpec): Promise<string>;
  destroy(path: string): Promise<void>;
  setWriteProtected(path: string, barcode: string, on: boolean): Promise<void>;
  ejectCartridge(path: string, barcode: string, signal?: AbortSignal): Promise<number>;
  importCartridge(path: string, barcode: string, signal?: AbortSignal): Promise<number>;
} {
  return {
    create: (path, spec) => VirtualTapeLibrary.create(path, roots, spec),
    destroy: (path) => VirtualTapeLibrary.destroy(path, roots),
    setWriteProtected: async (path, barcode, on) => {
      const lib = await VirtualTapeLibrary.open(await confineLibraryPath(path, roots));
      await lib.setWriteProtected(barcode, on);
    },
    // The robot takes the cartridge to a mailslot, then the operator takes it out: offline. Returns the mailslot used.
    ejectCartridge: async (path, barcode, signal) => {
      const lib = await VirtualTapeLibrary.open(await confineLibraryPath(path, roots));
      const mailslot = await lib.moveToMailslot(barcode, signal);
      await lib.eject(barcode);
      return mailslot;
    },
    // The operator puts the cartridge in the mailslot, the robot takes it to a slot. Returns the slot.
    importCartridge: async (path, barcode, signal) => {
      const lib = await VirtualTapeLibrary.open(await confineLibraryPath(path, roots));
      return lib.importCartridge(barcode, signal);
    },
  };
}
