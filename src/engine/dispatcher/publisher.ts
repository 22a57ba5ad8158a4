/**
 * The dispatcher's side of a transport (BullMQ): batches are published in their execution's lane as
 * the walk writes them to the store, and a reconciliation publishes again, from the store, whatever
 * the transport does not hold — batches handed back (pause, a mover's shutdown), leases of dead
 * movers returned to the queue, everything after a Redis that restarted empty. A publish that fails
 * (Redis down) fails nothing: the next reconciliation repeats it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionContext } from '../execution-context.js';
import { laneOf } from '../queue/lanes.js';
import type { BatchTransport } from '../queue/transport.js';
import type { WorkQueue } from '../queue/work-queue.js';

/** Batches published per reconciliation of one execution (the rest follows at the next one). */
const RECONCILE_PAGE = 10_000;

export class Publisher {
  readonly lane: string;
  private busy = false;

  constructor(
    private readonly ctx: ExecutionContext,
    private readonly transport: BatchTransport,
    private readonly queue: WorkQueue,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.lane = laneOf(ctx.snapshot);
  }

  /** The work queue as the walk sees it: every enqueue is also published. */
  publishing(): WorkQueue {
    const enqueue: WorkQueue['enqueue'] = async (...args) => {
      const ids = await this.queue.enqueue(...args);
      await this.publish(ids);
      return ids;
    };
    return new Proxy(this.queue, { get: (target, prop, receiver) => (prop === 'enqueue' ? enqueue : Reflect.get(target, prop, receiver)) });
  }

  /** Publishes again what the store has queued and due, if the transport holds fewer. */
  async reconcile(): Promise<void> {
    if (this.busy || !this.ctx.runnable) return;
    this.busy = true;
    try {
      const { queued } = await this.queue.openCount(this.ctx.id);
      if (queued === 0 || (await this.transport.pending(this.lane)) >= queued) return;
      await this.publish(await this.queue.queuedIds(this.ctx.id, this.clock.now(), RECONCILE_PAGE));
    } catch (err) {
      this.log.warn({ err, execution: this.ctx.id }, 'cannot publish batches (the transport is unreachable?): will try again');
    } finally {
      this.busy = false;
    }
  }

  private async publish(ids: string[]): Promise<void> {
    try {
      await this.transport.publish(this.lane, ids.map((id) => ({ id, executionId: this.ctx.id, priority: this.ctx.opts.priority })));
    } catch (err) {
      this.log.warn({ err, execution: this.ctx.id }, 'cannot publish batches (the transport is unreachable?): the next reconciliation will');
    }
  }
}
