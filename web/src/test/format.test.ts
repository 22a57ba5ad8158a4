/** Sizes, rates, durations and relative times as the console prints them. */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate, formatRelative, humanize, percentDone } from '../lib/format';

describe('formatBytes', () => {
  it('uses binary units with at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 * 1024 + 512 * 1024)).toBe('10.5 MiB');
    expect(formatBytes(123.4 * 1024 ** 3)).toBe('123 GiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
  });
  it('never prints 1024 of a unit', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MiB');
  });
  it('shows a dash for missing values', () => {
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('rates, durations, counts', () => {
  it('formats', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(2.5 * 1024 * 1024)).toBe('2.5 MiB/s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(2 * 3600 + 5 * 60)).toBe('2 h 05 min');
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatDuration(null)).toBe('—');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(humanize('finished_with_warnings')).toBe('Finished with warnings');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('speaks like a person', () => {
    expect(formatRelative('2025-06-01T11:59:55Z', now)).toBe('just now');
    expect(formatRelative('2025-06-01T11:59:30Z', now)).toBe('30 s ago');
    expect(formatRelative('2025-06-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2025-06-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2025-05-31T12:00:00Z', now)).toBe('1 day ago');
    expect(formatRelative('2025-05-29T12:00:00Z', now)).toBe('3 days ago');
    expect(formatRelative('2025-06-01T14:00:00Z', now)).toBe('in 2 h');
    expect(formatRelative(null, now)).toBe('—');
  });
});

describe('percentDone', () => {
  it('uses sizes, or files when there is no size', () => {
    expect(percentDone({ size_done: 512, size_todo: 1024, nodes_done: 0, nodes_todo: 9 })).toBe(50);
    expect(percentDone({ size_done: 0, size_todo: 0, nodes_done: 1, nodes_todo: 3 })).toBe(33.3);
    expect(percentDone({ size_done: 0, size_todo: 0, nodes_done: 0, nodes_todo: 0 })).toBe(0);
  });
});
