/**
 * Benchmark child: boots a real Barge (the same `createBarge(loadConfig(env))` as `npm start`) on an
 * ephemeral port of 127.0.0.1 and reports its URL. The data dir, admin password and log level come
 * from the parent's environment; the parent owns (and removes) the data dir.
 *
 * By hand: BARGE_DATA_DIR=$(mktemp -d) BARGE_ADMIN_PASSWORD=bench-password node --import tsx bench/lib/barge-server.ts
 */
import { loadConfig } from '../../src/config/config.js';
import { createBarge } from '../../src/compose.js';
import { failAsChild, serveAsChild } from './children.js';

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, BARGE_HOST: '127.0.0.1', BARGE_PORT: '0' });
  const barge = await createBarge(config);
  const address = await barge.app.listen({ host: config.host, port: 0 });
  serveAsChild(address, () => barge.close());
}

main().catch(failAsChild);
