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
import type { FsOp, FsOpReady, FsOpReply, FsOpRequest, ListedEntry, PlainStat } from './fs-op-protocol.js';
import { listInside, loadNativeListing, lstatMany } from './native-listing.js';
import { createDirsSync, resolveInsideSync } from './sync-confine.js';
import { nameThisThread } from '../../lib/thread-name.js';

const port = parentPort!;
const { credentials, nativeCopy } = workerData as { credentials: FsCredentials | null; nativeCopy: boolean };
nameThisThread(credentials === null ? 'barge-fs' : 'barge-fs-user');
// Errors leave this thread as code, message and errno (failure() below), never with their stack: not
// capturing one saves ~0.4 µs per file walked where a walk meets many (a fresh destination answers
// ENOENT once per folder; issue #14).
Error.stackTraceLimit = 0;

let refusal: string | null = null;
try {
  // null: the process's own ids (ownFsThread in path-ops.ts: batched lstat for listings).
  if (credentials !== null) switchThreadFsCredentials(credentials);
} catch (err) {
  refusal = err instanceof Error ? err.message : String(err);
}
// The addon's listing (native-listing.ts), loaded on this thread: its calls run under this thread's ids.
const listing = refusal === null ? loadNativeListing(nativeCopy) : null;
port.postMessage({ ready: true, refusal, nativeListing: listing !== null } satisfies FsOpReady);

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
    case 'lstatMany': return lstatMany(op.dir, op.names, listing);
    case 'listInside': return listInside(op.root, op.norm, op.chunk, listing);
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
