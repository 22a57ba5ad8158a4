/**
 * Numbers as an operator reads them: binary sizes (a share's df and ls both speak KiB/MiB/GiB),
 * rates, durations and "3 min ago". Pure, so unit tested and usable anywhere.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1536 → "1.5 KiB"; three significant digits at most, never "1024 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 0) return '-' + formatBytes(-bytes);
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  // Rounding may carry to 1024 (1023.96 KiB → "1024 KiB"): step up a unit instead.
  let text = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (Number(text) >= 1024 && u < UNITS.length - 1) {
    u += 1;
    text = (v / 1024).toFixed(2);
  }
  return `${text.replace(/\.0+$|(\.\d*?)0+$/, '$1')} ${UNITS[u]}`;
}

/** Bytes per second → "12.5 MiB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (!bytesPerSecond || bytesPerSecond <= 0) return '0 B/s';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds → "45 s", "3 min 20 s", "2 h 05 min", "3 d 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** An ISO instant relative to `now`: "just now", "5 min ago", "in 2 h", "3 days ago". */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  if (abs < 10) return 'just now';
  const [n, unit] =
    abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.floor(abs / 60), 'min'] : abs < 86_400 ? [Math.floor(abs / 3600), 'h']
      : abs < 30 * 86_400 ? [Math.floor(abs / 86_400), abs < 2 * 86_400 ? 'day' : 'days'] : [Math.floor(abs / (30 * 86_400)), abs < 60 * 86_400 ? 'month' : 'months'];
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** The exact local time, for tooltips next to relative times. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** 12345 → "12,345" (file counts). */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** snake_case enum values as labels: "finished_with_warnings" → "Finished with warnings". */
export function humanize(value: string | null | undefined): string {
  if (!value) return '';
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Percent done by size, falling back to files (0–100, one decimal). */
export function percentDone(e: { size_done: number; size_todo: number; nodes_done: number; nodes_todo: number }): number {
  const [done, todo] = e.size_todo > 0 ? [e.size_done, e.size_todo] : [e.nodes_done, e.nodes_todo];
  if (todo <= 0) return 0;
  return Math.min(100, Math.round((done / todo) * 1000) / 10);
}
