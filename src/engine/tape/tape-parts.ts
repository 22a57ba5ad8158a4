/**
 * What an archive or a restore works with: the store's repositories, the execution's context (its
 * signal and state), its counters and how it records a file's outcome. Shared by tape-archive.ts and
 * tape-restore.ts so both count and log the same way as the movers do (the file ledger).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { FileLedgerRow } from '../../store/schema.js';
import type { TapeFileRepository } from '../../store/tape-file-repository.js';
import type { TapeCacheRepository } from '../../store/tape-cache-repository.js';
import type { TapeRepository } from '../../store/tape-repository.js';
import type { ExecutionContext } from '../execution-context.js';

export interface TapeStoreParts {
  tapes: TapeRepository;
  files: TapeFileRepository;
  /** Evictions and share archives (cache_cleaning, rehydratation); absent where those actions do not run. */
  cache?: TapeCacheRepository;
  executions: ExecutionRepository;
  ledger: LedgerRepository;
  clock: Clock;
  log: Logger;
}

/** Files (and bytes) done and failed so far, resumed from the store on a restart. */
export interface TapeCounters {
  done: number;
  doneBytes: number;
  failed: number;
}

/** What the run loop answers between files: go on, stop after committing what is written, or give up now. */
export type Gate = 'go' | 'stop';

/** What a run gives up while paused and takes back on resume (see TapeRunState.gate). */
export interface Park {
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export class TapeRunState {
  readonly counters: TapeCounters = { done: 0, doneBytes: 0, failed: 0 };
  private readonly started = Date.now();
  private lastBytes = 0;

  constructor(
    readonly ctx: ExecutionContext,
    readonly store: TapeStoreParts,
  ) {}

  get signal(): AbortSignal {
    return this.ctx.abort.signal;
  }

  /**
   * Waits while the execution is paused; says `stop` when it is stopping. Throws once aborted
   * (force_stop, shutdown). `park` is what the run gives up while it is paused — an archive closes
   * its session and a tape run frees its drive (`park.pause`) so that other executions can use it —
   * and takes back when it is resumed (`park.resume`: queue for a drive again), before `go`.
   */
  async gate(park?: Park): Promise<Gate> {
    let parked = false;
    for (;;) {
      this.signal.throwIfAborted();
      if (this.ctx.state === 'stopping') return 'stop';
      if (this.ctx.state !== 'paused') {
        if (parked && park) {
          await this.note('resumed');
          await park.resume();
        }
        return 'go';
      }
      if (!parked && park) {
        parked = true;
        await park.pause();
        await this.note('paused: the drive is free for other executions until the run is resumed');
      }
      await this.ctx.waitForChange(250);
    }
  }

  private row(key: string, src: string | null, dst: string | null, size: number, status: string, extra: Partial<FileLedgerRow> = {}): FileLedgerRow {
    return {
      execution_id: this.ctx.id, item_key: key, src_path: src, dst_path: dst, size, checksum: null, status, error_class: null, error: null, attempts: 1,
      updated_at: this.store.clock.now().toISOString(), ...extra,
    };
  }

  /** Records files as done (or `copied`, a move's step before its source is removed). */
  async done(files: Array<{ key: string; src: string; dst: string; size: number; checksum: string }>, status: 'done' | 'copied' = 'done'): Promise<void> {
    await this.store.ledger.record(files.map((f) => this.row(f.key, f.src, f.dst, f.size, status, { checksum: f.checksum })));
    if (status === 'done') {
      this.counters.done += files.length;
      this.counters.doneBytes += files.reduce((a, f) => a + f.size, 0);
    }
  }

  /** Records one failed file with a stable error class and a message saying why. */
  async failed(key: string, src: string | null, dst: string | null, size: number, errorClass: string, message: string): Promise<void> {
    await this.store.ledger.record([this.row(key, src, dst, size, 'failed', { error_class: errorClass, error: message })]);
    this.counters.failed += 1;
  }

  /** Appends a line to the execution's log. */
  async note(line: string): Promise<void> {
    const row = await this.store.executions.findById(this.ctx.id);
    if (row) await this.store.executions.update(this.ctx.id, { log: JSON.stringify([...(JSON.parse(row.log || '[]') as string[]), line]) });
  }

  /** Writes the counters and the bandwidth since the start to the execution. */
  async flush(): Promise<void> {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const bandwidth = Math.round((this.counters.doneBytes - this.lastBytes) / secs);
    await this.store.executions.update(this.ctx.id, {
      nodes_done: this.counters.done, size_done: this.counters.doneBytes, files_failed: this.counters.failed, bandwidth: Math.max(0, bandwidth),
      updated_at: this.store.clock.now().toISOString(),
    });
  }

  /** Resumed: counters start from the ledger rows already written (keys of this run). */
  resumeFrom(rows: Iterable<FileLedgerRow>): void {
    for (const r of rows) {
      if (r.status === 'done') {
        this.counters.done += 1;
        this.counters.doneBytes += Number(r.size);
      } else if (r.status === 'failed') this.counters.failed += 1;
    }
    this.lastBytes = this.counters.doneBytes;
  }
}
