/**
 * `npm start` / `barge serve`: loads the configuration, starts Barge, prints where it listens and how
 * to log in, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { setFlagsFromString } from 'node:v8';
import { loadConfigOrExit } from './config/config.js';
import { createBarge } from './compose.js';

/**
 * How far V8 lets its heap grow past what the last full collection kept, in percent. Why: a copy
 * of many small files makes garbage at a steady rate around a small live heap (~40 MiB); with V8's
 * default factor (up to 4×) the heap swung between 30 and 130 MiB in use and the process held ~320 MiB
 * copying 100,000 files. At 50% the peak was ~240 MiB at the same speed (README, "Memory with many
 * files"). A growth factor, not a cap: a run that truly needs a larger heap still gets it. A value given
 * to node (command line or NODE_OPTIONS) wins.
 */
const HEAP_GROWING_PERCENT = 50;

export async function serve(env: Record<string, string | undefined> = process.env): Promise<void> {
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--heap-growing-percent'));
  if (!chosen) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const config = loadConfigOrExit(env);
  // The engine runs in a worker thread: walks, plans and store writes never delay an API response.
  const barge = await createBarge(config, { engineThread: true });
  const address = await barge.app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  const lines = [
    `Barge is running.`,
    `  API:      ${url}/api/v2  (OpenAPI: ${url}/api/v2/openapi.json)`,
    `  Console:  ${url}/console/`,
    `  Store:    ${config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL'}`,
    `  Data dir: ${config.dataDir}`,
    `  Engine:   ${config.engine ? 'dispatcher and mover in a worker thread of this process' : 'off (API only; BARGE_ENGINE=off)'}`,
  ];
  if (barge.admin.created && barge.admin.generated) {
    lines.push(`  Log in as "admin" with the generated password: ${barge.admin.password}`, `  (shown once; set BARGE_ADMIN_PASSWORD before the first start to choose it)`);
  } else if (barge.admin.created) {
    lines.push(`  Log in as "admin" with the password from BARGE_ADMIN_PASSWORD.`);
  } else {
    lines.push(`  Log in with your existing users (first user: "admin").`);
  }
  lines.push(`  Try:      curl -u admin:PASSWORD ${url}/api/v2/tasks`);
  process.stdout.write(lines.join('\n') + '\n');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    barge.logger.info({ signal }, 'shutting down');
    await barge.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
