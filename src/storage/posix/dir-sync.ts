/**
 * Group commit of directory fsyncs.
 *
 * Why: a rename is durable only once its directory is fsynced (data-safety rule 1), and small-file
 * copies rename many files into the same directory at once. A directory fsync covers every rename
 * made in that directory before the fsync started, so callers that arrive while one is running share
 * the next one: N concurrent commits into one directory cost two fsyncs instead of N, and no caller
 * is told "durable" before an fsync that started after its rename has finished.
 */
import { promises as fs } from 'node:fs';

interface DirState {
  /** The fsync in progress (covers renames made before it started). */
  running: Promise<void> | undefined;
  /** The fsync that will start when `running` ends, shared by everyone who arrived meanwhile. */
  next: Promise<void> | undefined;
}

/** fsync a directory once. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** See the file header. One instance per process is enough; it holds no state for idle directories. */
export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();

  constructor(private readonly syncOnce: (dir: string) => Promise<void> = fsyncDirectory) {}

  /** Resolves once an fsync of `dir` that started after this call has completed (or rejects with its error). */
  sync(dir: string): Promise<void> {
    let state = this.dirs.get(dir);
    if (state === undefined) {
      state = { running: undefined, next: undefined };
      this.dirs.set(dir, state);
    }
    if (state.running === undefined) return this.start(dir, state);
    state.next ??= state.running.then(
      () => this.start(dir, state),
      () => this.start(dir, state),
    );
    return state.next;
  }

  private start(dir: string, state: DirState): Promise<void> {
    state.next = undefined;
    const run = this.syncOnce(dir).finally(() => {
      if (state.running === run) state.running = undefined;
      if (state.running === undefined && state.next === undefined) this.dirs.delete(dir);
    });
    state.running = run;
    return run;
  }
}
