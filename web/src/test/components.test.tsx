// @vitest-environment jsdom
/** Pure components rendered in jsdom: badges and fields with the API's messages. */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { Field, StatusBadge } from '../components/ui';
import { BandwidthChart, chartPoints, niceMax, segments } from '../components/bandwidth-chart';

afterEach(cleanup);

describe('StatusBadge', () => {
  it('labels and colours a status', () => {
    const { container } = render(<StatusBadge status="finished_with_warnings" />);
    expect(screen.getByText('Warnings')).toBeTruthy();
    expect(container.querySelector('[data-status="finished_with_warnings"] .badge-amber')).not.toBeNull();
  });
  it('says when a task never ran', () => {
    render(<StatusBadge status={null} />);
    expect(screen.getByText('Never run')).toBeTruthy();
  });
});

describe('Field', () => {
  it('shows errors instead of the hint', () => {
    const { container } = render(<Field label="Parallel" hint="how many" errors={['must be greater than 0']}><input /></Field>);
    expect(screen.getByText('must be greater than 0')).toBeTruthy();
    expect(screen.queryByText('how many')).toBeNull();
    expect(container.querySelector('.field-invalid')).not.toBeNull();
  });
});

describe('BandwidthChart', () => {
  it('draws a line from samples, scaled to a round maximum', () => {
    expect(niceMax(1.7 * 1024 * 1024)).toBe(2 * 1024 * 1024);
    expect(niceMax(700 * 1024)).toBe(800 * 1024);
    const pts = chartPoints([{ t: 0, bw: 0 }, { t: 1000, bw: 50 }, { t: 2000, bw: 100 }], 100);
    expect(pts[0]?.[1]).toBeGreaterThan(pts[2]?.[1] as number);
    const { container } = render(<BandwidthChart samples={[{ t: 0, bw: 1024 }, { t: 1000, bw: 4096 }]} />);
    expect(container.querySelector('polyline')?.getAttribute('points')?.split(' ')).toHaveLength(2);
  });
  it('does not join samples across a pause', () => {
    expect(segments([{ t: 0, bw: 1 }, { t: 500, bw: 1 }, { t: 10_000, bw: 1 }, { t: 10_500, bw: 1 }])).toEqual([[0, 2], [2, 4]]);
  });
  it('explains an empty chart', () => {
    render(<BandwidthChart samples={[]} />);
    expect(screen.getByText(/charted live/)).toBeTruthy();
  });
});
