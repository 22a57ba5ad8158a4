/**
 * A mover fed by a transport (BullMQ): it listens to the lanes (queues per set of storages, see
 * ../queue/lanes.ts) of the running executions it reaches, claims each delivered batch in the store
 * (the record: a batch still leased by a live mover is not taken), and runs it. Lanes nobody runs on
 * any more are let go after a while.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { TaskSnapshot } from '../execution-context.js';
import { laneOf } from '../queue/lanes.js';
import { NotYet, type BatchTransport, type LaneConsumer } from '../queue/transport.js';
import type { WorkQueue } from '../queue/work-queue.js';
import type { ContextSource, Mover } from './mover.js';

const RUNNING = ['calculating', 'in_progress'];
/** A lane without a running execution is closed after this long. */
const IDLE_MS = 30_000;

export interface LaneConfig {
  owner: string;
  leaseMs: number;
  /** Batches taken at once per lane. */
  concurrency: number;
  /** How often the running executions are looked at. */
  refreshMs?: number;
}

export class LaneConsumers {
  private readonly lanes = new Map<string, { consumer: LaneConsumer; idleSince?: number }>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly cfg: LaneConfig,
    private readonly transport: BatchTransport,
    private readonly queue: WorkQueue,
    private readonly executions: { listActive(): Promise<ExecutionRow[]> },
    private readonly contexts: ContextSource,
    private readonly mover: Mover,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.refresh(), this.cfg.refreshMs ?? 1000).unref();
    void this.refresh();
  }

  /** Takes no new batch; resolves once the batches being run here are completed or handed back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.refreshing;
    await Promise.all([...this.lanes.values()].map((l) => l.consumer.close()));
    this.lanes.clear();
  }

  /** Listens to the lanes of the running executions this mover reaches; lets idle lanes go. */
  refresh(): Promise<void> {
    this.refreshing ??= this.look().catch((err) => this.log.warn({ err }, 'lane refresh failed')).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async look(): Promise<void> {
    const running = new Map<string, string[]>();
    for (const row of await this.executions.listActive()) {
      if (!RUNNING.includes(row.state)) continue;
      const lane = laneOf(JSON.parse(row.task_snapshot) as TaskSnapshot);
      running.set(lane, [...(running.get(lane) ?? []), row.id]);
    }
    for (const [lane, ids] of running) {
      const known = this.lanes.get(lane);
      if (known) {
        delete known.idleSince;
        continue;
      }
      if (this.stopped) return;
      // Listen only where this mover reaches the storages (the contexts say, and open them).
      const reachable = (await Promise.all(ids.map((id) => this.contexts.get(id)))).some((c) => c !== undefined);
      if (!reachable || this.stopped) continue;
      this.lanes.set(lane, { consumer: this.transport.consume(lane, this.cfg.concurrency, (batchId, executionId) => this.take(batchId, executionId)) });
      this.log.debug({ lane }, 'listening to a lane');
    }
    const now = Date.now();
    for (const [lane, l] of this.lanes) {
      if (running.has(lane)) continue;
      l.idleSince ??= now;
      if (now - l.idleSince >= IDLE_MS) {
        this.lanes.delete(lane);
        await l.consumer.close();
      }
    }
  }

  private async take(batchId: string, executionId: string): Promise<void> {
    if (this.stopped) throw new NotYet('this mover is stopping');
    const ctx = await this.contexts.get(executionId);
    if (!ctx) throw new NotYet('the execution cannot run here now');
    if (!(await this.mover.admit(ctx))) throw new NotYet("other movers hold every permit of the execution's parallel");
    const claimed = await this.queue.claimById(batchId, this.cfg.owner, this.cfg.leaseMs, this.clock.now());
    if (claimed === 'held' || claimed === 'gone') {
      await this.mover.release(ctx.id);
      if (claimed === 'held') throw new NotYet('another mover holds the batch');
      return;
    }
    await this.mover.runClaimed(ctx, claimed);
  }
}
