/**
 * Load generation and reporting for the HTTP benchmarks: one autocannon run per target, whose first
 * seconds are an unmeasured warm-up (JIT, SQLite page cache), reduced to the figures we compare, and
 * a plain-text table of them. Non-2xx responses, socket errors and timeouts are kept and shown, so a
 * run full of 401s cannot pass for a fast one.
 *
 * Warm-up and measurement share ONE run, hence the same connections, and the measured window opens
 * only once every connection has had a response. Since libuv 1.45 (Node 20) a server accepts one
 * connection per event-loop iteration; a saturated server whose iterations are long takes seconds to
 * accept 50 connections, and a window opened earlier measures mostly "waiting to be accepted" (the
 * time that took is reported as the warm-up actually used). Latencies come from autocannon's
 * per-response event (fractional ms), not its whole-ms histogram.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  /** Seconds measured. */
  duration: number;
  /** Seconds of load before measuring (not counted). */
  warmup: number;
  /** The server's cumulative CPU seconds (user + system), sampled when the window opens and closes. */
  cpuSeconds?: () => number | undefined;
}

export interface Measured {
  label: string;
  /** Seconds of load before the window opened (≥ the warm-up asked for; more if accepting was slow). */
  warmupUsed: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  avg: number;
  /** Responses in the measured window (any status). */
  total: number;
  non2xx: number;
  /** Socket errors and timeouts (timeouts included). */
  errors: number;
  timeouts: number;
  /** Status code → count, to show which non-2xx came back. */
  statuses: Record<string, number>;
  /** Responses per connection in the window, fewest and most: a starved connection shows as 0. */
  perConnection: { min: number; max: number };
  /** Server CPU (user + system) per response in the window, µs, when `cpuSeconds` was given. */
  cpuUsPerRequest?: number;
}

/** Longest the window waits for every connection to be answered before it opens anyway. */
const MAX_RAMP_S = 30;

/** One run: warm-up (≥ `warmup` s and until all connections answered), then `duration` s measured. */
export async function measure(label: string, o: LoadOptions): Promise<Measured> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const perClient = new Map<object, number>();
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const t0 = performance.now();
  let from = Infinity;
  let to = Infinity;
  let cpuFrom: number | undefined;
  let cpuTo: number | undefined;
  const run = autocannon({ url: o.url, headers: o.headers ?? {}, connections: o.connections, duration: o.warmup + MAX_RAMP_S + o.duration + 5, timeout: 10 });
  const open = () => {
    if (from !== Infinity) return;
    from = performance.now();
    to = from + o.duration * 1000;
    perClient.forEach((_, c) => perClient.set(c, 0));
    cpuFrom = o.cpuSeconds?.();
    setTimeout(() => {
      cpuTo = o.cpuSeconds?.();
      run.stop();
    }, o.duration * 1000);
  };
  const fallback = setTimeout(open, (o.warmup + MAX_RAMP_S) * 1000);
  const inWindow = () => {
    const now = performance.now();
    return now >= from && now < to;
  };
  run.on('response', (client, status, _bytes, ms) => {
    if (!perClient.has(client)) perClient.set(client, 0);
    if (from === Infinity && perClient.size >= o.connections && performance.now() - t0 >= o.warmup * 1000) open();
    if (!inWindow()) return;
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) latencies.push(ms);
    else non2xx += 1;
  });
  run.on('reqError', (err) => {
    if (!inWindow()) return;
    errors += 1;
    if (/timed out/.test(err.message)) timeouts += 1;
  });
  await run;
  clearTimeout(fallback);
  const seconds = (Math.min(performance.now(), to) - from) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const total = latencies.length + non2xx;
  return {
    label,
    warmupUsed: (from - t0) / 1000,
    reqPerSec: total / seconds,
    p50: at(0.5),
    p99: at(0.99),
    avg: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    total, non2xx, errors, timeouts, statuses,
    // Connections that never answered at all are not in the map: count them as 0.
    perConnection: { min: perClient.size < o.connections ? 0 : Math.min(...perClient.values()), max: Math.max(0, ...perClient.values()) },
    cpuUsPerRequest: cpuFrom !== undefined && cpuTo !== undefined && total > 0 ? ((cpuTo - cpuFrom) * 1e6) / total : undefined,
  };
}

export function statusText(s: Record<string, number>): string {
  return Object.entries(s).map(([code, n]) => `${code}×${n}`).join(', ') || 'none';
}

/** Fixed-width text table; first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same rows as a Markdown table (for README.md). */
export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
