/**
 * Entry of a credentialed file-system thread (credentialed-fs.ts): switches its file-system ids to a
 * context user's at start (fs-credentials.ts), says whether it could, then runs one path operation per
 * message as a blocking call — so the kernel checks each against that user's rights. It never runs an
 * operation when the switch failed: the answer is then a refusal, never root's rights.
 */
import { closeSync, linkSync, lstatSync, lchownSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, realpathSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, chmodSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { StorageError } from '../errors.js';
import { switchThreadFsCredentials, type FsCredentials } from './fs-credentials.js';
import { LISTED_FIELDS, type FsOp, type FsOpReady, type FsOpReply, type FsOpRequest, type ListedChunk, type ListedDir, type ListedEntry, type PlainStat } from './fs-op-protocol.js';
import { isTempName } from '../paths.js';
import { createDirsSync, resolveInsideSync } from './sync-confine.js';
import { nameThisThread } from '../../lib/thread-name.js';

const port = parentPort!;
const { credentials } = workerData as { credentials: FsCredentials | null };
nameThisThread(credentials === null ? 'barge-fs' : 'barge-fs-user');

let refusal: string | null = null;
try {
  // null: the process's own ids (ownFsThread in path-ops.ts: batched lstat for listings).
  if (credentials !== null) switchThreadFsCredentials(credentials);
} catch (err) {
  refusal = err instanceof Error ? err.message : String(err);
}
port.postMessage({ ready: true, refusal } satisfies FsOpReady);

function plain(st: Stats): PlainStat {
  return { mode: st.mode, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, uid: st.uid, gid: st.gid, dev: st.dev, ino: st.ino };
}

function list(dir: string, names: readonly string[] = readdirSync(dir)): ListedEntry[] {
  return names.map((name) => {
    const full = join(dir, name);
    try {
      const st = lstatSync(full);
      return st.isSymbolicLink() ? { name, stat: plain(st), linkTarget: readlinkSync(full) } : { name, stat: plain(st) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { name, stat: null };
      throw err;
    }
  });
}

/** lstatMany: see ListedChunk. */
function lstatMany(dir: string, names: readonly string[]): ListedChunk {
  const stats = new Float64Array(names.length * LISTED_FIELDS);
  let links: Record<number, string> | null = null;
  for (let i = 0; i < names.length; i++) {
    const full = join(dir, names[i] as string);
    const o = i * LISTED_FIELDS;
    let st: Stats | undefined;
    try {
      st = lstatSync(full, { throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    if (st === undefined) {
      stats[o] = Number.NaN;
      continue;
    }
    stats[o] = st.mode;
    stats[o + 1] = st.size;
    stats[o + 2] = st.mtimeMs;
    stats[o + 3] = st.atimeMs;
    stats[o + 4] = st.ctimeMs;
    stats[o + 5] = st.uid;
    stats[o + 6] = st.gid;
    if (st.isSymbolicLink()) (links ??= {})[i] = readlinkSync(full);
  }
  return { stats, links };
}

/** listInside: see the op. Errors of the confinement are StorageErrors; the readdir's, errno errors. */
function listInside(root: string, norm: string, chunk: number): ListedDir {
  const real = resolveInsideSync(root, norm);
  const names = readdirSync(real).filter((n) => !isTempName(n)).sort();
  return { real, names, first: lstatMany(real, names.slice(0, chunk)) };
}

function run(op: FsOp): unknown {
  switch (op.op) {
    case 'lstat': return plain(lstatSync(op.path));
    case 'stat': return plain(statSync(op.path));
    case 'readlink': return readlinkSync(op.path);
    case 'readdir': return readdirSync(op.path);
    case 'realpath': return realpathSync.native(op.path);
    case 'rmdir': return rmdirSync(op.path);
    case 'unlink': return unlinkSync(op.path);
    case 'list': return list(op.path);
    case 'lstatMany': return lstatMany(op.dir, op.names);
    case 'listInside': return listInside(op.root, op.norm, op.chunk);
    case 'mkdir': return mkdirSync(op.path, { recursive: op.recursive });
    case 'rename': return renameSync(op.from, op.to);
    case 'link': return linkSync(op.from, op.to);
    case 'symlink': return symlinkSync(op.target, op.path);
    case 'lchown': return lchownSync(op.path, op.uid, op.gid);
    case 'chmod': return chmodSync(op.path, op.mode);
    case 'lutimes': return lutimesSync(op.path, op.atime, op.mtime);
    case 'open': return openSync(op.path, op.flags, op.mode);
    case 'close': return closeSync(op.fd);
    case 'resolveInside': return resolveInsideSync(op.root, op.norm);
    case 'createDirs': return createDirsSync(op.root, op.norm);
  }
}

function failure(err: unknown): Extract<FsOpReply, { ok: false }>['error'] {
  if (err instanceof StorageError) return { code: err.code, message: err.message, path: err.path, sysCode: err.sysCode, retryable: err.retryable };
  const e = err as NodeJS.ErrnoException;
  return { code: 'io', message: e.message ?? String(err), sysCode: e.code, errno: e.errno, syscall: e.syscall, retryable: true };
}

port.on('message', ({ id, op }: FsOpRequest) => {
  let reply: FsOpReply;
  if (refusal !== null) {
    reply = { id, ok: false, error: { code: 'permission_denied', message: refusal, retryable: false } };
  } else {
    try {
      reply = { id, ok: true, value: run(op) };
    } catch (err) {
      reply = { id, ok: false, error: failure(err) };
    }
  }
  port.postMessage(reply);
});
