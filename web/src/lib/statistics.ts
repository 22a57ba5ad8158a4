/**
 * The dashboard's numbers: Nodeum's statistics facets (`GET /statistics/*`) fetched together, and
 * turned into the bars the charts draw. The bucket keys come from the generated contract (AgeKey,
 * SizeKey): a bucket renamed in the API fails the build here, not silently on the page.
 */
import type { Bar } from '../components/bar-chart';
import { statusLabel, statusTone } from '../components/ui';
import { get } from './api';
import type {
  AgeKey, ByDateFacet, ByExtensionFacet, ByOwnerFacet, BySizeFacet, FileFacet, SizeKey, StorageFacet, TaskStatusFacet, TaskWorkflowFacet,
} from './catalog-types';
import { formatBytes, formatCount, humanize } from './format';

export interface Statistics {
  byDate: ByDateFacet;
  bySize: BySizeFacet;
  byExtension: ByExtensionFacet;
  byOwner: ByOwnerFacet;
  storage: StorageFacet;
  byStatus: TaskStatusFacet;
  byWorkflow: TaskWorkflowFacet;
}

/** How many extensions and owners the charts show (the largest by file count). */
export const TOP = 12;

export async function loadStatistics(signal?: AbortSignal): Promise<Statistics> {
  const s = <T>(path: string) => get<T>(`/statistics/${path}`, signal);
  const [byDate, bySize, byExtension, byOwner, storage, byStatus, byWorkflow] = await Promise.all([
    s<ByDateFacet>('by_date'), s<BySizeFacet>('by_size'), s<ByExtensionFacet>(`by_file_extension?limit=${TOP}`), s<ByOwnerFacet>(`by_user_owner?limit=${TOP}`),
    s<StorageFacet>('storage'), s<TaskStatusFacet>('task_by_status'), s<TaskWorkflowFacet>('task_by_workflow'),
  ]);
  return { byDate, bySize, byExtension, byOwner, storage, byStatus, byWorkflow };
}

/** Age buckets, youngest first (disjoint: they add up to the total). */
export const AGE_LABELS: Record<AgeKey, string> = {
  less_1_week: '< 1 week', less_1_month: '1 week – 1 month', less_3_months: '1–3 months', less_6_months: '3–6 months',
  less_1_year: '6–12 months', less_2_years: '1–2 years', more_2_years: '> 2 years',
};

/** Size buckets, smallest first, in the API's decimal units (1 kB = 1000 bytes). */
export const SIZE_LABELS: Record<SizeKey, string> = {
  less_100_kb: '< 100 kB', less_1_mb: '100 kB – 1 MB', less_10_mb: '1–10 MB', less_100_mb: '10–100 MB',
  less_1_gb: '100 MB – 1 GB', less_10_gb: '1–10 GB', less_100_gb: '10–100 GB', more_100_gb: '≥ 100 GB',
};

const files = (n: number) => `${formatCount(n)} ${n === 1 ? 'file' : 'files'}`;
export const formatFiles = files;
export const formatExecutions = (n: number) => `${formatCount(n)} ${n === 1 ? 'execution' : 'executions'}`;

/** A file facet as a bar: the file count, with the bytes as detail. */
function fileBar(key: string, label: string, f: FileFacet | undefined): Bar {
  return { key, label, value: f?.files_count ?? 0, detail: formatBytes(f?.file_size_sum ?? 0) };
}

export function ageBars(f: ByDateFacet): Bar[] {
  return (Object.keys(AGE_LABELS) as AgeKey[]).map((k) => fileBar(k, AGE_LABELS[k], f[k]));
}

export function sizeBars(f: BySizeFacet): Bar[] {
  return (Object.keys(SIZE_LABELS) as SizeKey[]).map((k) => fileBar(k, SIZE_LABELS[k], f[k]));
}

/** `val` null gathers the files without an extension. */
export function extensionBars(f: ByExtensionFacet): Bar[] {
  return (f.file_extension_s?.buckets ?? []).map((b) => fileBar(String(b.val ?? ''), b.val === null || b.val === undefined ? '(no extension)' : String(b.val), b));
}

/** `val` is a uid; null gathers the files with no recorded owner. */
export function ownerBars(f: ByOwnerFacet): Bar[] {
  return (f.user_owner_id_l?.buckets ?? []).map((b) => fileBar(String(b.val ?? ''), b.val === null || b.val === undefined ? '(unknown owner)' : `uid ${String(b.val)}`, b));
}

/** What the catalog holds per storage, by bytes. */
export function storageBars(f: StorageFacet): Bar[] {
  return (f.by_storage?.buckets ?? []).map((b) => ({
    key: b.val ?? '', label: b.name ?? b.val ?? 'unknown storage', value: b.file_size_sum ?? 0, detail: files(b.files_count ?? 0), tone: b.type === 'cloud' ? 'indigo' : 'blue',
  }));
}

export function statusBars(f: TaskStatusFacet): Bar[] {
  return (f.status?.buckets ?? []).map((b) => ({ key: b.val ?? '', label: statusLabel(b.val ?? ''), value: b.count ?? 0, tone: statusTone(b.val ?? '') }));
}

/** One bar per workflow action, its workflow type as detail. */
export function workflowBars(f: TaskWorkflowFacet): Bar[] {
  return (f.type?.buckets ?? []).flatMap((t) => (t.action?.buckets ?? []).map((a) => ({
    key: `${t.val}/${a.val}`, label: humanize(a.val), value: a.count ?? 0, detail: humanize(t.val).toLowerCase(),
  })));
}
