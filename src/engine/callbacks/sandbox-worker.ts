/**
 * The sandbox's thread: one QuickJS runtime (script-runner.ts) answering the sandbox's requests one
 * at a time. A thread of its own so that a call the interpreter cannot interrupt can still be ended
 * (the sandbox terminates the thread), and so a script's work never holds the dispatcher's event loop.
 * Bundled by esbuild from the sources (tests) or compiled to callback-worker.js (`npm start`).
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { ScriptRunner } from './script-runner.js';
import type { SandboxReply, SandboxRequest, SandboxWorkerData } from './sandbox-protocol.js';

const port = parentPort;
if (!port) throw new Error('sandbox-worker.ts runs as a worker thread (see sandbox.ts)');
const data = workerData as SandboxWorkerData;
const cell = new Int32Array(data.cell);

void (async () => {
  // Loaded from the sandbox's location, not this thread's: the bundled thread runs as evaluated code,
  // whose own require would look from the working directory. The package reads its .wasm beside it.
  const { getQuickJS } = createRequire(data.resolveFrom)('quickjs-emscripten') as typeof import('quickjs-emscripten');
  const runner = new ScriptRunner(await getQuickJS(), data.limits, {
    start(index) {
      Atomics.store(cell, 1, index);
      Atomics.store(cell, 0, Math.max(1, Date.now() - data.epoch));
    },
    end() {
      Atomics.store(cell, 0, 0);
    },
  });
  port.on('message', (req: SandboxRequest) => {
    let reply: SandboxReply;
    try {
      if (req.op === 'load') reply = { id: req.id, op: 'load', problems: [...runner.load(req.scripts)] };
      else if (req.op === 'filter') reply = { id: req.id, op: 'filter', verdicts: runner.filter(req.key, req.files, req.count) };
      else reply = { id: req.id, op: 'run', outcome: runner.run(req.key, req.input) };
    } catch (err) {
      reply = { id: req.id, op: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ id: 0, op: 'load', problems: [] } satisfies SandboxReply);
})().catch((err: unknown) => {
  port.postMessage({ id: 0, op: 'error', message: err instanceof Error ? err.message : String(err) } satisfies SandboxReply);
});
