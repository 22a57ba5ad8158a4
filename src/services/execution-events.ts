/**
 * The live events of one execution, as the SSE endpoint streams them: a `progress` snapshot when the
 * counters change (at most every `intervalMs`), `state` on each status change, `file_failed` for
 * each new failure in the ledger, and a final `end`. Read from the store, so it works whichever
 * process runs the engine.
 */
import type { ExecutionRepository } from '../store/execution-repository.js';
import type { LedgerRepository } from '../store/ledger-repository.js';
import { isActive } from '../domain/execution.js';
import { executionView, type ExecutionView } from './views.js';

export interface ExecutionEvent {
  event: 'progress' | 'state' | 'file_failed' | 'end';
  data: unknown;
}

const PROGRESS_KEYS: Array<keyof ExecutionView> = ['progress', 'size_todo', 'size_done', 'nodes_todo', 'nodes_done', 'files_failed', 'bandwidth', 'eta_seconds'];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Streams events until the execution ends (then `end`) or the signal fires. */
export async function* executionEvents(
  id: string,
  executions: ExecutionRepository,
  ledger: LedgerRepository,
  signal: AbortSignal,
  intervalMs = 500,
): AsyncGenerator<ExecutionEvent> {
  let last: ExecutionView | undefined;
  let failedSeen = new Set<string>();
  let failedCount = 0;
  while (!signal.aborted) {
    const row = await executions.findById(id);
    if (!row) return;
    const view = executionView(row);
    if (!last || last.status !== view.status) yield { event: 'state', data: { status: view.status, progress: view.progress, error: view.error } };
    if (!last || PROGRESS_KEYS.some((k) => last?.[k] !== view[k])) yield { event: 'progress', data: view };
    if (view.files_failed > failedCount || !isActive(view.status)) {
      const failed = await ledger.recentFailures(id, 200);
      for (const f of failed) {
        if (failedSeen.has(f.item_key)) continue;
        failedSeen.add(f.item_key);
        yield { event: 'file_failed', data: { src_path: f.src_path, dst_path: f.dst_path, error_class: f.error_class, error: f.error } };
      }
      if (failedSeen.size > 10_000) failedSeen = new Set([...failedSeen].slice(-1000));
      failedCount = Math.min(view.files_failed, failedSeen.size);
    }
    last = view;
    if (!isActive(view.status)) {
      yield { event: 'end', data: view };
      return;
    }
    await sleep(intervalMs, signal);
  }
}
