/**
 * The transport on BullMQ (Redis): one queue per lane, a job per batch whose id is the batch's id.
 * BullMQ's lock and stalled-job check give a batch whose mover died (kill -9, host down) back to the
 * lane after `lockMs` — set to the store's batch lease, so that by then the dead mover's lease in the
 * store has run out too and the next mover may claim it; until then a claim answers `NotYet` and the
 * job is retried every second.
 */
import { createRequire } from 'node:module';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NotYet, type BatchTransport, type LaneConsumer, type PublishedBatch } from './transport.js';

const requireHere = createRequire(import.meta.url);
let libraries: { bullmq: typeof import('bullmq'); ioredis: typeof import('ioredis') } | undefined;

/**
 * bullmq and ioredis, loaded on first use. Why not imported at the top: a Barge without
 * `BARGE_REDIS_URL` never calls them, and each thread that loads them (the API's and the engine's)
 * pays ~25 MiB of resident memory for their code (issue #14: ≤ 300 MiB at 1,000,000 files).
 */
function redisLibraries(): { bullmq: typeof import('bullmq'); ioredis: typeof import('ioredis') } {
  libraries ??= { bullmq: requireHere('bullmq') as typeof import('bullmq'), ioredis: requireHere('ioredis') as typeof import('ioredis') };
  return libraries;
}

/** Retries of a job whose batch is still held (every second): a lease never lasts this long. */
const ATTEMPTS = 100_000;

export interface BullmqOptions {
  url: string;
  /** Key prefix in Redis (several Barge installations may share one Redis). */
  prefix: string;
  /** Lock of a job being worked on; renewed while its mover lives (BullMQ: lockDuration, stalledInterval). */
  lockMs: number;
}

/** A Redis connection as BullMQ needs it: commands wait through reconnects instead of failing. */
export function redisConnection(url: string, log?: Logger): Redis {
  const redis = new (redisLibraries().ioredis.Redis)(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  let down = false;
  redis.on('error', (err) => {
    if (!down) log?.warn({ err: err.message }, 'Redis unreachable: retrying (no execution fails for it)');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log?.info('Redis reachable again');
    down = false;
  });
  return redis;
}

/** Fails with a one-line reason when Redis cannot be reached within `timeoutMs`. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const redis = new (redisLibraries().ioredis.Redis)(url, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

export class BullmqTransport implements BatchTransport {
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly consumers = new Set<Worker>();

  constructor(
    private readonly o: BullmqOptions,
    private readonly log: Logger,
  ) {
    this.connection = redisConnection(o.url, log);
  }

  private queue(lane: string): Queue {
    let q = this.queues.get(lane);
    if (!q) {
      q = new (redisLibraries().bullmq.Queue)(`lane-${lane}`, { connection: this.connection, prefix: this.o.prefix });
      q.on('error', (err) => this.log.debug({ err: err.message, lane }, 'lane queue error'));
      this.queues.set(lane, q);
    }
    return q;
  }

  async publish(lane: string, batches: PublishedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    await this.queue(lane).addBulk(batches.map((b) => ({
      name: 'batch',
      data: { batchId: b.id, executionId: b.executionId },
      opts: {
        jobId: b.id, removeOnComplete: true, removeOnFail: true, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 },
        // BullMQ: 1 is the highest priority; Barge's priority grows with importance.
        priority: Math.max(1, Math.min(2_097_152, 1000 - Math.round(b.priority))),
      },
    })));
  }

  async pending(lane: string): Promise<number> {
    const c = await this.queue(lane).getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return Object.values(c).reduce((a, n) => a + n, 0);
  }

  consume(lane: string, concurrency: number, handler: (batchId: string, executionId: string) => Promise<void>): LaneConsumer {
    const worker = new (redisLibraries().bullmq.Worker)(`lane-${lane}`, async (job) => {
      const { batchId, executionId } = job.data as { batchId: string; executionId: string };
      try {
        await handler(batchId, executionId);
      } catch (err) {
        if (err instanceof NotYet) throw err; // retried after the backoff
        throw new (redisLibraries().bullmq.UnrecoverableError)((err as Error).message); // the store keeps the batch: the dispatcher publishes it again
      }
    }, {
      connection: redisConnection(this.o.url, this.log), prefix: this.o.prefix, concurrency,
      lockDuration: this.o.lockMs, stalledInterval: this.o.lockMs, maxStalledCount: ATTEMPTS,
    });
    worker.on('error', (err) => this.log.debug({ err: err.message, lane }, 'lane worker error'));
    this.consumers.add(worker);
    return {
      close: async () => {
        this.consumers.delete(worker);
        await worker.close();
        await worker.disconnect().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map(async (w) => {
      await w.close();
      await w.disconnect().catch(() => undefined);
    }));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
