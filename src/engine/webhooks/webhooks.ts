/**
 * Webhooks as the dispatcher sees them (ExecutionHooks): started with the engine lease, stopped when
 * it is lost or the engine stops, told when an execution changed. While the lease is held the outbox
 * records the events the dispatcher reports at once, a sweep every few seconds records what happened
 * elsewhere (failed files written by movers, runs stopped through the API, events a crash cut off),
 * and the sender delivers. Deliveries settled more than RETENTION_MS ago are deleted.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { WebhookOutbox } from './outbox.js';
import type { WebhookSender } from './sender.js';
import type { WebhookStore } from './webhook-store.js';

/** What the dispatcher calls; it does nothing else with webhooks. */
export interface ExecutionHooks {
  /** This dispatcher holds the engine lease: start sending. */
  start(): void;
  /** The lease is lost or the engine stops: stop sending (pending deliveries stay in the store). */
  stop(): Promise<void>;
  /** An execution started, ended or changed: record its events now. */
  executionChanged(executionId: string): void;
}

export interface WebhookTimes {
  /** How often the sweep runs. */
  sweepMs: number;
  /** How far back the periodic sweep looks (events of executions that changed recently). */
  recentMs: number;
  /** How far back a sweep looks when the lease is taken, and for one execution: the retry window. */
  catchUpMs: number;
}

export const DEFAULT_WEBHOOK_TIMES: WebhookTimes = { sweepMs: 2_000, recentMs: 15 * 60_000, catchUpMs: 86_400_000 };

/** Settled deliveries (and their attempts) are kept this long. */
export const RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export class Webhooks implements ExecutionHooks {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private active = false;
  private prunedAt = 0;

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly sender: WebhookSender,
    private readonly store: Pick<WebhookStore, 'prune'>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly times: WebhookTimes = DEFAULT_WEBHOOK_TIMES,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.sender.start();
    this.timer = setInterval(() => this.enqueue(this.times.recentMs), this.times.sweepMs);
    this.timer.unref();
    this.enqueue(this.times.catchUpMs); // what happened while no dispatcher held the lease
  }

  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    await this.chain;
    await this.sender.stop();
  }

  executionChanged(executionId: string): void {
    if (this.active) this.enqueue(this.times.catchUpMs, executionId);
  }

  /** One reconcile at a time (a sweep and an execution's event never record concurrently). */
  private enqueue(lookBackMs: number, executionId?: string): void {
    this.chain = this.chain.then(async () => {
      if (!this.active) return;
      try {
        const now = this.clock.now();
        const added = await this.outbox.reconcile(new Date(now.getTime() - lookBackMs), executionId);
        if (added > 0) this.sender.nudge();
        if (executionId === undefined && now.getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
          this.prunedAt = now.getTime();
          const pruned = await this.store.prune(new Date(now.getTime() - RETENTION_MS).toISOString());
          if (pruned > 0) this.log.info({ pruned }, 'old webhook deliveries deleted');
        }
      } catch (err) {
        this.log.error({ err, execution: executionId }, 'webhook events could not be recorded');
      }
    });
  }
}
