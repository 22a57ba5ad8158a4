/**
 * `GET /metrics`: Prometheus text format (prom-client), outside `/api/v2` and without credentials, as
 * scrapers expect (`BARGE_METRICS=off` leaves the route out). It reports the work as the store has it
 * (services/metrics-service.ts, read at scrape time), this server's API request latency by route, and
 * the process's own metrics (prom-client's defaults: CPU, memory, event loop lag, GC…).
 *
 * Registries are our own, never prom-client's global one: several servers may live in one process
 * (the tests), and a library registering into the global registry must not leak into this output.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { MetricsService, WorkMetrics } from '../services/metrics-service.js';

export const METRICS_PATH = '/metrics';

/** A route that matched nothing (a 404) is one series, never its raw URL (ids, typos, probes). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Request latency buckets in seconds: the API aims at p99 < 100 ms, so most resolution lies below. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/**
 * The process's default metrics, collected once per process: they describe the process, not a server,
 * and each collection starts an event-loop monitor and a GC observer that live as long as the process.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** This server's metrics: the work gauges (set at each scrape) and the latency histogram. */
class ServerMetrics {
  readonly registry = new Registry();
  private readonly executions = new Gauge({ name: 'barge_executions', help: 'Executions by state (the whole history of the store).', labelNames: ['state'], registers: [this.registry] });
  private readonly batches = new Gauge({ name: 'barge_queue_batches', help: 'Batches of files waiting in the work queue (queued) or in a mover\'s hands (leased).', labelNames: ['state'], registers: [this.registry] });
  private readonly batchWait = new Gauge({ name: 'barge_queue_oldest_batch_wait_seconds', help: 'How long the longest-waiting batch a mover could take now (queued, due, of a running execution) has waited; 0 when none waits.', registers: [this.registry] });
  private readonly moverFiles = new Gauge({ name: 'barge_mover_files_done', help: 'Files a mover has moved since it started (movers heard of within 24 h).', labelNames: ['mover'], registers: [this.registry] });
  private readonly moverBytes = new Gauge({ name: 'barge_mover_bytes_done', help: 'Bytes a mover has moved since it started (movers heard of within 24 h).', labelNames: ['mover'], registers: [this.registry] });
  private readonly moverUp = new Gauge({ name: 'barge_mover_up', help: '1 when a mover is online (heard of within 15 s and not draining or stopped), else 0.', labelNames: ['mover'], registers: [this.registry] });
  private readonly failed = new Gauge({ name: 'barge_failed_files', help: 'Failed files by error class, in executions active or finished within 24 h.', labelNames: ['error_class'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'barge_http_request_duration_seconds', help: 'API request latency by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers: [this.registry],
  });

  /** Replaces every work gauge with this snapshot (series that went away, a mover or a class, go too). */
  set(m: WorkMetrics): void {
    for (const g of [this.executions, this.batches, this.moverFiles, this.moverBytes, this.moverUp, this.failed]) g.reset();
    for (const [state, n] of Object.entries(m.executionsByState)) this.executions.set({ state }, n);
    for (const [state, n] of Object.entries(m.batchesByState)) this.batches.set({ state }, n);
    this.batchWait.set(m.oldestBatchWaitSeconds);
    for (const mover of m.movers) {
      this.moverFiles.set({ mover: mover.name }, mover.filesDone);
      this.moverBytes.set({ mover: mover.name }, mover.bytesDone);
      this.moverUp.set({ mover: mover.name }, mover.up ? 1 : 0);
    }
    for (const [errorClass, n] of Object.entries(m.failedFilesByClass)) this.failed.set({ error_class: errorClass }, n);
  }
}

/**
 * The fastify plugin (registered through ServerDeps.extras, on the root instance so its hook sees
 * every route: the API's, the console's, 404s).
 */
export function metricsPlugin(work: MetricsService): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const own = new ServerMetrics();
    const registry = Registry.merge([processMetrics(), own.registry]);
    app.addHook('onResponse', async (req, reply) => {
      own.latency.observe({ method: req.method, route: req.routeOptions.url ?? UNMATCHED_ROUTE, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.get(METRICS_PATH, async (_req, reply) => {
      own.set(await work.snapshot());
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
