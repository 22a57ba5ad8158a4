/**
 * The engine's thread in `npm start`: a dispatcher and a mover on their own event loop, with their
 * own connection to the store, so that walking millions of files, planning and the store writes of
 * progress never delay an API response (issue #10). Started by engine-host.ts; the API thread's
 * signals (a run queued, a pause…) arrive as messages and only save the engine a polling interval.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from './config/config.js';
import { openStore } from './store/db.js';
import { systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';
import { createEngine } from './compose-engine.js';
import type { EngineThreadMessage, EngineThreadReply } from './engine-host.js';
import { nameThisThread } from './lib/thread-name.js';

const port = parentPort;
if (!port) throw new Error('engine-thread.ts runs as a worker thread (see engine-host.ts)');
const config = workerData.config as Config;
nameThisThread('barge-engine');
const logger = createLogger(config.logLevel);
const reply = (m: EngineThreadReply) => port.postMessage(m);

try {
  const store = await openStore(config.database);
  const engine = createEngine(config, store, systemClock, logger);
  port.on('message', (m: EngineThreadMessage) => {
    if (m.type === 'queued') engine.executionQueued(m.id);
    else if (m.type === 'changed') engine.executionChanged(m.id, m.action);
    else if (m.type === 'stop') {
      void (async () => {
        await engine.stop();
        await store.close();
        reply({ type: 'stopped' });
        port.close();
      })();
    }
  });
  await engine.start();
  reply({ type: 'started' });
  setInterval(() => reply({ type: 'active', active: engine.isActive }), 1000).unref();
  reply({ type: 'active', active: engine.isActive });
} catch (err) {
  logger.error({ err }, 'the engine thread could not start');
  reply({ type: 'failed', message: (err as Error).message });
}
