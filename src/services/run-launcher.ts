/**
 * What every start of an execution goes through, whoever starts it — `run`, `run_defer`, a dry run
 * (ExecutionService) or a schedule's occurrence (the dispatcher, through schedule-runner.ts): whether
 * the task can run now (endpoints, supported action and storage kinds, a restore's backup, the
 * owner's storage rights at this moment) and the execution row it starts as. One place, so a
 * scheduled run can never start where a manual one would be refused, nor look different.
 */
import { DataManagementError } from '../domain/errors.js';
import { endpointKind } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { ExecutionRepository } from '../store/execution-repository.js';
import type { ExecutionRow, TaskEndpointRow } from '../store/schema.js';
import type { OwnedTask, TaskRepository } from '../store/task-repository.js';
import { shapeOf, type TaskShape } from './access-service.js';
import { TAPE_ACTIONS, checkTapeAction, type TapeActionLookup } from './tape-action-check.js';
import { checkPoolDrive } from './tape-drive-check.js';
import { endpointView } from './views.js';
import { checkTapeCatalogAction, type TapeCacheLookup } from './tape-cache-check.js';
import { isTapeCatalogAction } from '../domain/tape.js';

/** What the engine can execute today; other actions and storage kinds are refused with a 422 naming why. */
export const SUPPORTED_ACTIONS = new Set(['copy', 'move', 'erase', 'scan', 'check_consistency', 'restore', 'speedtest', 'full_backup', 'incremental_backup']);

const NEEDS_DESTINATION = new Set(['copy', 'move', 'full_backup', 'incremental_backup', 'restore', 'check_consistency', 'duplication']);
const NEEDS_SOURCE = new Set(['copy', 'move', 'erase', 'scan', 'full_backup', 'incremental_backup', 'restore', 'check_consistency', 'duplication', 'cache_cleaning']);

/**
 * What the engine runs on tape today (engine/tape): an archive — copy or move from one NAS or cloud
 * storage to one tape pool — and a restore — copy from one tape pool to one NAS or cloud storage.
 * Undefined when `action` with these endpoints is one of them, else why not.
 */
function tapeRefusal(action: string, sources: TaskEndpointRow[], destinations: TaskEndpointRow[]): string | undefined {
  const tape = (e: TaskEndpointRow) => endpointKind(e.type) === 'tape';
  const one = sources.length === 1 && destinations.length === 1;
  const archive = one && !tape(sources[0] as TaskEndpointRow) && tape(destinations[0] as TaskEndpointRow) && (action === 'copy' || action === 'move');
  const restore = one && tape(sources[0] as TaskEndpointRow) && !tape(destinations[0] as TaskEndpointRow) && action === 'copy';
  if (archive || restore) {
    const t = (archive ? destinations[0] : sources[0]) as TaskEndpointRow;
    return t.pool_id ? undefined : 'a tape endpoint needs a pool_id (a pool of content tape)';
  }
  return `only an archive (copy or move from one storage to one tape pool) and a restore (copy from one tape pool to one storage) run on tape yet, not ${action} with these endpoints`;
}

/** The storage-privilege check every run passes, with the task owner's rights of that moment. */
export interface RunAccess {
  refusal(ownerId: string, task: TaskShape): Promise<string | undefined>;
}

export class RunLauncher {
  constructor(
    private readonly taskRepo: TaskRepository,
    private readonly executions: ExecutionRepository,
    private readonly access: RunAccess,
    private readonly clock: Clock,
    /** Storage kinds this deployment can move data on (nas; cloud once an s3 driver is registered). */
    private readonly supportedKinds: ReadonlySet<string> = new Set(['nas']),
    /**
     * Why this host cannot run file work as another user (`options.context_uid`), or null when it can
     * (composition root: storage/posix/fs-credentials.ts; tests simulate a host that cannot).
     */
    private readonly contextBlocker: () => string | null = () => null,
    /** Cartridges and owners, for the tape actions (tape-action-check.ts); without it they are refused. */
    private readonly tapes?: TapeActionLookup & TapeCacheLookup,
  ) {}

