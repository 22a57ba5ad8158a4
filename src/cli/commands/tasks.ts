/**
 * `barge task …`: the Tasks API one command per operation (list, show, create, update, delete, and
 * the actions run, defer, run-defer, pause, resume, stop, force-stop), plus `watch` on a task's
 * current execution.
 */
import { Option, type Command } from 'commander';
import type { Context, Runner } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { addListFlags, addTaskOptionFlags, collect, listQuery, taskOptions, type ListFlags, type TaskOptionFlags } from '../flags.js';
import { StorageResolver, toEndpoints } from '../locations.js';
import { cell, formatDate, printList, renderKeyValues, type Column } from '../output.js';
import { readJsonFile } from '../prompt.js';
import { percent, reportWatch, watchExecution, type Execution } from '../watch.js';
import type { Endpoint, Task } from '../api-types.js';
import { registerDryRun } from './dry-run.js';

// Copies of the API's enums (src/domain/task.ts): the CLI layer may not import the domain (test/architecture.test.ts);
// they only drive --help and completion, the server validates.
const ACTIONS = ['copy', 'move', 'erase', 'scan', 'rehydratation', 'format', 'check_consistency', 'duplication', 'cache_cleaning', 'ejection', 'get_index', 'full_backup', 'incremental_backup', 'restore', 'speedtest'];
const TYPES = ['active_archive', 'offline_archive', 'data_exchange', 'data_migration', 'maintenance', 'data_enrichment'];

const COLUMNS: Column<Task>[] = [
  { head: 'id', get: (t) => t.id },
  { head: 'name', get: (t) => t.name },
  { head: 'action', get: (t) => t.workflow_action },
  { head: 'type', get: (t) => t.workflow_type },
  { head: 'last run', get: (t) => t.last_execution?.status },
  { head: 'done', get: (t) => (t.last_execution ? `${percent(t.last_execution)}%` : null) },
  { head: 'updated', get: (t) => formatDate(t.updated_at) },
];

function endpointText(e: Endpoint): string {
  return `${e.type} ${e.storage_id ?? `pool ${e.pool_id}`}:${e.node_paths.join(',')}`;
}

/** The `show` block of a task for people. */
function taskBlock(t: Task): string {
  return renderKeyValues([
    ['id', t.id],
    ['name', t.name],
    ['comment', t.comment],
    ['action', `${t.workflow_action} (${t.workflow_type})`],
    ['owner', t.user],
    ['sources', t.sources.map(endpointText).join('; ')],
    ['destinations', t.destinations.map(endpointText).join('; ')],
    ['options', Object.keys(t.options).length ? t.options : null],
    ['metadata', Object.keys(t.metadata).length ? t.metadata : null],
    ['created', formatDate(t.created_at)],
    ['updated', formatDate(t.updated_at)],
    ['last run', t.last_execution ? `${t.last_execution.status} ${percent(t.last_execution)}% (execution ${t.last_execution.id})` : null],
  ]);
}

interface BodyFlags extends TaskOptionFlags {
  file?: string;
  name?: string;
  comment?: string;
  action?: string;
  type?: string;
  source?: string[];
  destination?: string[];
}

/** A task body from `--file` and flags (flags win; options and metadata.task merge). */
async function taskBody(ctx: Context, cmd: Command, f: BodyFlags): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = f.file ? await readJsonFile(ctx.io, f.file) : {};
  if (f.name !== undefined) body.name = f.name;
  if (f.comment !== undefined) body.comment = f.comment;
  if (f.action !== undefined) body.workflow_action = f.action;
  if (f.type !== undefined) body.workflow_type = f.type;
  const { options, metadata } = taskOptions(cmd, f);
  if (Object.keys(options).length) body.options = { ...((body.options as object) ?? {}), ...options };
  if (Object.keys(metadata).length) {
    const m = (body.metadata as Record<string, unknown>) ?? {};
    body.metadata = { ...m, task: { ...((m.task as object) ?? {}), ...metadata } };
  }
  if (f.source?.length || f.destination?.length) {
    const resolver = new StorageResolver(await ctx.client());
    if (f.source?.length) body.sources = await toEndpoints(resolver, f.source);
    if (f.destination?.length) body.destinations = await toEndpoints(resolver, f.destination);
  }
  return body;
}

function bodyFlags(cmd: Command, creating: boolean): Command {
  cmd
    .option('--file <task.json>', 'the task as JSON (the API body; - reads stdin); flags override it')
    .option('--name <name>', 'task name')
    .option('--comment <text>', 'comment')
    .addOption(new Option('--action <action>', `workflow action${creating ? ' (default copy)' : ''}`).choices(ACTIONS))
    .addOption(new Option('--type <type>', `workflow type${creating ? ' (default data_migration)' : ''}`).choices(TYPES))
    .option('--source <STORAGE:PATH>', `source (a share or bucket name or id), repeatable${creating ? '' : '; replaces the sources'}`, collect)
    .option('--destination <STORAGE:PATH>', `destination, repeatable${creating ? '' : '; replaces the destinations'}`, collect);
  return addTaskOptionFlags(cmd);
}

