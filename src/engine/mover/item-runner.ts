/**
 * Carries out one planned item (copy, move, erase, scan, verify, mkdir, skip) idempotently: a redo
 * after a crash or a pause reaches the same end state. Returns what the ledger should record.
 */
import type { StorageDriver } from '../../storage/driver.js';
import { StorageError } from '../../storage/errors.js';
import { checksumOf, transferFile } from './transfer.js';
import { speedtest, speedtestNote } from './speedtest.js';
import type { ExecutionContext } from '../execution-context.js';
import type { LedgerStatus, WorkItem } from '../queue/work-item.js';
import { joinPath } from '../dispatcher/plan.js';

export interface ItemOutcome {
  status: LedgerStatus;
  size: number;
  checksum: string | null;
  note?: string;
  /** For scan: a catalog row to keep. */
  catalog?: { path: string; size: number; mtimeMs: number; mode?: number; uid?: number; gid?: number; checksum: string | null };
}

/** Hooks the runner needs from the mover: progress bytes, and a durable ledger write (move's rule 3). */
export interface ItemHooks {
  onBytes(n: number): void;
  recordNow(item: WorkItem, status: LedgerStatus, size: number, checksum: string | null): Promise<void>;
}

function driverAt(list: Array<{ driver: StorageDriver }>, ep: number): StorageDriver {
  const d = list[ep]?.driver;
  if (!d) throw new StorageError('not_found', `endpoint ${ep} is not available`);
  return d;
}

export async function runItem(ctx: ExecutionContext, item: WorkItem, previous: LedgerStatus | undefined, hooks: ItemHooks): Promise<ItemOutcome> {
  const signal = ctx.abort.signal;
  const opts = ctx.opts;
  switch (item.op) {
    case 'skip':
      return { status: 'skipped', size: item.size, checksum: null, note: item.note };
    case 'fail':
      throw new StorageError(item.error?.code ?? 'io', item.error?.message ?? 'failed while planning', { path: item.src.path, retryable: false });
    case 'mkdir': {
      const dst = driverAt(ctx.destinations, (item.dst as { ep: number }).ep);
      await dst.mkdir((item.dst as { path: string }).path, { signal });
      return { status: 'done', size: 0, checksum: null };
    }
    case 'copy': {
      await ensureReadable(driverAt(ctx.sources, item.src.ep), item.src.path, ctx);
      if (item.unlessSame !== undefined && opts.checksum) {
        const same = await sameContent(ctx, item, item.unlessSame, opts.checksum);
        if (same) return { status: 'skipped', size: item.size, checksum: same, note: `unchanged at the destination (same ${opts.checksum})` };
      }
      const r = await transferFile(driverAt(ctx.sources, item.src.ep), item.src.path, driverAt(ctx.destinations, item.dst!.ep), item.dst!.path, item, {
        checksum: opts.checksum, resetFileDate: opts.resetFileDate, keepOwnership: opts.keepOwnership, storageClass: opts.storageClass, lock: opts.lock, inheritLock: opts.inheritLock, noReplace: opts.conflict !== 'overwrite', signal, onBytes: hooks.onBytes,
      });
      return { status: 'done', size: r.size, checksum: r.checksum };
    }
    case 'move': {
      const src = driverAt(ctx.sources, item.src.ep);
      let checksum: string | null = null;
      if (previous !== 'copied') {
        await ensureReadable(src, item.src.path, ctx);
        const r = await transferFile(src, item.src.path, driverAt(ctx.destinations, item.dst!.ep), item.dst!.path, item, {
          checksum: opts.checksum, resetFileDate: opts.resetFileDate, keepOwnership: opts.keepOwnership, storageClass: opts.storageClass, lock: opts.lock, inheritLock: opts.inheritLock, noReplace: opts.conflict !== 'overwrite', signal, onBytes: hooks.onBytes,
        });
        checksum = r.checksum;
        // Rule 3: the verified copy is on record before the source goes.
        await hooks.recordNow(item, 'copied', r.size, checksum);
      }
      await src.remove(item.src.path, { signal });
      return { status: 'done', size: item.size, checksum };
    }
    case 'erase': {
      const src = driverAt(ctx.sources, item.src.ep);
      if (opts.softErase) {
        const trash = joinPath('/.trash', ctx.id, item.src.path);
        if (src.features.rename && src.rename) {
          if ((await src.stat(item.src.path, { signal })) !== null) await src.rename(item.src.path, trash, { signal });
        } else {
          if ((await src.stat(item.src.path, { signal })) !== null) {
            await transferFile(src, item.src.path, src, trash, item, { checksum: null, resetFileDate: true, keepOwnership: false, signal, onBytes: hooks.onBytes });
            await src.remove(item.src.path, { signal });
          }
        }
      } else {
        await src.remove(item.src.path, { signal });
      }
      return { status: 'done', size: item.size, checksum: null };
    }
    case 'scan': {
      const src = driverAt(ctx.sources, item.src.ep);
      let checksum: string | null = null;
      let size = item.size;
      if (opts.checksum) {
        const r = await checksumOf(src, item.src.path, opts.checksum, signal);
        checksum = r.digest;
        size = r.bytes;
        hooks.onBytes(r.bytes);
      }
      return {
        status: 'done', size, checksum,
        catalog: { path: item.src.path, size, mtimeMs: item.mtimeMs, mode: item.mode, uid: item.uid, gid: item.gid, checksum },
      };
    }
    case 'speedtest': {
      const targets = ctx.snapshot.destinations.length > 0 ? ctx.destinations : ctx.sources;
      const r = await speedtest(driverAt(targets, item.src.ep), item.src.path, item.size, signal, hooks.onBytes);
      return { status: 'done', size: item.size, checksum: null, note: speedtestNote(r) };
    }
    case 'verify': {
      const src = driverAt(ctx.sources, item.src.ep);
      const dst = driverAt(ctx.destinations, item.dst!.ep);
      const st = await dst.stat(item.dst!.path, { signal });
      if (!st || st.kind !== 'file') throw new StorageError('not_found', `missing at the destination: ${item.dst!.path}`, { path: item.dst!.path, retryable: false });
      if (st.size !== item.size) throw new StorageError('size_mismatch', `size differs: source ${item.size}, destination ${st.size}`, { path: item.dst!.path, retryable: false });
      const algorithm = opts.checksum ?? 'xxhash64';
      const [a, b] = await Promise.all([checksumOf(src, item.src.path, algorithm, signal), checksumOf(dst, item.dst!.path, algorithm, signal)]);
      hooks.onBytes(a.bytes);
      if (a.digest !== b.digest) throw new StorageError('checksum_mismatch', `content differs: source ${a.digest}, destination ${b.digest}`, { path: item.dst!.path, retryable: false });
      return { status: 'done', size: a.bytes, checksum: a.digest };
    }
  }
}

