/**
 * What `GET /metrics` reports about the work (issue #10), read from the store at scrape time so every
 * API server of a store reports the same thing, whoever did the work: executions by state, the work
 * queue (depth and how long the oldest due batch has waited), each mover's totals and whether it is
 * online, and failed files by error class over a recent window. The HTTP side (Prometheus text,
 * request latency, process metrics) is api/metrics-plugin.ts.
 */
import { EXECUTION_STATES } from '../domain/execution.js';
import type { Clock } from '../lib/clock.js';
import type { MetricsRepository } from '../store/metrics-repository.js';
import { SILENT_MS } from './mover-service.js';

/**
 * Failed files are counted over executions active or finished within this window, so a scrape reads a
 * bounded part of the ledger; movers not heard of within it are left out (a mover named `host:pid`
 * is a new row at every restart, and dead ones would otherwise be series forever).
 */
export const METRICS_WINDOW_MS = 24 * 3600_000;

/** One scrape's view of the store. Every execution state and both queue states are present (0 if none). */
export interface WorkMetrics {
  executionsByState: Record<string, number>;
  batchesByState: { queued: number; leased: number };
  /** Seconds the longest-waiting due batch of a running execution has waited; 0 when none waits. */
  oldestBatchWaitSeconds: number;
  movers: Array<{ name: string; up: boolean; filesDone: number; bytesDone: number }>;
  failedFilesByClass: Record<string, number>;
}

export class MetricsService {
  constructor(
    private readonly repo: MetricsRepository,
    private readonly clock: Clock,
  ) {}

  async snapshot(): Promise<WorkMetrics> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - METRICS_WINDOW_MS).toISOString();
    const [executions, batches, oldest, movers, failed] = await Promise.all([
      this.repo.executionsByState(),
      this.repo.batchesByState(),
      this.repo.oldestWaitingBatch(now.toISOString()),
      this.repo.movers(since),
      this.repo.failedFilesByClass(since),
    ]);
    const executionsByState: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0]));
    for (const e of executions) executionsByState[e.state] = e.count;
    const batchesByState = { queued: 0, leased: 0 };
    for (const b of batches) if (b.state === 'queued' || b.state === 'leased') batchesByState[b.state] = b.count;
    // Same rule as GET /movers: online, and heard of within SILENT_MS (a killed mover's row still says online).
    const silentSince = now.getTime() - SILENT_MS;
    return {
      executionsByState,
      batchesByState,
      oldestBatchWaitSeconds: oldest === undefined ? 0 : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000),
      movers: movers.map((m) => ({ name: m.name, up: m.state === 'online' && Date.parse(m.last_heartbeat_at) >= silentSince, filesDone: m.files_done, bytesDone: m.bytes_done })),
      failedFilesByClass: Object.fromEntries(failed.map((f) => [f.errorClass, f.count])),
    };
  }
}
