/**
 * `--watch`: follows one execution to its end through the SSE stream
 * (`GET /task_executions/{id}/events`), drawing live bars (bytes, files, bandwidth, ETA) on a
 * terminal and periodic plain lines otherwise, then prints a summary. A dropped stream is re-opened
 * (and the execution polled meanwhile), so a proxy or a server restart does not end the watch.
 */
import type { Context } from './context.js';
import type { ApiClient } from './http.js';
import { ApiError, CliError, EXIT } from './errors.js';
import { sseEvents } from './sse.js';
import { formatBytes, formatDuration, formatRate } from './output.js';

/** The execution fields the watcher reads (a subset of the API's `task_execution`). */
import type { Execution, FailedFile } from './api-types.js';
export type { Execution, FailedFile };

const TERMINAL = new Set(['done', 'finished_with_warnings', 'error', 'stopped_by_user', 'stopped_by_system']);

/** True once an execution can no longer change. */
export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

/** The exit code a watched run ends with: 0 done, 3 warnings, 4 error, 5 stopped. */
export function exitCodeFor(status: string): number {
  switch (status) {
    case 'done':
      return EXIT.ok;
    case 'finished_with_warnings':
      return EXIT.warnings;
    case 'error':
      return EXIT.error;
    case 'stopped_by_user':
    case 'stopped_by_system':
      return EXIT.stopped;
    default:
      return EXIT.failure;
  }
}

/**
 * How far an execution is, in percent of bytes (of files when there are no bytes). The API's
 * `progress` is Nodeum's bit mask of engine phases, not a percentage, so it is never shown as one.
 */
export function percent(e: Pick<Execution, 'status' | 'size_todo' | 'size_done' | 'nodes_todo' | 'nodes_done'>): number {
  if (e.status === 'done') return 100;
  const p = e.size_todo > 0 ? (100 * e.size_done) / e.size_todo : e.nodes_todo > 0 ? (100 * e.nodes_done) / e.nodes_todo : 0;
  return Math.min(100, Math.floor(p));
}

/** One plain progress line (non-TTY output). */
export function progressLine(e: Execution): string {
  const pct = percent(e);
  return `${e.status} ${pct}%  ${formatBytes(e.size_done)}/${formatBytes(e.size_todo)}  ${e.nodes_done}/${e.nodes_todo} files  ${e.files_failed} failed  ${formatRate(e.bandwidth)}  ETA ${formatDuration(e.eta_seconds)}`;
}

/** How progress is shown: bars on a terminal, a line every few seconds elsewhere, nothing for --json. */
interface Display {
  state(status: string): void;
  progress(e: Execution): void;
  failed(f: FailedFile): void;
  stop(): void;
}

const MAX_FAILED_SHOWN = 20;

function plainDisplay(ctx: Context, intervalMs = 2000): Display {
  let lastAt = 0;
  let lastLine = '';
  let shown = 0;
  return {
    state: (s) => ctx.note(`state: ${s}`),
    progress: (e) => {
      const now = Date.now();
      if (e.nodes_todo === 0 && !isTerminal(e.status)) return; // nothing counted yet
      if (now - lastAt < intervalMs && !isTerminal(e.status)) return;
      const line = progressLine(e);
      if (line === lastLine) return;
      lastAt = now;
      lastLine = line;
      ctx.note(line);
    },
    failed: (f) => {
      if (++shown <= MAX_FAILED_SHOWN) ctx.note(`failed: ${f.src_path}: ${f.error ?? f.error_class ?? 'error'}`);
    },
    stop: () => undefined,
  };
}

