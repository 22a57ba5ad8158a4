/**
 * Bandwidth over time, drawn as SVG from the live `progress` events (no chart library): an area
 * under the line, a light grid with human units on the y axis, and elapsed time on the x axis.
 */
import { formatDuration, formatRate } from '../lib/format';

export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  /** Bytes per second. */
  bw: number;
}

const W = 640;
const H = 180;
const PAD = { l: 64, r: 12, t: 12, b: 24 };

/**
 * A round axis maximum above v in the binary unit the labels use (KiB/s, MiB/s…), chosen so that the
 * quarter gridlines are round too: 2 MiB/s gives 0.5, 1, 1.5, 2.
 */
export function niceMax(v: number): number {
  if (v <= 0) return 1024;
  let unit = 1;
  while (v / unit >= 1024) unit *= 1024;
  const x = v / unit;
  const exp = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 4, 8, 10]) if (m * exp >= x) return m * exp * unit;
  return 10 * exp * unit;
}

/** Polyline points for samples in the plot box (exported for tests). */
export function chartPoints(samples: Sample[], yMax: number): Array<[number, number]> {
  if (samples.length === 0) return [];
  const t0 = (samples[0] as Sample).t;
  const span = Math.max(1000, (samples[samples.length - 1] as Sample).t - t0);
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  return samples.map((s) => [PAD.l + ((s.t - t0) / span) * pw, PAD.t + ph - (Math.min(s.bw, yMax) / yMax) * ph]);
}

/** Samples further apart than this are not joined: no events came (paused), so there is no data. */
const GAP_MS = 2500;

/** Splits point indexes into runs without gaps (exported for tests). */
export function segments(samples: Sample[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= samples.length; i++) {
    if (i === samples.length || (samples[i] as Sample).t - (samples[i - 1] as Sample).t > GAP_MS) {
      out.push([start, i]);
      start = i;
    }
  }
  return out;
}

export function BandwidthChart({ samples }: { samples: Sample[] }) {
  if (samples.length < 2) {
    return <div className="chart-empty">Bandwidth is charted live while the execution moves data.</div>;
  }
  const peak = Math.max(...samples.map((s) => s.bw));
  const yMax = niceMax(peak * 1.1);
  const pts = chartPoints(samples, yMax);
  const baseY = H - PAD.b;
  const span = ((samples[samples.length - 1] as Sample).t - (samples[0] as Sample).t) / 1000;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Bandwidth over the last ${formatDuration(span)}, peak ${formatRate(peak)}`}>
      <defs>
        <linearGradient id="bw-fill" x1="0" x2="0" y1="0" y2="1">
          <stop offset="0%" stopColor="#3b82f6" stopOpacity="0.35" />
          <stop offset="100%" stopColor="#3b82f6" stopOpacity="0.02" />
        </linearGradient>
      </defs>
      {ticks.map((f) => {
        const y = PAD.t + (H - PAD.t - PAD.b) * (1 - f);
        return (
          <g key={f}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y} y2={y} className="chart-grid" />
            <text x={PAD.l - 8} y={y + 4} textAnchor="end" className="chart-label">{formatRate(yMax * f)}</text>
          </g>
        );
      })}
      {segments(samples).map(([a, b]) => {
        const seg = pts.slice(a, b);
        const line = seg.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
        const first = seg[0] as [number, number];
        const last = seg[seg.length - 1] as [number, number];
        return (
          <g key={a}>
            {seg.length > 1 && <path d={`M${first[0].toFixed(1)},${baseY} L${line.replaceAll(' ', ' L')} L${last[0].toFixed(1)},${baseY} Z`} fill="url(#bw-fill)" />}
            {seg.length > 1 ? <polyline points={line} fill="none" className="chart-line" /> : <circle cx={first[0]} cy={first[1]} r={2} className="chart-dot" />}
          </g>
        );
      })}
      <text x={PAD.l} y={H - 6} className="chart-label">−{formatDuration(span)}</text>
      <text x={W - PAD.r} y={H - 6} textAnchor="end" className="chart-label">now</text>
    </svg>
  );
}
