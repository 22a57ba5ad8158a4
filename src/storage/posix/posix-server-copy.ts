/**
 * The posix driver's server-side `copy` (`features.serverSideCopy`): `copyFile` with
 * COPYFILE_FICLONE into a temporary file (a reflink on XFS/Btrfs, an in-kernel copy elsewhere), then
 * the writer's publish steps: owner, mode, times, fsync, rename, directory fsync.
 * Why a module of its own: it shares nothing with the streamed writer but the publish order, and the
 * driver file stays about its contract.
 */
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { CommitResult, MetaOptions, SignalOptions } from '../driver.js';
import { StorageError, classifyFsError, throwIfAborted } from '../errors.js';
import { makeTempName } from '../paths.js';
import type { PosixRoot } from './posix-root.js';
import { applyMeta } from './posix-writer.js';

/** What the copy needs from its driver. */
export interface ServerCopyEnv {
  readonly root: PosixRoot;
  readonly fsync: boolean;
  /** Temp files of live writers, which `cleanupTemp` must not touch. */
  readonly liveTemps: Set<string>;
  syncDir(dir: string): Promise<void>;
}

/** Copies normalized storage path `src` to `dst` (both checked by the caller) atomically. */
export async function serverSideCopy(env: ServerCopyEnv, src: string, dst: string, options: SignalOptions & MetaOptions): Promise<CommitResult> {
  let tempFile: string | undefined;
  let registered: string | undefined;
  try {
    const srcReal = await env.root.resolveInside(src);
    const srcStat = await fs.stat(srcReal);
    if (srcStat.isDirectory()) throw new StorageError('is_a_directory', 'source is a directory', { path: src });
    if (!srcStat.isFile()) throw new StorageError('unsupported', 'source is not a regular file', { path: src });
    const { dir, name, full } = await env.root.parentOf(dst, true);
    if ((await fs.lstat(full).catch(() => null))?.isDirectory() === true) {
      throw new StorageError('is_a_directory', 'target is a directory', { path: dst });
    }
    tempFile = join(dir, makeTempName(name));
    registered = tempFile;
    env.liveTemps.add(tempFile);
    await fs.copyFile(srcReal, tempFile, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    throwIfAborted(options.signal, dst);
    const fh = await fs.open(tempFile, constants.O_RDWR | constants.O_NOFOLLOW);
    let size: number;
    try {
      await applyMeta(fh, options, srcStat);
      if (env.fsync) await fh.sync();
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    throwIfAborted(options.signal, dst);
    await fs.rename(tempFile, full);
    tempFile = undefined;
    if (env.fsync) await env.syncDir(dir);
    return { size };
  } catch (err) {
    if (tempFile !== undefined) await fs.unlink(tempFile).catch(() => {});
    throw classifyFsError(err, dst);
  } finally {
    if (registered !== undefined) env.liveTemps.delete(registered);
  }
}
