/**
 * `barge exec …`: task executions — list, show, their file ledger (`files --status failed`) and
 * `watch` on one execution.
 */
import type { Command } from 'commander';
import type { Runner } from '../context.js';
import { addListFlags, listQuery, type ListFlags } from '../flags.js';
import { formatBytes, formatDate, formatDuration, formatRate, printList, renderKeyValues, type Column } from '../output.js';
import { percent, reportWatch, watchExecution, type Execution } from '../watch.js';
import type { LedgerFile } from '../api-types.js';

type ExecutionView = Execution;

const EXEC_COLUMNS: Column<ExecutionView>[] = [
  { head: 'id', get: (e) => e.id },
  { head: 'task', get: (e) => e.task?.name ?? e.task_id },
  { head: 'status', get: (e) => e.status },
  { head: 'done', get: (e) => `${percent(e)}%` },
  { head: 'size', get: (e) => `${formatBytes(e.size_done)}/${formatBytes(e.size_todo)}` },
  { head: 'files', get: (e) => `${e.nodes_done}/${e.nodes_todo}` },
  { head: 'failed', get: (e) => e.files_failed },
  { head: 'started', get: (e) => formatDate(e.started_at) },
  { head: 'finished', get: (e) => formatDate(e.finished_at) },
];

const FILE_COLUMNS: Column<LedgerFile>[] = [
  { head: 'status', get: (f) => f.status },
  { head: 'source', get: (f) => f.src_path },
  { head: 'destination', get: (f) => f.dst_path },
  { head: 'size', get: (f) => formatBytes(f.size) },
  { head: 'error', get: (f) => (f.error ? `${f.error_class ?? 'error'}: ${f.error}` : f.error_class) },
];

function execBlock(e: ExecutionView): string {
  return renderKeyValues([
    ['id', e.id],
    ['task', e.task ? `${e.task.name} (${e.task.id}, ${e.task.workflow_action})` : e.task_id],
    ['status', e.status],
    ['done', `${percent(e)}%`],
    ['size', `${formatBytes(e.size_done)} of ${formatBytes(e.size_todo)}`],
    ['files', `${e.nodes_done} of ${e.nodes_todo}, ${e.files_failed} failed`],
    ['bandwidth', formatRate(e.bandwidth)],
    ['eta', formatDuration(e.eta_seconds)],
    ['error', e.error],
    ['created', formatDate(e.created_at)],
    ['started', formatDate(e.started_at)],
    ['finished', formatDate(e.finished_at)],
  ]);
}

/** Registers `barge exec …`. */
export function registerExecs(program: Command, run: Runner): void {
  const exec = program.command('exec').description('task executions: list, show, files, watch');

  addListFlags(exec.command('list').description('list executions (newest first unless --sort)'), 'executions')
    .option('--task <task>', 'only the executions of this task')
    .option('--status <status>', 'only executions in this status (e.g. in_progress, done)')
    .action(
      run.action<ListFlags & { task?: string; status?: string }>(async (ctx, _a, f) => {
        const q = listQuery(f, { sort_by: 'created_at:desc' });
        if (f.status) q.status = f.status;
        const path = f.task ? `/tasks/${encodeURIComponent(f.task)}/task_executions` : '/task_executions';
        printList<ExecutionView>(ctx, await (await ctx.client()).get(path, q), 'task_executions', EXEC_COLUMNS, f.offset);
      }),
    );

  exec.command('show <execution>').description('show an execution').action(
    run.action(async (ctx, [id]) => {
      const e = await (await ctx.client()).get<ExecutionView>(`/task_executions/${encodeURIComponent(id)}`);
      if (ctx.json) ctx.printJson(e);
      else ctx.out(execBlock(e));
    }),
  );

  addListFlags(exec.command('files <execution>').description('the file ledger of an execution (failures always; every file with --full-report)'), 'files')
    .option('--status <status>', 'only files in this status: failed, copied, skipped, done')
    .action(
      run.action<ListFlags & { status?: string }>(async (ctx, [id], f) => {
        const q = listQuery(f);
        if (f.status) q.status = f.status;
        printList<LedgerFile>(ctx, await (await ctx.client()).get(`/task_executions/${encodeURIComponent(id)}/files`, q), 'files', FILE_COLUMNS, f.offset);
      }),
    );

  exec.command('watch <execution>').description('follow an execution to its end (exit 0 done, 3 warnings, 4 error, 5 stopped)').action(
    run.action(async (ctx, [id]) => reportWatch(ctx, await watchExecution(ctx, await ctx.client(), id))),
  );
}
