// @vitest-environment jsdom
/**
 * The dashboard's charts: the bar chart draws one labelled bar per value (scaled to the largest) and
 * says when there is nothing to draw; the statistics facets become bars; the page draws the facets of
 * a fake API, and before any scan it says how to fill the catalog.
 */
import { describe, expect, it } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import { BarChart, barWidths, shortLabel } from '../components/bar-chart';
import { formatCount } from '../lib/format';
import { ageBars, extensionBars, ownerBars, sizeBars, statusBars, storageBars, workflowBars } from '../lib/statistics';
import { DashboardPage } from '../pages/dashboard';
import { installFakeApi } from './fake-api';

const api = installFakeApi();

const facet = (files: number, bytes: number) => ({ count: files, files_count: files, file_size_sum: bytes });
const ages = (files: number, bytes: number) => ({
  ...facet(files, bytes), less_1_week: facet(files, bytes), less_1_month: facet(0, 0), less_3_months: facet(0, 0), less_6_months: facet(0, 0),
  less_1_year: facet(0, 0), less_2_years: facet(0, 0), more_2_years: facet(0, 0),
});
const task = (n: number) => ({ count: n, to_process_size_sum: 0, processed_size_sum: 0, to_process_files_sum: 0, processed_files_sum: 0, finalized_files_sum: 0, bandwidth_avg: 0, bandwidth_count: 0, tasks_count: n });

/** The facets of a catalog holding 3 files (2 txt of 8 B, 1 without extension of 1 B) after 2 executions. */
function statistics(files = 3): Record<string, unknown> {
  const empty = files === 0;
  return {
    by_date: ages(files, empty ? 0 : 9),
    by_size: { ...facet(files, 9), less_100_kb: ages(files, 9), less_1_mb: ages(0, 0), less_10_mb: ages(0, 0), less_100_mb: ages(0, 0), less_1_gb: ages(0, 0), less_10_gb: ages(0, 0), less_100_gb: ages(0, 0), more_100_gb: ages(0, 0) },
    by_file_extension: { ...facet(files, 9), file_extension_s: { buckets: empty ? [] : [{ val: 'txt', ...ages(2, 8) }, { val: null, ...ages(1, 1) }] } },
    by_user_owner: { ...facet(files, 9), user_owner_id_l: { buckets: empty ? [] : [{ val: 1000, ...ages(3, 9) }] } },
    storage: {
      count: 2, nas_share: { count: 1, nas_type_i: { buckets: [] }, pool_type_i: { buckets: [] } }, cloud_bucket: { count: 1, cloud_connector_type_i: { buckets: [] }, pool_type_i: { buckets: [] } },
      pool: { count: 0, pool_type_i: { buckets: [] }, pool_content_i: { buckets: [] } },
      by_storage: { buckets: empty ? [] : [{ val: 's1', name: 'projects', type: 'nas', ...facet(3, 9) }] },
    },
    task_by_status: { ...task(2), status: { buckets: [{ val: 'done', ...task(1) }, { val: 'error', ...task(1) }] } },
    task_by_workflow: { ...task(2), type: { buckets: [{ val: 'data_migration', ...task(2), action: { buckets: [{ val: 'scan', ...task(1) }, { val: 'copy', ...task(1) }] } }] } },
  };
}

function serveStatistics(files: number) {
  const stats = statistics(files);
  api.serve(({ path }) => {
    const m = /^\/statistics\/(\w+)/.exec(path);
    if (m) return [200, stats[m[1] as string]];
    if (path.startsWith('/files?')) return [200, { count: 0, files: [] }];
    if (/^\/(nas_shares|nas|cloud_buckets|pools)\?/.test(path)) return [200, { count: 0, [path.slice(1, path.indexOf('?'))]: [] }];
    return undefined;
  });
}

/** The bars of a chart as [label, value, text read out]. */
function bars(chart: Element): Array<[string | null, string | null, string | null]> {
  return [...chart.querySelectorAll('g[role="listitem"]')].map((g) => {
    const rect = g.querySelector('rect');
    return [rect?.getAttribute('data-label') ?? null, rect?.getAttribute('data-value') ?? null, g.getAttribute('aria-label')];
  });
}