/** Runs a task (or a deferred run) and, with --watch, follows it; returns the exit code. */
export async function runAndMaybeWatch(ctx: Context, path: string, query: Record<string, string> | undefined, watch: boolean | undefined, extra: Record<string, unknown> = {}): Promise<number> {
  const client = await ctx.client();
  const run = await client.put<{ execution_id: string; msg?: string }>(path, undefined, query);
  if (!watch) {
    if (ctx.json) ctx.printJson({ ...extra, ...run });
    else ctx.out(run.execution_id);
    return 0;
  }
  if (!ctx.json) ctx.note(`execution ${run.execution_id}`);
  return reportWatch(ctx, await watchExecution(ctx, client, run.execution_id));
}

function id(args: unknown[]): string {
  return encodeURIComponent(args[0] as string);
}

/** Registers `barge task …`. */
export function registerTasks(program: Command, run: Runner): void {
  const task = program.command('task').description('tasks: list, show, create, update, delete, run and control them');

  addListFlags(task.command('list').description('list tasks'), 'tasks').action(
    run.action<ListFlags>(async (ctx, _a, f) => {
      const body = await (await ctx.client()).get('/tasks', listQuery(f));
      printList<Task>(ctx, body, 'tasks', COLUMNS, f.offset);
    }),
  );

  task.command('show <task>').description('show a task (by id, or by its name when unique)').action(
    run.action(async (ctx, args) => {
      const t = await (await ctx.client()).get<Task>(`/tasks/${id(args)}`);
      if (ctx.json) ctx.printJson(t);
      else ctx.out(taskBlock(t));
    }),
  );

  bodyFlags(task.command('create').description('create a task from --file and/or flags'), true)
    .addHelpText('after', '\nExample:\n  barge task create --name nightly --source src:/ --destination dst:/backup --checksum xxhash64')
    .action(
      run.action<BodyFlags>(async (ctx, _a, f, cmd) => {
        const body = await taskBody(ctx, cmd, f);
        body.workflow_action ??= 'copy';
        body.workflow_type ??= 'data_migration';
        if (!body.name) throw new UsageError('a task needs a name: --name NAME (or "name" in --file)');
        const t = await (await ctx.client()).post<Task>('/tasks', body);
        if (ctx.json) ctx.printJson(t);
        else ctx.out(t.id);
      }),
    );

  bodyFlags(task.command('update <task>').description('change a task (only what is given; options merge)'), false).action(
    run.action<BodyFlags>(async (ctx, args, f, cmd) => {
      const body = await taskBody(ctx, cmd, f);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to update: pass --file or flags (see barge task update --help)');
      const t = await (await ctx.client()).put<Task>(`/tasks/${id(args)}`, body);
      if (ctx.json) ctx.printJson(t);
      else ctx.out(taskBlock(t));
    }),
  );

  task.command('delete <task>').description('delete a task').action(
    run.action(async (ctx, args) => {
      await (await ctx.client()).delete(`/tasks/${id(args)}`);
      if (ctx.json) ctx.printJson({ deleted: args[0] });
      else ctx.out(`Deleted task ${args[0]}`);
    }),
  );

  task.command('run <task>').description('run a task; prints the execution id').option('--watch', 'follow the run to its end (exit 0 done, 3 warnings, 4 error, 5 stopped)').action(
    run.action<{ watch?: boolean }>((ctx, args, f) => runAndMaybeWatch(ctx, `/tasks/${id(args)}/action/run`, undefined, f.watch)),
  );

  registerDryRun(task, run);

  task.command('defer <task>').description('prepare a run for later; prints the single-use defer id').action(
    run.action(async (ctx, args) => {
      const r = await (await ctx.client()).put<{ defer_id: string }>(`/tasks/${id(args)}/action/defer_run`);
      if (ctx.json) ctx.printJson(r);
      else ctx.out(r.defer_id);
    }),
  );

  task.command('run-defer <defer_id>').description('run a deferred run by its defer id').option('--watch', 'follow the run to its end').action(
    run.action<{ watch?: boolean }>((ctx, args, f) => runAndMaybeWatch(ctx, '/tasks/-/action/run_defer', { defer_id: args[0] as string }, f.watch)),
  );

  for (const [name, action, what] of [
    ['pause', 'pause', 'pause the running execution'],
    ['resume', 'resume', 'resume a paused execution'],
    ['stop', 'stop', 'stop the execution after the files in flight'],
    ['force-stop', 'force_stop', 'stop the execution now'],
  ] as const) {
    task.command(`${name} <task>`).description(what).action(
      run.action(async (ctx, args) => {
        const r = await (await ctx.client()).put<{ msg?: string }>(`/tasks/${id(args)}/action/${action}`);
        if (ctx.json) ctx.printJson(r);
        else ctx.out(cell(r?.msg ?? `${name}: ok`));
      }),
    );
  }

  task.command('watch <task>').description("follow the task's current (or last) execution to its end").action(
    run.action(async (ctx, args) => {
      const client = await ctx.client();
      const t = await client.get<Task>(`/tasks/${id(args)}`);
      if (!t.last_execution) throw new CliError(`task ${t.id} has never run (barge task run ${t.id})`);
      return reportWatch(ctx, await watchExecution(ctx, client, t.last_execution.id));
    }),
  );
}
