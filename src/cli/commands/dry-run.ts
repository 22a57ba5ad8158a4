/**
 * Dry runs from the command line (issue #11): `barge copy|move … --dry-run` and `barge task dry-run
 * TASK` start one (`PUT /tasks/{id}/action/dry_run`), wait for its end, and print the plan — a line
 * per planned file (operation, size, source, destination, why) and the totals with the ETA — or, with
 * `--json`, `{execution, files}` as the API gives them. Nothing is written: the same task can then be
 * run for real (`barge task run TASK`).
 */
import type { Command } from 'commander';
import type { Context, Runner } from '../context.js';
import { intArg } from '../flags.js';
import type { ApiClient } from '../http.js';
import { formatBytes, formatDuration, formatRate, renderTable } from '../output.js';
import { exitCodeFor, isTerminal, type Execution } from '../watch.js';
import type { LedgerFile } from '../api-types.js';

/** Planned files listed before the rest is left to `barge exec files` (the totals count them all). */
const DEFAULT_ROWS = 1000;
const PAGE = 1000;

/** The terminal execution, polled (a dry run is short; its plan is read once it has ended). */
async function finished(ctx: Context, client: ApiClient, id: string): Promise<Execution> {
  const path = `/task_executions/${encodeURIComponent(id)}`;
  let delay = 100;
  let noted = false;
  for (;;) {
    const e = await client.get<Execution>(path);
    if (isTerminal(e.status)) return e;
    if (e.status === 'paused' && !noted) ctx.note(`dry run ${id} is paused; waiting (barge task resume ${e.task_id ?? ''})`);
    noted ||= e.status === 'paused';
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(1000, delay * 2);
  }
}

/** Up to `max` planned files of an execution, in source order. */
async function plannedFiles(client: ApiClient, id: string, max: number): Promise<{ count: number; files: LedgerFile[] }> {
  const files: LedgerFile[] = [];
  let count = 0;
  for (let offset = 0; offset < max; offset += PAGE) {
    const page = await client.get<{ count: number; files: LedgerFile[] }>(`/task_executions/${encodeURIComponent(id)}/files`, { limit: Math.min(PAGE, max - offset), offset, sort_by: 'src_path' });
    count = page.count;
    files.push(...page.files);
    if (page.files.length === 0 || offset + page.files.length >= count) break;
  }
  return { count, files };
}

/** The plan for people: the table, then the totals per operation and the ETA. */
export function planText(e: Execution, files: LedgerFile[], count: number): string[] {
  const lines: string[] = [];
  if (files.length > 0) {
    lines.push(renderTable(['operation', 'size', 'source', 'destination', 'note'], files.map((f) => [f.operation ?? f.status, formatBytes(f.size), f.src_path, f.dst_path, f.error])));
  }
  if (files.length < count) lines.push(`… ${count - files.length} more planned file(s): barge exec files ${e.id} --limit ${PAGE} --offset ${files.length}`);
  const plan = e.plan;
  if (!plan) {
    lines.push(`dry run ${e.status}: no plan recorded${e.error ? ` (${e.error})` : ''}`);
    return lines;
  }
  const ops = Object.entries(plan.operations ?? {}).map(([op, t]) => `${op} ${t?.files ?? 0} (${formatBytes(t?.bytes ?? 0)})`).join(', ');
  lines.push(`dry run ${e.status}: ${plan.files ?? 0} file(s), ${formatBytes(plan.bytes ?? 0)} to ${e.task?.workflow_action === 'erase' ? 'erase' : 'write'}; ${plan.skipped ?? 0} skipped, ${plan.failed ?? 0} failed${ops ? ` — ${ops}` : ''}`);
  const rate = plan.bandwidth ? `, at ${formatRate(plan.bandwidth)}` : '';
  lines.push(plan.eta_seconds === null || plan.eta_seconds === undefined ? `ETA: unknown (${plan.eta_note ?? 'no measure'})` : `ETA: ${formatDuration(plan.eta_seconds)}${rate} (${plan.eta_note ?? ''})`);
  lines.push(`execution ${e.id} (nothing was written)`);
  return lines;
}

/** Dry-runs a task, waits for its plan and prints it; returns the exit code (as a watched run's). */
export async function dryRunAndReport(ctx: Context, taskId: string, rows = DEFAULT_ROWS): Promise<number> {
  const client = await ctx.client();
  const started = await client.put<{ execution_id: string }>(`/tasks/${encodeURIComponent(taskId)}/action/dry_run`);
  if (!ctx.json) ctx.note(`dry run ${started.execution_id}`);
  const e = await finished(ctx, client, started.execution_id);
  const { count, files } = await plannedFiles(client, e.id, ctx.json ? Number.MAX_SAFE_INTEGER : rows);
  if (ctx.json) ctx.printJson({ execution: e, files });
  else for (const line of planText(e, files, count)) ctx.out(line);
  return exitCodeFor(e.status);
}

/** Registers `barge task dry-run TASK` under `barge task`. */
export function registerDryRun(task: Command, run: Runner): void {
  task
    .command('dry-run <task>')
    .description('preview a run: plan it against the destination, write nothing, print each planned file and the totals with an ETA')
    .option('--rows <n>', `planned files to list (default ${DEFAULT_ROWS}; the totals count them all)`, intArg)
    .action(run.action<{ rows?: number }>((ctx, args, f) => dryRunAndReport(ctx, args[0] as string, f.rows)));
}