  /** The task's endpoints when it can run now; otherwise a DataManagementError (422, or 403 for rights) naming why. */
  async checkRunnable(task: OwnedTask): Promise<TaskEndpointRow[]> {
    const endpoints = await this.taskRepo.endpointsFor([task.id]);
    const sources = endpoints.filter((e) => e.role === 'source');
    const destinations = endpoints.filter((e) => e.role === 'destination');
    const action = task.workflow_action;
    const options = JSON.parse(task.options) as Record<string, unknown>;
    const fromBackup = action === 'restore' && typeof options.execution_task_id === 'string' && options.execution_task_id !== '';
    if (fromBackup) await this.checkBackup(task, options.execution_task_id as string);
    if (isTapeCatalogAction(action, endpoints.map((e) => endpointKind(e.type)), options)) return this.checkTapeCatalog(task, action, options, endpoints);
    // A duplication names its cartridges by options.barcodes or by a source tape pool.
    const byBarcodes = action === 'duplication' && Array.isArray(options.barcodes) && options.barcodes.length > 0;
    if (NEEDS_SOURCE.has(action) && sources.length === 0 && !fromBackup && !byBarcodes) throw new DataManagementError(422, `Task ${task.name} (${action}) has no source`);
    if (NEEDS_DESTINATION.has(action) && destinations.length === 0) throw new DataManagementError(422, `Task ${task.name} (${action}) has no destination`);
    if (action === 'speedtest' && endpoints.length === 0) throw new DataManagementError(422, `Task ${task.name} (speedtest) needs a storage to test`);
    if (TAPE_ACTIONS.has(action)) {
      await checkTapeAction(this.tapes, task, action, options, endpoints);
      return endpoints;
    }
    if (!SUPPORTED_ACTIONS.has(action)) throw new DataManagementError(422, `Workflow action ${action} is not supported by this Barge yet (supported: ${[...SUPPORTED_ACTIONS].join(', ')})`);
    for (const e of endpoints) {
      const kind = endpointKind(e.type);
      if (!kind) throw new DataManagementError(422, `Task ${task.name} has an endpoint of unknown type ${e.type}`);
      if (kind === 'tape') {
        const why = tapeRefusal(action, sources, destinations);
        if (why) throw new DataManagementError(422, `Task ${task.name} uses a tape storage: ${why}`);
        await checkPoolDrive(this.tapes, task.name, options, e.pool_id as string);
        continue;
      }
      if (!this.supportedKinds.has(kind)) throw new DataManagementError(422, `Task ${task.name} uses a ${kind} storage, which this Barge cannot move data on yet`);
    }
    const context = [options.context_uid, options.context_gid].some((v) => v !== undefined && v !== null && v !== '');
    const blocker = context && endpoints.some((e) => endpointKind(e.type) === 'nas') ? this.contextBlocker() : null;
    if (blocker !== null) throw new DataManagementError(422, `Task ${task.name} sets options.context_uid/context_gid, but ${blocker}`);
    // Rights are those of the task's owner now (a right can be withdrawn after the task was made).
    const refusal = await this.access.refusal(task.user_id, shapeOf(action, options, sources.map(endpointView), destinations.map(endpointView)));
    if (refusal !== undefined) throw new DataManagementError(403, `Task ${task.name} cannot run: ${refusal}`);
    return endpoints;
  }

  /** check_consistency on tape, cache_cleaning, rehydratation (tape-cache-check.ts); a share's rights are its owner's now. */
  private async checkTapeCatalog(task: OwnedTask, action: string, options: Record<string, unknown>, endpoints: TaskEndpointRow[]): Promise<TaskEndpointRow[]> {
    await checkTapeCatalogAction(this.tapes, task, action, options, endpoints);
    if (action === 'check_consistency') return endpoints;
    const refusal = await this.access.refusal(task.user_id, shapeOf(action, options, endpoints.filter((e) => e.role === 'source').map(endpointView), []));
    if (refusal !== undefined) throw new DataManagementError(403, `Task ${task.name} cannot run: ${refusal}`);
    return endpoints;
  }

  /** The row of a new execution of `task` (queued; the dispatcher takes it from there), with its snapshot of the task. */
  executionRow(task: OwnedTask, endpoints: TaskEndpointRow[], trigger: Record<string, unknown>, id = newId(), extra: Partial<ExecutionRow> = {}): ExecutionRow {
    const now = this.clock.now().toISOString();
    const snapshot = {
      id: task.id, name: task.name, workflow_type: task.workflow_type, workflow_action: task.workflow_action,
      options: JSON.parse(task.options) as unknown, metadata: JSON.parse(task.metadata) as unknown,
      sources: endpoints.filter((e) => e.role === 'source').map(endpointView),
      destinations: endpoints.filter((e) => e.role === 'destination').map(endpointView),
    };
    return {
      id, task_id: task.id, user_id: task.user_id, state: 'in_queue', progress: 0,
      size_todo: 0, size_done: 0, nodes_todo: 0, nodes_done: 0, files_failed: 0, bandwidth: 0, eta_seconds: null,
      dispatcher: null, movers: '[]', error: null, trigger: JSON.stringify(trigger), task_snapshot: JSON.stringify(snapshot),
      created_at: now, started_at: null, finished_at: null, updated_at: now, walk_cursor: null, log: '[]', batches_planned: 0,
      ...extra,
    };
  }

  /** A restore from a backup names a finished backup execution (not a dry run) of a task its owner can see. */
  private async checkBackup(task: OwnedTask, executionId: string): Promise<void> {
    const backup = await this.executions.findById(executionId);
    const ok = backup && backup.user_id === task.user_id && backup.state === 'done' && Number(backup.dry_run ?? 0) === 0
      && ['full_backup', 'incremental_backup'].includes((JSON.parse(backup.task_snapshot) as { workflow_action?: string }).workflow_action ?? '');
    if (!ok) throw new DataManagementError(422, `options.execution_task_id must name a backup execution that finished (done): ${executionId} does not`);
  }
}
