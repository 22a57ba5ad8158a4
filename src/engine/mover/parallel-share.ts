/**
 * An execution's `parallel` holds across every mover, not per mover (issue #10): before running
 * files of an execution that sets it, a mover takes its share of the permits from the store (what
 * the other movers leave free, up to what its own slots can run) and runs at most that many of the
 * execution's files at once. Its heartbeat extends them; it gives them back when it has no batch of
 * that execution left; a mover killed with `kill -9` loses them when their lease runs out.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionContext } from '../execution-context.js';

/** The store's permits of `parallel` (store/permit-repository.ts). */
export interface PermitStore {
  acquire(executionId: string, owner: string, want: number, total: number, now: Date, leaseMs: number): Promise<number>;
  renew(owner: string, now: Date, leaseMs: number): Promise<void>;
  release(executionId: string, owner: string): Promise<void>;
}

export class ParallelShare {
  /** Per execution with `parallel`: how many of its files may run here at once (permits held). */
  private readonly granted = new Map<string, number>();

  constructor(
    private readonly owner: string,
    /** The most files this mover runs at once (slots × small files per slot). */
    private readonly capacity: number,
    private readonly leaseMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Without a store (unit tests), `parallel` holds per mover. */
    private readonly permits?: PermitStore,
  ) {}

  /** May files of this execution run here? Takes (more of) its share when it holds less than it could use. */
  async admit(ctx: ExecutionContext): Promise<boolean> {
    const total = ctx.opts.parallel;
    if (total === null) return true;
    if (!this.permits) {
      this.granted.set(ctx.id, total);
      return true;
    }
    const want = Math.min(total, this.capacity);
    if ((this.granted.get(ctx.id) ?? 0) >= want) return true;
    const got = await this.permits.acquire(ctx.id, this.owner, want, total, this.clock.now(), this.leaseMs);
    // Files already in flight here keep running whatever the store says now.
    const held = Math.max(got, ctx.inflight);
    if (held > 0) this.granted.set(ctx.id, held);
    else this.granted.delete(ctx.id);
    return held > 0;
  }

  /** Files of this execution that may run here at once (0 before `admit`, when permits are shared). */
  limitOf(ctx: ExecutionContext): number {
    if (ctx.opts.parallel === null) return Infinity;
    return this.granted.get(ctx.id) ?? (this.permits ? 0 : ctx.opts.parallel);
  }

  /** This mover has no batch of the execution left: its permits go back to the others. */
  async letGo(executionId: string): Promise<void> {
    if (!this.granted.delete(executionId)) return;
    await this.permits?.release(executionId, this.owner).catch((err: unknown) => this.log.warn({ err }, 'permits not given back (their lease will run out)'));
  }

  /** The heartbeat: what this mover holds runs on. */
  async renew(): Promise<void> {
    if (this.granted.size > 0 && this.permits) await this.permits.renew(this.owner, this.clock.now(), this.leaseMs);
  }
}
