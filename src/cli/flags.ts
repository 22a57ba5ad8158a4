/**
 * Flags shared by several commands, parsed once: the list conventions (`--filter`, `--sort`,
 * `--limit`, `--offset`, `--all`) and the task options (`--checksum`, `--conflict`, …) with the
 * mapping to the API's `options` / `metadata.task` objects.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Query } from './http.js';
import { UsageError } from './errors.js';

/** Commander argument parser for a non-negative integer (`--limit 10`). */
export function intArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** Commander collector for repeatable flags (`--filter a --filter b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `--filter` → one query parameter. The attribute comes first, then the API's value: `name=~%raw%`
 * sends `name=~%raw%` (a LIKE), `name=foo` sends `foo` (equality); the shell-friendly forms without
 * the `=` also work for the other operators: `size>=100`, `status!=done`, `created_at><a|b`.
 */
export function parseFilter(raw: string): [string, string] {
  const m = /^([A-Za-z_][\w.]*)(.*)$/s.exec(raw);
  if (!m || m[2] === '' || !/^[=!<>~]/.test(m[2] as string)) throw new UsageError(`bad --filter "${raw}": expected ATTRIBUTE=VALUE, e.g. name=~%raw% or workflow_action=copy`);
  const rest = m[2] as string;
  return [m[1] as string, rest.startsWith('=') ? rest.slice(1) : rest];
}

/** Options of the list flags as commander gives them. */
export interface ListFlags {
  filter?: string[];
  sort?: string;
  limit?: number;
  offset?: number;
  all?: boolean;
}

/**
 * Adds the list flags to a command. `all: false` leaves out `--all` for resources that have no owner
 * (groups), where the API would refuse the parameter.
 */
export function addListFlags(cmd: Command, what: string, opts: { all?: boolean } = {}): Command {
  cmd
    .option('--filter <attr=value>', `filter ${what}, repeatable (e.g. name=~%raw%, created_at>=2025-01-01)`, collect)
    .option('--sort <spec>', 'sort: attribute[:asc|:desc], several joined by | (e.g. "workflow_action:desc|name")')
    .option('--limit <n>', 'page size (API default 100, max 1000)', intArg)
    .option('--offset <n>', 'rows to skip', intArg);
  return opts.all === false ? cmd : cmd.option('--all', "admins: include other users' resources");
}

/** The query of a list request from its flags. */
export function listQuery(f: ListFlags, extra: Query = {}): Query {
  const q: Query = { ...extra };
  if (f.limit !== undefined) q.limit = f.limit;
  if (f.offset !== undefined) q.offset = f.offset;
  if (f.sort) q.sort_by = f.sort;
  if (f.all) q.all = true;
  for (const raw of f.filter ?? []) {
    const [k, v] = parseFilter(raw);
    const prev = q[k];
    q[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v];
  }
  return q;
}

/** Options of the task-option flags as commander gives them. */
export interface TaskOptionFlags {
  checksum?: string;
  conflict?: string;
  parallel?: number;
  priority?: number;
  metadata?: string[];
  option?: string[];
  ignoreHidden?: boolean;
  recursive?: boolean;
  resetFileDate?: boolean;
  fullReport?: boolean;
}

/** Adds the task-option flags (copy, move, task create/update). */
export function addTaskOptionFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--checksum <algo>', 'verify every file with this checksum').choices(['crc32', 'md5', 'xxhash64']))
    .addOption(new Option('--conflict <policy>', 'when the destination file exists').choices(['rename', 'overwrite', 'ignore']))
    .option('--parallel <n>', 'concurrent file transfers of this run', intArg)
    .option('--priority <n>', 'queue priority', intArg)
    .option('--metadata <key=value>', 'task metadata (metadata.task), repeatable', collect)
    .option('--option <key=value>', 'any other task option (value read as JSON when it parses), repeatable', collect)
    .option('--ignore-hidden', 'skip files and folders whose name starts with a dot')
    .option('--no-recursive', 'do not descend into sub-folders')
    .option('--reset-file-date', 'give copied files the current date instead of the source one')
    .option('--full-report', 'record every file in the ledger, not only failures');
}

function keyValue(raw: string, flag: string): [string, string] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`bad ${flag} "${raw}": expected KEY=VALUE`);
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

/** A `--option` value: JSON when it parses (`true`, `4`, `["a"]`), else the text. */
function optionValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * The API's `options` and `metadata.task` from the flags. Only flags given on the command line are
 * included (`recursive` counts only when `--no-recursive` was typed), so `task update` changes just
 * what was asked.
 */
export function taskOptions(cmd: Command, f: TaskOptionFlags): { options: Record<string, unknown>; metadata: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  for (const raw of f.option ?? []) {
    const [k, v] = keyValue(raw, '--option');
    options[k] = optionValue(v);
  }
  if (f.checksum) options.file_checksum = f.checksum;
  if (f.conflict) options.conflict_resolution = f.conflict;
  if (f.parallel !== undefined) options.parallel = f.parallel;
  if (f.priority !== undefined) options.priority = f.priority;
  if (f.ignoreHidden) options.ignore_hidden = true;
  if (cmd.getOptionValueSource('recursive') === 'cli') options.recursive = f.recursive !== false;
  if (f.resetFileDate) options.reset_file_date = true;
  if (f.fullReport) options.full_report = true;
  const metadata: Record<string, unknown> = {};
  for (const raw of f.metadata ?? []) {
    const [k, v] = keyValue(raw, '--metadata');
    metadata[k] = v;
  }
  return { options, metadata };
}
