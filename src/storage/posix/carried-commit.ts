/**
 * A copy worker's pipelined group commits (copy-worker.ts): the reply of a message whose renames are
 * not durable yet, held until the next message's first syncfs — which runs after that message's files
 * are written, and so covers both — or until the worker syncs them itself.
 *
 * Why: a group commit is stage → syncfs → rename → syncfs. When the pool has already sent the worker
 * its next message (copy-pool.ts MAX_SENT), the last syncfs of one message and the first of the next
 * become one: one syncfs per message instead of two. In a C model of the copy on ext4 the second
 * syncfs of each group cost ~10% of a small-file copy (issue #14). The reply still goes out only once
 * its renames are durable (data-safety rule 1); when the covering syncfs fails, its done files fail
 * retryable (the engine copies them again), as when a group's own last syncfs fails.
 *
 * The descriptors travel in the native copier's `carry` (native-copier.ts `carries`): opened before
 * the message's data was written, so their syncfs reports any writeback error since (fs-sync.ts).
 */
import { classifyFsError } from '../errors.js';
import type { DoneReply, SerializedStorageError } from './copy-protocol.js';
import { systemError } from './libc.js';
import type { NativeCopier } from './native-copier.js';
import { NATIVE_JOB_NUMS, NATIVE_OUT_NUMS } from './native-copier.js';

/** File systems one message's descriptors may be carried for (more: the native copier syncs them itself). */
export const CARRY_CAP = 8;
/** carry[1] before a call: the addon has not consumed the carried descriptors. */
const NOT_CONSUMED = -1;

/** See the file header. One per worker thread; messages go through it one at a time. */
export class CarriedCommit {
  /** `[nIn, nOut, descriptors (CARRY_CAP), errnos (CARRY_CAP)]`; between messages, the held one's descriptors wait at 2…. */
  private readonly carry = new Int32Array(2 + 2 * CARRY_CAP);
  private held: DoneReply | null = null;

  /**
   * @param native the addon; carrying is off when it lacks `carries` (a build older than this code)
   * @param post sends a reply to the pool
   * @param error the shape a failed syncfs takes in a reply
   */
  constructor(
    private readonly native: NativeCopier,
    private readonly post: (reply: DoneReply) => void,
    private readonly error: (err: unknown) => SerializedStorageError,
  ) {}

  /**
   * The carry to give the native call of the next message (the held message's descriptors go in), or
   * undefined when the addon cannot carry. Call {@link afterCall} once the call returned or threw.
   */
  beforeCall(): Int32Array | undefined {
    if (this.native.carries !== true) return undefined;
    const c = this.carry;
    c[0] = c[1]!;
    c[1] = NOT_CONSUMED;
    return c;
  }

  /**
   * After a native call given {@link beforeCall}'s carry: the held reply is posted — failed if the
   * syncfs that covered it failed — or, when the call did not consume the carry (it refused its
   * arguments), synced here first.
   */
  afterCall(): void {
    const c = this.carry;
    if (this.native.carries !== true) return;
    if (c[1] === NOT_CONSUMED) {
      c[1] = c[0]!;
      this.flush();
      return;
    }
    this.postHeld(this.firstFailure(c[0]!), true);
  }

  /** Descriptors the last native call left open (its renames are not durable yet). */
  pending(): number {
    return this.native.carries === true && this.carry[1]! > 0 ? this.carry[1]! : 0;
  }

  /**
   * The message just committed natively left descriptors: hold its reply for the next message when
   * `another` (one is waiting), else sync now and post it.
   */
  hold(reply: DoneReply, another: boolean): void {
    this.held = reply;
    if (!another) this.flush();
  }

  /** No next message to share the syncfs with: sync the held message's renames now and post it. */
  flush(): void {
    if (this.held === null) return;
    this.postHeld(this.syncPending(), false);
  }

  /**
   * Syncs what the last native call left open — its message also ran jobs the JavaScript way, which
   * takes no carried descriptors — failing the files it published (`done`, positions in the message)
   * in `sizes`/`errors` when that syncfs fails.
   */
  syncOwn(done: readonly number[], sizes: Float64Array, errors: Array<readonly [number, SerializedStorageError]>): void {
    if (this.pending() === 0) return;
    const failure = this.syncPending();
    if (failure === null) return;
    for (const k of done) {
      sizes[k] = Number.NaN;
      errors.push([k, failure]);
    }
  }

  /**
   * Syncs and closes the pending descriptors; the first failure, or null. Why through the addon (a
   * call without jobs): it opened them, and Node warns when its fs closes a descriptor it did not open.
   */
  private syncPending(): SerializedStorageError | null {
    const c = this.carry;
    const n = this.pending();
    if (n === 0) return null;
    c[0] = n;
    c[1] = NOT_CONSUMED;
    this.native.copyPacked([], [], new Float64Array(NATIVE_JOB_NUMS), 0, new Float64Array(NATIVE_OUT_NUMS), Buffer.alloc(8), new Int32Array(1), 1, 1, undefined, c);
    c[1] = 0;
    return this.firstFailure(n);
  }

  private firstFailure(n: number): SerializedStorageError | null {
    for (let i = 0; i < n; i++) {
      const errno = this.carry[2 + CARRY_CAP + i]!;
      if (errno !== 0) return { ...this.error(classifyFsError(systemError(errno, 'syncfs'))), retryable: true };
    }
    return null;
  }

  private postHeld(failure: SerializedStorageError | null, carried: boolean): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    const reply = failure === null ? held : failDone(held, failure);
    this.post(carried && failure === null ? { ...reply, carried } : reply);
  }
}

/** A reply whose done files failed (their renames may not be durable): retryable, the engine copies them again. */
function failDone(reply: DoneReply, failure: SerializedStorageError): DoneReply {
  const sizes = new Float64Array(reply.sizes);
  const errors = [...reply.errors];
  for (let k = 0; k < sizes.length; k++) {
    if (Number.isNaN(sizes[k]!)) continue;
    sizes[k] = Number.NaN;
    errors.push([k, failure]);
  }
  errors.sort((a, b) => a[0] - b[0]);
  return { ...reply, sizes, errors };
}
