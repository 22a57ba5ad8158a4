/**
 * The scan catalog as the API shows it (issue #13): how a recorded path splits into a name and an
 * extension, Nodeum's notation of permissions, and the buckets of the statistics facets (ages and
 * sizes). Pure rules: the store keeps `name`/`extension` columns computed by `fileNameParts` (so they
 * can be filtered and grouped in SQL on both dialects), and the statistics service names the buckets.
 */

/** A recorded path's last segment and its extension (lower case, without the dot; null when it has none). */
export interface FileNameParts {
  name: string;
  extension: string | null;
}

/** Longest extension kept: past this, the text after the last dot is a name part, not a file type. */
const MAX_EXTENSION = 32;

/**
 * `/a/b/Photo.JPG` → `{name: 'Photo.JPG', extension: 'jpg'}`. Why these rules: the extension is what
 * file types are counted by, so case is folded (`JPG` and `jpg` are one type), and a dot-file
 * (`.bashrc`), a name ending in a dot or an over-long tail has none — they are not types.
 */
export function fileNameParts(path: string): FileNameParts {
  const trimmed = path.replace(/\/+$/, '');
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1) : '';
  return { name, extension: ext === '' || ext.length > MAX_EXTENSION ? null : ext.toLowerCase() };
}

/** Normalizes an `extension` filter value the way extensions are stored: no leading dot, lower case. */
export function normalizeExtension(value: string): string {
  return value.replace(/^\./, '').toLowerCase();
}

/**
 * Nodeum's `permission`: the file's `st_mode` written in octal digits and read as a decimal number
 * (a regular file with mode 0644 is `100644`, as `ls`/`stat` users read it). Barge records the
 * permission bits only (`mode`), and the catalog holds regular files, hence the file type bits.
 */
export function nodeumPermission(mode: number | null): number | null {
  return mode === null ? null : Number((0o100000 | (mode & 0o7777)).toString(8));
}

/** One bucket of a facet: values below `below` (the last bucket has no bound). */
export interface Bucket {
  key: string;
  below: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Nodeum's age buckets (`by_date_facet`), by modification date. Disjoint: a file counts in exactly one
 * (modified 10 days ago → `less_1_month` only), so the buckets of a chart add up to the total. Nodeum's
 * `in_cache` (files in its cache tier) has no meaning in Barge and is left out.
 */
export const AGE_BUCKETS: readonly Bucket[] = [
  { key: 'less_1_week', below: 7 * DAY_MS },
  { key: 'less_1_month', below: 30 * DAY_MS },
  { key: 'less_3_months', below: 91 * DAY_MS },
  { key: 'less_6_months', below: 182 * DAY_MS },
  { key: 'less_1_year', below: 365 * DAY_MS },
  { key: 'less_2_years', below: 730 * DAY_MS },
  { key: 'more_2_years', below: null },
];

/** Nodeum's size buckets (`size_to_date_facets`), disjoint, in decimal units as their names say (1 kB = 1000 bytes). */
export const SIZE_BUCKETS: readonly Bucket[] = [
  { key: 'less_100_kb', below: 100e3 },
  { key: 'less_1_mb', below: 1e6 },
  { key: 'less_10_mb', below: 10e6 },
  { key: 'less_100_mb', below: 100e6 },
  { key: 'less_1_gb', below: 1e9 },
  { key: 'less_10_gb', below: 10e9 },
  { key: 'less_100_gb', below: 100e9 },
  { key: 'more_100_gb', below: null },
];

/** The index of the bucket a value falls in (for tests and in-memory use; SQL uses the same bounds). */
export function bucketIndex(buckets: readonly Bucket[], value: number): number {
  const i = buckets.findIndex((b) => b.below !== null && value < b.below);
  return i < 0 ? buckets.length - 1 : i;
}