describe('BarChart', () => {
  it('draws one labelled bar per value, the largest across the plot', () => {
    render(<BarChart title="Files by extension" name="ext" format={formatCount} empty="nothing"
      bars={[{ key: 'txt', label: 'txt', value: 40, detail: '8 KiB' }, { key: 'jpg', label: 'jpg', value: 10 }, { key: 'md', label: 'md', value: 0 }]} />);
    const chart = screen.getByRole('list', { name: 'Files by extension' });
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect(bars(chart)).toEqual([['txt', '40', 'txt: 40 · 8 KiB'], ['jpg', '10', 'jpg: 10'], ['md', '0', 'md: 0']]);
    const widths = [...chart.querySelectorAll('rect')].map((r) => Number(r.getAttribute('width')));
    expect(widths[0]).toBeCloseTo(4 * (widths[1] as number));
    expect(widths[2]).toBe(0);
    // Each bar has its label and value as text, and a tooltip.
    const txt = within(chart).getByRole('listitem', { name: 'txt: 40 · 8 KiB' });
    expect(txt.querySelector('.chart-category')?.textContent).toBe('txt');
    expect(txt.querySelector('.chart-value')?.textContent).toBe('40 · 8 KiB');
    expect(txt.querySelector('title')?.textContent).toBe('txt: 40 · 8 KiB');
  });

  it('says why it is empty when there is nothing to draw', () => {
    const { container } = render(<BarChart title="t" name="t" format={formatCount} empty="No scan yet" bars={[{ key: 'a', label: 'a', value: 0 }]} />);
    expect(screen.getByText('No scan yet')).toBeTruthy();
    expect(container.querySelector('svg')).toBeNull();
    render(<BarChart title="u" format={formatCount} empty="Nothing here" bars={[]} />);
    expect(screen.getByText('Nothing here')).toBeTruthy();
  });

  it('shortens long labels and scales widths to the largest value', () => {
    expect(shortLabel('a-very-long-storage-name-indeed', 10)).toBe('a-very-lo…');
    expect(shortLabel('short')).toBe('short');
    expect(barWidths([5, 10, 0], 100)).toEqual([50, 100, 0]);
    expect(barWidths([0, 0], 100)).toEqual([0, 0]);
  });
});

describe('statistics as bars', () => {
  const facets = statistics();
  /** A facet of the fixture, as the API's type (the fixture is plain JSON, like the API's answer). */
  const f = (name: string): never => facets[name] as never;
  it('turns each facet into labelled bars', () => {
    expect(extensionBars(f('by_file_extension')).map((b) => [b.label, b.value, b.detail])).toEqual([['txt', 2, '8 B'], ['(no extension)', 1, '1 B']]);
    expect(ownerBars(f('by_user_owner')).map((b) => [b.label, b.value])).toEqual([['uid 1000', 3]]);
    expect(ageBars(f('by_date')).map((b) => b.label)).toEqual(['< 1 week', '1 week – 1 month', '1–3 months', '3–6 months', '6–12 months', '1–2 years', '> 2 years']);
    expect(ageBars(f('by_date')).map((b) => b.value)).toEqual([3, 0, 0, 0, 0, 0, 0]);
    expect(sizeBars(f('by_size')).map((b) => [b.label, b.value]).slice(0, 2)).toEqual([['< 100 kB', 3], ['100 kB – 1 MB', 0]]);
    expect(storageBars(f('storage')).map((b) => [b.label, b.value, b.detail])).toEqual([['projects', 9, '3 files']]);
    expect(statusBars(f('task_by_status')).map((b) => [b.label, b.value, b.tone])).toEqual([['Done', 1, 'green'], ['Error', 1, 'red']]);
    expect(workflowBars(f('task_by_workflow')).map((b) => [b.label, b.value, b.detail])).toEqual([['Scan', 1, 'data migration'], ['Copy', 1, 'data migration']]);
  });
});

describe('DashboardPage', () => {
  it('draws the catalog and the executions as charts', async () => {
    serveStatistics(3);
    await act(async () => {
      render(<DashboardPage />);
    });
    const ext = await screen.findByRole('list', { name: /Files by extension/ });
    expect(bars(ext).map(([label, value]) => [label, value])).toEqual([['txt', '2'], ['(no extension)', '1']]);
    expect(bars(screen.getByRole('list', { name: 'Catalogued bytes per storage' }))[0]?.[0]).toBe('projects');
    expect(bars(screen.getByRole('list', { name: 'Executions by status' })).map(([l]) => l)).toEqual(['Done', 'Error']);
    for (const name of ['Files by size', 'Files by age of their last modification', /Files by owner/, 'Executions by workflow action']) {
      expect(screen.getByRole('list', { name })).toBeTruthy();
    }
    expect(document.querySelector('[data-stat="Files catalogued"] .stat-value')?.textContent).toBe('3');
    expect(api.calls.filter((c) => c.path.startsWith('/statistics/')).map((c) => c.path.split('?')[0]).sort()).toEqual(
      ['by_date', 'by_file_extension', 'by_size', 'by_user_owner', 'storage', 'task_by_status', 'task_by_workflow'].map((f) => `/statistics/${f}`),
    );
  });

  it('says how to fill an empty catalog, and still charts the executions', async () => {
    serveStatistics(0);
    await act(async () => {
      render(<DashboardPage />);
    });
    await screen.findByText('No scan yet');
    expect(screen.getByText(/Run a scan task/)).toBeTruthy();
    expect(screen.queryByRole('list', { name: /Files by extension/ })).toBeNull();
    expect(screen.getByRole('list', { name: 'Executions by status' })).toBeTruthy();
  });

  it('shows the API\'s refusal', async () => {
    api.serve(({ path }) => (path.startsWith('/statistics/') ? [422, { messages: ['Q is a Solr query'], details: {} }] : undefined));
    await act(async () => {
      render(<DashboardPage />);
    });
    expect((await screen.findAllByRole('alert'))[0]?.textContent).toContain('Q is a Solr query');
  });
});
