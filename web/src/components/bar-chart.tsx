/**
 * A horizontal bar chart in SVG, for the dashboard's counts per category (extensions, size and age
 * buckets, owners, storages, statuses). Drawn here rather than with a chart library: a few rects and
 * texts are all these charts need, the bundle stays small with no dependency to keep up, and the
 * markup stays ours to make accessible — the chart is a list whose items name their bar and value
 * (read by screen readers, and by tests), each bar has a tooltip, and the bars carry their label and
 * value as data attributes. Horizontal because category labels (storage names, workflows) are long.
 */
import type { ReactNode } from 'react';
import type { Tone } from './ui';

export interface Bar {
  /** Stable key (a bucket's value). */
  key: string;
  label: string;
  value: number;
  /** Shown after the value ("8 B"), and read with it. */
  detail?: string;
  tone?: Tone;
}

interface Props {
  /** What the chart shows: its accessible name. */
  title: string;
  bars: Bar[];
  /** The value as text (a count, bytes). */
  format: (value: number) => string;
  /** Shown instead when there is nothing to draw (no bars, or all zero). */
  empty: ReactNode;
  /** A test and style hook: `data-chart`. */
  name?: string;
}

const W = 560;
const LABEL_W = 130;
const VALUE_W = 170;
const ROW = 26;
const BAR = 16;
const PAD = 6;
const MAX_LABEL = 20;

/** A label that fits the label column (the whole label is in the tooltip). */
export function shortLabel(label: string, max = MAX_LABEL): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** Bar widths in the plot, proportional to the largest value (exported for tests). */
export function barWidths(values: number[], width = W - LABEL_W - VALUE_W): number[] {
  const max = Math.max(0, ...values);
  return values.map((v) => (max > 0 ? Math.max(0, (v / max) * width) : 0));
}

export function BarChart({ title, bars, format, empty, name }: Props) {
  if (bars.length === 0 || bars.every((b) => b.value <= 0)) {
    return <div className="chart-empty chart-empty-sm" data-chart={name} data-empty>{empty}</div>;
  }
  const widths = barWidths(bars.map((b) => b.value));
  const height = bars.length * ROW + PAD * 2;
  return (
    <svg className="chart bar-chart" viewBox={`0 0 ${W} ${height}`} role="list" aria-label={title} data-chart={name}>
      <line x1={LABEL_W} x2={LABEL_W} y1={PAD / 2} y2={height - PAD / 2} className="chart-axis" />
      {bars.map((b, i) => {
        const y = PAD + i * ROW;
        const w = widths[i] as number;
        const text = `${format(b.value)}${b.detail ? ` · ${b.detail}` : ''}`;
        const spoken = `${b.label}: ${text}`;
        return (
          <g key={b.key} role="listitem" aria-label={spoken}>
            <title>{spoken}</title>
            <text x={LABEL_W - 8} y={y + ROW / 2 + 4} textAnchor="end" className="chart-label chart-category">{shortLabel(b.label)}</text>
            <rect x={LABEL_W} y={y + (ROW - BAR) / 2} width={w.toFixed(1)} height={BAR} rx={3} className={`chart-bar chart-bar-${b.tone ?? 'blue'}`} data-label={b.label} data-value={b.value} />
            <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} className="chart-label chart-value">{text}</text>
          </g>
        );
      })}
    </svg>
  );
}
