/**
 * `barge copy SRC... DST` and `barge move SRC... DST`: the everyday path — create a copy/move task
 * from `STORAGE:PATH` arguments and flags, run it, and (with --watch) follow it to the end.
 */
import type { Command } from 'commander';
import type { Context, Runner } from '../context.js';
import { UsageError } from '../errors.js';
import { addTaskOptionFlags, taskOptions, type TaskOptionFlags } from '../flags.js';
import { StorageResolver, toEndpoints } from '../locations.js';
import { runAndMaybeWatch } from './tasks.js';
import { dryRunAndReport } from './dry-run.js';

interface TransferFlags extends TaskOptionFlags {
  name?: string;
  watch?: boolean;
  type?: string;
  dryRun?: boolean;
}

async function transfer(ctx: Context, action: 'copy' | 'move', paths: string[], f: TransferFlags, cmd: Command): Promise<number> {
  if (paths.length < 2) throw new UsageError(`${action} needs at least one source and a destination: barge ${action} SRC... DST`);
  const sourcesRaw = paths.slice(0, -1);
  const destRaw = paths[paths.length - 1] as string;
  const client = await ctx.client();
  const resolver = new StorageResolver(client);
  const sources = await toEndpoints(resolver, sourcesRaw);
  const destinations = await toEndpoints(resolver, [destRaw]);
  const { options, metadata } = taskOptions(cmd, f);
  const body: Record<string, unknown> = {
    name: f.name ?? `${action} ${sourcesRaw.join(' ')} → ${destRaw} (${new Date().toISOString().slice(0, 19).replace('T', ' ')})`,
    workflow_type: f.type ?? 'data_migration',
    workflow_action: action,
    options,
    sources,
    destinations,
  };
  if (Object.keys(metadata).length) body.metadata = { task: metadata };
  const task = await client.post<{ id: string }>('/tasks', body);
  if (!ctx.json) ctx.note(`task ${task.id}`);
  if (f.dryRun) {
    const code = await dryRunAndReport(ctx, task.id);
    if (!ctx.json) ctx.note(`nothing was written; run it for real: barge task run ${task.id}`);
    return code;
  }
  return runAndMaybeWatch(ctx, `/tasks/${encodeURIComponent(task.id)}/action/run`, undefined, f.watch, { task_id: task.id });
}

/** Registers `barge copy` and `barge move`. */
export function registerTransfer(program: Command, run: Runner): void {
  for (const action of ['copy', 'move'] as const) {
    const cmd = program
      .command(`${action} <paths...>`)
      .description(`${action} SRC... to DST, each STORAGE:PATH (STORAGE: a NAS share or cloud bucket name or id)${action === 'move' ? '; sources are removed once verified' : ''}`)
      .option('--name <name>', 'task name (default: generated)')
      .option('--type <workflow_type>', 'workflow type of the task', 'data_migration')
      .option('--watch', 'show live progress until the end (exit 0 done, 3 warnings, 4 error, 5 stopped)')
      .option('--dry-run', 'create the task and preview it: print what would be copied, renamed, overwritten or skipped (and an ETA); write nothing');
    addTaskOptionFlags(cmd)
      .addHelpText('after', `\nExample:\n  barge ${action} src:/photos dst:/archive --checksum xxhash64 --watch`)
      .action(run.action<TransferFlags>((ctx, [paths], f, c) => transfer(ctx, action, paths as string[], f, c)));
  }
}