async function barDisplay(ctx: Context): Promise<Display> {
  const { default: cliProgress } = await import('cli-progress'); // only terminals draw bars: keep other runs' start-up light
  const multi = new cliProgress.MultiBar(
    { stream: ctx.io.stderr, hideCursor: true, clearOnComplete: false, autopadding: true, barsize: 30, fps: 8 },
    cliProgress.Presets.shades_classic,
  );
  const bytes = multi.create(1, 0, { done: '0 B', todo: '0 B', rate: '-', remaining: '-' }, { format: 'bytes  {bar} {percentage}%  {done}/{todo}  {rate}  ETA {remaining}' });
  const files = multi.create(1, 0, { failed: 0, status: 'in_queue' }, { format: 'files  {bar} {value}/{total}  {failed} failed  [{status}]' });
  let shown = 0;
  let status = 'in_queue';
  return {
    state: (s) => {
      status = s;
      files.update({ status: s });
    },
    progress: (e) => {
      bytes.setTotal(Math.max(1, e.size_todo));
      bytes.update(e.size_done, { done: formatBytes(e.size_done), todo: formatBytes(e.size_todo), rate: formatRate(e.bandwidth), remaining: formatDuration(e.eta_seconds) });
      files.setTotal(Math.max(1, e.nodes_todo));
      files.update(e.nodes_done, { failed: e.files_failed, status });
    },
    failed: (f) => {
      if (++shown <= MAX_FAILED_SHOWN) multi.log(`failed: ${f.src_path}: ${f.error ?? f.error_class ?? 'error'}\n`);
    },
    stop: () => multi.stop(),
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Result of a watch: the final execution and the failures the stream reported. */
export interface WatchResult {
  execution: Execution;
  failed: FailedFile[];
  interrupted: boolean;
}

/**
 * Follows an execution until it ends (or Ctrl-C, which leaves it running). Errors the API gives
 * for the execution itself (404, 403) end the watch; network trouble is retried for a while. A
 * server without the events stream (older Nodeum-compatible ones answer 404 there while the
 * execution exists) is polled once a second instead.
 */
export async function watchExecution(ctx: Context, client: ApiClient, id: string): Promise<WatchResult> {
  const display: Display = ctx.json ? { state() {}, progress() {}, failed() {}, stop() {} } : ctx.io.stderr.isTTY ? await barDisplay(ctx) : plainDisplay(ctx);
  const path = `/task_executions/${encodeURIComponent(id)}`;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const failed: FailedFile[] = [];
  let final: Execution | undefined;
  let last: Execution | undefined;
  let troubles = 0;
  let streaming = true;
  try {
    while (!final && !abort.signal.aborted) {
      if (streaming) {
        try {
          const res = await client.stream(`${path}/events`, abort.signal);
          troubles = 0;
          for await (const ev of sseEvents(res)) {
            const data = JSON.parse(ev.data) as Record<string, unknown>;
            if (ev.event === 'state') display.state(String(data.status));
            else if (ev.event === 'progress') display.progress((last = data as unknown as Execution));
            else if (ev.event === 'file_failed') {
              failed.push(data as unknown as FailedFile);
              display.failed(data as unknown as FailedFile);
            } else if (ev.event === 'end') {
              final = data as unknown as Execution;
              display.progress(final);
            }
          }
        } catch (err) {
          if (abort.signal.aborted) break;
          if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)) streaming = false; // the GET below tells a missing execution from a missing stream
          else if (err instanceof ApiError && err.status < 500) throw err;
          else if (++troubles > 30) throw err;
        }
        if (final || abort.signal.aborted) break;
      }
      // No stream, or it closed without `end` (proxy, restart): look, then go on after a pause.
      try {
        const now = await client.get<Execution>(path);
        if (!streaming) {
          if (now.status !== last?.status) display.state(now.status);
          display.progress((last = now));
        }
        if (isTerminal(now.status)) final = now;
      } catch (err) {
        if (err instanceof ApiError && err.status < 500) throw err;
        if (++troubles > 30) throw err;
      }
      if (!final) await wait(streaming ? Math.min(5000, 250 * 2 ** Math.min(troubles, 5)) : 1000, abort.signal);
    }
  } finally {
    process.off('SIGINT', onSigint);
    display.stop();
  }
  if (final) return { execution: final, failed, interrupted: false };
  if (last) return { execution: last, failed, interrupted: true };
  throw new CliError(`stopped watching execution ${id}`, 130);
}

/** Prints the end of a watch for people (or the execution as JSON) and returns the exit code. */
export function reportWatch(ctx: Context, r: WatchResult): number {
  const e = r.execution;
  if (r.interrupted) {
    ctx.note(`stopped watching; execution ${e.id} is still ${e.status} (barge exec watch ${e.id})`);
    return 130;
  }
  if (ctx.json) {
    ctx.printJson(e);
    return exitCodeFor(e.status);
  }
  const seconds = e.started_at && e.finished_at ? (Date.parse(e.finished_at) - Date.parse(e.started_at)) / 1000 : null;
  const took = seconds === null ? '-' : seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
  ctx.out(`${e.status}: ${e.nodes_done} file${e.nodes_done === 1 ? '' : 's'}, ${formatBytes(e.size_done)} in ${took}${seconds ? ` (${formatRate(e.size_done / Math.max(seconds, 0.001))})` : ''}, ${e.files_failed} failed`);
  ctx.out(`execution ${e.id}`);
  if (e.error) ctx.out(`error: ${e.error}`);
  for (const f of r.failed.slice(0, MAX_FAILED_SHOWN)) ctx.out(`  failed ${f.src_path}: ${f.error ?? f.error_class ?? 'error'}`);
  if (e.files_failed > 0) ctx.out(`failed files: barge exec files ${e.id} --status failed`);
  return exitCodeFor(e.status);
}
