/**
 * `barge dispatcher`, `barge mover` (the engine's roles as processes, injected by the launcher like
 * `barge serve`) and `barge mover list` (the movers the API knows of, admins).
 */
import type { Command } from 'commander';
import type { Runner } from '../context.js';
import { CliError } from '../errors.js';
import { addListFlags, listQuery, type ListFlags } from '../flags.js';
import { formatBytes, formatDate, formatRate, printList, type Column } from '../output.js';

type Row = Record<string, any>;

/** What the launcher provides: running a role in this process. */
export interface RoleHooks {
  dispatcher?: () => Promise<void>;
  mover?: () => Promise<void>;
}

const COLUMNS: Column<Row>[] = [
  { head: 'name', get: (m) => m.name },
  { head: 'state', get: (m) => m.state },
  { head: 'host', get: (m) => `${m.host}:${m.pid}` },
  { head: 'slots', get: (m) => m.slots },
  { head: 'storages', get: (m) => (m.storages === '*' ? '*' : (m.storages as string[]).join(', ') || '-') },
  { head: 'bandwidth', get: (m) => formatRate(m.bandwidth) },
  { head: 'files', get: (m) => m.files_done },
  { head: 'moved', get: (m) => formatBytes(m.bytes_done) },
  { head: 'heard', get: (m) => formatDate(m.last_heartbeat_at) },
];

export function registerRoles(program: Command, run: Runner, hooks: RoleHooks): void {
  program
    .command('dispatcher')
    .description('run a dispatcher in this process: walks, plans and finalizes runs (one active per store, others stand by); BARGE_DATABASE_URL names the store')
    .action(async () => {
      if (!hooks.dispatcher) throw new CliError('this launcher cannot start a dispatcher');
      await hooks.dispatcher();
    });
  const mover = program
    .command('mover')
    .description('run a mover in this process (BARGE_MOVER_NAME, BARGE_MOVER_SLOTS, BARGE_MOVER_STORAGES); `barge mover list` lists the movers')
    .action(async () => {
      if (!hooks.mover) throw new CliError('this launcher cannot start a mover');
      await hooks.mover();
    });
  addListFlags(mover.command('list').description('list the movers of the server (admins): state, what they reach, what they moved'), 'movers', { all: false }).action(
    run.action<ListFlags>(async (ctx, _a, f) => printList(ctx, await (await ctx.client()).get('/movers', listQuery(f)), 'movers', COLUMNS, f.offset)),
  );
}
