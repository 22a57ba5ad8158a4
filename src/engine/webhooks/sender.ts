/**
 * Sends the outbox: a loop run by the dispatcher that holds the engine lease (webhooks.ts starts and
 * stops it with the lease, so after a take-over another dispatcher continues from the store). It
 * sleeps until the next delivery is due, a new one is recorded (nudge) or an attempt ends — no
 * polling while nothing is due. Several receivers are called at once (`concurrency`), one delivery
 * at a time per callback, so a healthy receiver gets a run's events in order.
 *
 * Each attempt is signed (lib/webhook-signature.ts; the secret is unsealed for that moment only and
 * never logged), recorded with its time, duration and status code or error, and decides the
 * delivery: 2xx delivered; 410 gone (the receiver asks to stop); a refused target refused (no retry:
 * the operator must list it); anything else is retried with backoff (backoff.ts) until the retry
 * window ends, then failed. Redirects are not followed: a 3xx is a failed attempt.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { AllowList } from '../../lib/webhook-target.js';
import { webhookSignature } from '../../lib/webhook-signature.js';
import { nextAttemptAt, type BackoffPolicy } from './backoff.js';
import type { PostResult, WebhookPost } from './http-post.js';
import type { AttemptOutcome, DeliveryOutcome, DeliveryState, DueDelivery, WebhookStore } from './webhook-store.js';

export interface SenderConfig {
  policy: BackoffPolicy;
  timeoutMs: number;
  allow: AllowList;
  /** Attempts in flight at once (to distinct callbacks). */
  concurrency: number;
}

/** Opens sealed secrets (the store's secret box). */
export interface SecretOpener {
  open(sealed: string): string;
}

/** The longest the loop sleeps without a reason to wake (a safety net; nudges and timers do the work). */
const IDLE_MS = 30_000;
/** Due deliveries read per pass. */
const DUE_PAGE = 100;

type Attempt = PostResult | { kind: 'not_sent'; error: string };

export class WebhookSender {
  private running = false;
  private abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly busyCallbacks = new Set<string>();

  constructor(
    private readonly store: WebhookStore,
    private readonly post: WebhookPost,
    private readonly secrets: SecretOpener,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cfg: SenderConfig,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Stops sending: attempts in flight are aborted (and not recorded); pending deliveries stay for the next holder. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.wake();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
  }

  /** New deliveries were recorded: look now. */
  nudge(): void {
    this.wake();
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let waitMs = IDLE_MS;
      try {
        const now = this.clock.now();
        const free = this.cfg.concurrency - this.inFlight.size;
        if (free > 0) {
          const due = await this.store.due(now.toISOString(), DUE_PAGE, [...this.busyCallbacks]);
          for (const d of due) {
            if (this.inFlight.size >= this.cfg.concurrency) break;
            if (this.inFlight.has(d.id) || this.busyCallbacks.has(d.callback_id)) continue;
            this.busyCallbacks.add(d.callback_id);
            this.inFlight.set(d.id, this.attempt(d).catch((err) => this.log.error({ err, delivery: d.id }, 'webhook attempt failed')).finally(() => {
              this.inFlight.delete(d.id);
              this.busyCallbacks.delete(d.callback_id);
              this.wake();
            }));
          }
          // Due deliveries not started wait for an attempt in flight (their callback's, or a slot): its end wakes the loop.
          if (due.length === DUE_PAGE && this.inFlight.size < this.cfg.concurrency) waitMs = 1000; // more due than one page read
        }
        const next = await this.store.nextDue(now.toISOString());
        if (next !== undefined) waitMs = Math.min(waitMs, Math.max(0, Date.parse(next) - this.clock.now().getTime()));
      } catch (err) {
        if (this.running) this.log.error({ err }, 'webhook sender: store read failed');
        waitMs = 5_000;
      }
      if (!this.running) break;
      if (!this.woken) await this.sleep(waitMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const startedAt = this.clock.now();
    const t0 = performance.now();
    const result = await this.send(d);
    if (this.abort.signal.aborted && result.kind !== 'response') return; // stopping: the next holder tries again
    const duration = Math.round(performance.now() - t0);
    const now = this.clock.now();
    const n = d.attempts + 1;
    let outcome: AttemptOutcome;
    let state: DeliveryState;
    let status: number | null = null;
    let error: string | null = null;
    switch (result.kind) {
      case 'response':
        status = result.status;
        outcome = status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'gone' : 'http_error';
        state = outcome === 'delivered' ? 'delivered' : outcome === 'gone' ? 'gone' : 'pending';
        if (outcome === 'http_error') error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
        break;
      case 'refused':
        [outcome, state, error] = ['refused', 'refused', result.error];
        break;
      case 'not_sent':
        [outcome, state, error] = ['not_sent', 'failed', result.error];
        break;
      case 'timeout':
        [outcome, state, error] = ['timeout', 'pending', result.error];
        break;
      default:
        [outcome, state, error] = ['network_error', 'pending', result.error];
    }
    let next: Date | undefined;
    if (state === 'pending') {
      next = nextAttemptAt(new Date(d.created_at), n, now, this.cfg.policy);
      if (next === undefined) {
        state = 'failed';
        error = `gave up after ${n} attempts over ${Math.round(this.cfg.policy.windowMs / 3_600_000)} h; last: ${error}`;
      }
    }
    const final: DeliveryOutcome = {
      state, next_attempt_at: next?.toISOString() ?? null, last_status: status, last_error: error, updated_at: now.toISOString(),
      finished_at: state === 'pending' ? null : now.toISOString(),
    };
    const recorded = await this.store.settle(d.id, d.attempts, { attempt: n, started_at: startedAt.toISOString(), duration_ms: duration, status_code: status, error, outcome }, final);
    const fields = { delivery: d.id, event: d.event, attempt: n, outcome, status, state, next: final.next_attempt_at };
    if (!recorded) this.log.warn(fields, 'webhook attempt not recorded: the delivery changed meanwhile');
    else if (state === 'delivered') this.log.debug(fields, 'webhook delivered');
    else this.log.warn({ ...fields, error }, 'webhook attempt did not deliver');
  }

  private async send(d: DueDelivery): Promise<Attempt> {
    if (!d.url) return { kind: 'not_sent', error: 'the callback has no url' };
    const headers: Record<string, string> = { 'x-barge-delivery': d.id, 'x-barge-event': d.event };
    if (d.secret_sealed) {
      let secret: string;
      try {
        secret = this.secrets.open(d.secret_sealed);
      } catch {
        return { kind: 'not_sent', error: 'the callback secret cannot be unsealed (was the secret-box key changed?)' };
      }
      headers['x-barge-signature'] = webhookSignature(secret, Math.floor(this.clock.now().getTime() / 1000), d.payload);
    }
    return this.post(d.url, headers, d.payload, { timeoutMs: this.cfg.timeoutMs, allow: this.cfg.allow, signal: this.abort.signal });
  }
}
