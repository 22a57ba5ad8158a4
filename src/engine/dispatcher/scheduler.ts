/**
 * The dispatcher's schedule loop: while this process holds the engine lease it wakes at the next
 * occurrence of any schedule — or at its tick (1 s), which is how it notices schedules set or changed
 * by other processes — and has the due ones handled (services/schedule-runner.ts, through the
 * `ScheduleWork` port). Times come from the injected Clock; waiting is an unref'd timer, so an idle
 * loop costs one small query per tick and never keeps the process alive or busy. Everything it
 * decides is in the store, so a restart (or another dispatcher taking the lease over) carries on.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';

/** What the loop asks of the schedules (implemented by services/schedule-runner.ts, wired in compose-engine.ts). */
export interface ScheduleWork {
  /** Handles every schedule whose next occurrence has come; `more` when some remain for another pass. */
  runDue(now: Date, signal?: AbortSignal): Promise<{ started: number; more: boolean }>;
  /** The earliest next occurrence of the schedules not done. */
  earliest(): Promise<Date | undefined>;
}

/** The longest the loop sleeps: a schedule set by another process is seen within this. */
export const SCHEDULE_TICK_MS = 1000;

export class Scheduler {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private wake: (() => void) | undefined;

  constructor(
    private readonly work: ScheduleWork,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Executions were started: look for them now rather than at the dispatcher's next poll. */
    private readonly started: () => void,
    private readonly tickMs = SCHEDULE_TICK_MS,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Stops the loop; a pass in progress ends after its current schedule. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = this.tickMs;
      try {
        const r = await this.work.runDue(this.clock.now(), this.abort.signal);
        if (r.started > 0) this.started();
        if (r.more) waitMs = 0;
        else {
          const next = await this.work.earliest();
          const until = next === undefined ? Infinity : next.getTime() - this.clock.now().getTime();
          // An occurrence already due that a pass did not move on (it failed): wait a tick, do not spin.
          if (until > 0) waitMs = Math.min(until, this.tickMs);
        }
      } catch (err) {
        if (this.running) this.log.error({ err }, 'schedule pass failed (retried at the next tick)');
      }
      if (this.running) await this.sleep(waitMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }
}