/**
 * The source's checksum when the file at `path` on the item's destination holds the same bytes
 * (conflict_resolution rename with file_checksum: the planner saw the same size and mtime), else
 * null. A destination file that vanished meanwhile is simply not the same.
 */
async function sameContent(ctx: ExecutionContext, item: WorkItem, path: string, algorithm: NonNullable<ExecutionContext['opts']['checksum']>): Promise<string | null> {
  const signal = ctx.abort.signal;
  const dst = driverAt(ctx.destinations, item.dst!.ep);
  const there = await checksumOf(dst, path, algorithm, signal).catch((err: unknown) => {
    if (err instanceof StorageError && err.code === 'not_found') return null;
    throw err;
  });
  if (!there) return null;
  const here = await checksumOf(driverAt(ctx.sources, item.src.ep), item.src.path, algorithm, signal);
  return here.digest === there.digest && here.bytes === there.bytes ? here.digest : null;
}

/**
 * Sources that archive to a cold tier (`features.restoreFromCold`): ask for a restore before reading. A
 * restore still in progress fails this file with `restoring`, not retried in this run — retrievals take
 * minutes to hours, and a mover slot must not wait that long; the next run of the task copies it.
 */
async function ensureReadable(src: StorageDriver, path: string, ctx: ExecutionContext): Promise<void> {
  if (!src.features.restoreFromCold || !src.restore) return;
  const { days, tier } = ctx.opts.coldRestore;
  const r = await src.restore(path, { signal: ctx.abort.signal, days, ...(tier ? { tier } : {}) });
  if (r.state === 'restoring') {
    throw new StorageError('restoring', `${path} is archived in a cold tier: a restore for ${days} day(s) is in progress; run the task again once it is readable`, { path, retryable: false });
  }
}
