/**
 * Benchmark child: the floor to compare Barge with. A bare fastify 5 (default options, no hooks, no
 * validation, no logger) whose single route, the same path as Barge's list, sends a fixed body —
 * the bytes Barge answered, read from BENCH_BODY_FILE — so both sides put the same payload on the
 * wire and the difference is what Barge does per request.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { failAsChild, serveAsChild } from './children.js';

async function main(): Promise<void> {
  const file = process.env.BENCH_BODY_FILE;
  if (!file) throw new Error('BENCH_BODY_FILE is not set');
  const body = readFileSync(file);
  const app = Fastify();
  app.get('/api/v2/tasks', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  serveAsChild(address, () => app.close());
}

main().catch(failAsChild);
