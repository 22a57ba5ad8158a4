/**
 * A mover's own `/metrics` (`barge mover` with `BARGE_METRICS_PORT`): what this process moved and
 * failed, what it holds now — read from the mover at scrape time, in Prometheus text format. The API's
 * `/metrics` reports the whole store; this one answers "what is this host doing" even when the store
 * is slow or unreachable.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Mover } from './mover.js';

export function moverRegistry(mover: Mover, name: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ mover: name });
  collectDefaultMetrics({ register: registry });
  new Counter({ name: 'barge_mover_files_total', help: 'Files moved by this mover since it started.', registers: [registry], collect() { this.reset(); this.inc(mover.totals.filesDone); } });
  new Counter({ name: 'barge_mover_bytes_total', help: 'Bytes moved by this mover since it started.', registers: [registry], collect() { this.reset(); this.inc(mover.totals.bytesDone); } });
  new Counter({
    name: 'barge_mover_failed_files_total', help: 'Files that failed on this mover since it started, by error class.', labelNames: ['error_class'], registers: [registry],
    collect() {
      this.reset();
      for (const [errorClass, n] of mover.failures) this.inc({ error_class: errorClass }, n);
    },
  });
  new Gauge({ name: 'barge_mover_open_batches', help: 'Batches this mover works on now.', registers: [registry], collect() { this.set(mover.load.batches); } });
  new Gauge({ name: 'barge_mover_files_in_flight', help: 'Files this mover is transferring now.', registers: [registry], collect() { this.set(mover.load.files); } });
  return registry;
}

/** Serves `GET /metrics` (anything else: 404) on `host:port`; resolves once it listens. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return server;
}
