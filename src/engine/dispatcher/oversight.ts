/**
 * What the dispatcher watches besides the queue while a run goes on: the storage rights of the run's
 * owner (a withdrawn right stops the run) and, when its batches wait, whether any live mover reaches
 * its storages (if none does, the run's log says so; it waits, it does not fail).
 */
import type { Logger } from 'pino';
import { Progress } from '../../domain/execution.js';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import type { AccessGuard } from './access-guard.js';

/** What the dispatcher knows of movers (their rows: mover/presence.ts), to say why a run waits. */
export interface MoverDirectory {
  /** Movers heard of since `since` and not stopped; `storages` is their JSON list of `{id, name}`, or `"*"`. */
  live(since: string): Promise<Array<{ name: string; storages: string }>>;
  storageNames(ids: string[]): Promise<Map<string, string>>;
}

/** How long queued batches may wait unclaimed before the dispatcher looks for a reason. */
export const WAIT_CHECK_MS = 5_000;

/** What the checks read and write. */
export interface OversightDeps {
  executions: ExecutionRepository;
  access: AccessGuard;
  clock: Clock;
  log: Logger;
  /** Re-reads the execution into its context (the walk and the movers see the new state). */
  refresh(executionId: string): Promise<ExecutionRow | undefined>;
  kickMovers(): void;
}

/**
 * A right withdrawn while the run goes on: the execution stops as a user's stop would (files in
 * flight finish, nothing new starts) and ends `stopped_by_system`, the reason in `error` and `log`.
 * Written before it is acted on, so a restart in between still ends it that way.
 */
export async function stopIfAccessWithdrawn(ctx: ExecutionContext, d: OversightDeps): Promise<void> {
  try {
    const row = await d.executions.findById(ctx.id);
    if (!row || !['calculating', 'in_progress', 'paused'].includes(row.state)) return;
    const refusal = await d.access.refusal(row);
    if (refusal === undefined) return;
    const reason = `stopped: a storage right was withdrawn (${refusal})`;
    const log = JSON.stringify([...JSON.parse(row.log ?? '[]'), reason]);
    const progress = (Number(row.progress) | Progress.STOPPED) & ~Progress.PAUSED;
    if (await d.executions.transition(row.id, row.state, { state: 'stopping', progress, error: reason, log, updated_at: d.clock.now().toISOString() }, Number(row.progress))) {
      d.log.warn({ execution: row.id, reason }, 'execution stopped: storage right withdrawn');
      await d.refresh(row.id);
      d.kickMovers();
    }
  } catch (err) {
    d.log.error({ err, execution: ctx.id }, 'storage right check failed');
  }
}

/**
 * Batches wait and no mover takes them: if no live mover reaches every storage of the execution,
 * say so in its log (once) — the run waits for one; it does not fail.
 */
export async function explainWait(ctx: ExecutionContext, noted: Set<string>, directory: MoverDirectory, d: OversightDeps): Promise<void> {
  const now = d.clock.now();
  const live = await directory.live(new Date(now.getTime() - 3 * WAIT_CHECK_MS).toISOString());
  const needed = [...new Set([...ctx.sources, ...ctx.destinations].map((s) => s.storageId))];
  const reaches = (m: { storages: string }) => {
    const list = JSON.parse(m.storages) as Array<{ id: string }> | '*';
    return list === '*' || needed.every((id) => list.some((s) => s.id === id));
  };
  if (live.some(reaches)) return;
  const names = await directory.storageNames(needed);
  const note = live.length === 0
    ? 'waiting: no mover is running'
    : `waiting: no live mover reaches every storage of this run (${needed.map((id) => names.get(id) ?? id).join(', ')}); movers: ${live.map((m) => m.name).join(', ')}`;
  if (noted.has(note)) return;
  noted.add(note);
  d.log.warn({ execution: ctx.id }, note);
  const row = await d.executions.findById(ctx.id);
  if (row) await d.executions.update(ctx.id, { log: JSON.stringify([...JSON.parse(row.log ?? '[]'), note]) });
}
