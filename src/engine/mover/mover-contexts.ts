/**
 * The executions a mover works on, as this mover's process sees them: each context is opened from
 * the store the first time one of its batches is claimed here, and its state is polled so that a
 * pause or stop decided anywhere (the API, the dispatcher, another host) reaches the files in flight
 * here: a paused or stopping execution starts no new file; a finished one (force_stop) aborts them.
 */
import type { Logger } from 'pino';
import { isActive, type ExecutionState } from '../../domain/execution.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext, TaskSnapshot } from '../execution-context.js';
import { loadContext, type CatalogStorages } from '../context-loader.js';
import type { StorageResolver } from '../storage-resolver.js';
import type { ContextSource } from './mover.js';

/** What the mover reads of executions. */
export interface ExecutionStates {
  findById(id: string): Promise<ExecutionRow | undefined>;
  states(ids: string[]): Promise<Map<string, ExecutionState>>;
  /** Adds a mover's name to the execution's `movers` (once). */
  addMover(id: string, name: string): Promise<void>;
}

export class MoverContexts implements ContextSource {
  private readonly contexts = new Map<string, ExecutionContext>();
  private readonly loading = new Map<string, Promise<ExecutionContext | undefined>>();
  /** Executions whose storages could not be opened here, with when to try again. */
  private readonly unreachable = new Map<string, number>();

  constructor(
    private readonly executions: ExecutionStates,
    private readonly catalog: CatalogStorages,
    private readonly resolver: StorageResolver,
    private readonly log: Logger,
    /** This mover's name, recorded in the `movers` of each execution it works on. */
    private readonly name: string,
    /** Whether this mover reaches these storages (reach.ts); every storage when absent. */
    private readonly reaches: (storageIds: string[]) => boolean | Promise<boolean> = () => true,
    private readonly retryMs = 5_000,
  ) {}

  /** The context of an active execution, opened on first use; undefined when it cannot run here. */
  get(id: string): Promise<ExecutionContext | undefined> {
    const known = this.contexts.get(id);
    if (known) return Promise.resolve(known);
    const retryAt = this.unreachable.get(id);
    if (retryAt !== undefined && retryAt > Date.now()) return Promise.resolve(undefined);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Contexts open here (for fair share and progress). */
  get open(): ExecutionContext[] {
    return [...this.contexts.values()];
  }

  /**
   * Reads the state of every open context: a paused or stopping one starts nothing new, a finished
   * one is aborted. `inUse` says which executions still have batches here (the others are dropped
   * once they are over).
   */
  async refresh(inUse: (id: string) => boolean): Promise<void> {
    const ids = [...this.contexts.keys()];
    if (ids.length === 0) return;
    const states = await this.executions.states(ids);
    for (const id of ids) {
      const ctx = this.contexts.get(id)!;
      const state = states.get(id);
      if (state !== undefined) ctx.state = state;
      if (state === undefined || !isActive(state)) {
        ctx.abort.abort(new Error(state ?? 'deleted'));
        if (!inUse(id)) this.contexts.delete(id);
      }
    }
  }

  /** Aborts every open context (a mover shutting down past its drain time). */
  abortAll(reason: string): void {
    for (const ctx of this.contexts.values()) ctx.abort.abort(new Error(reason));
  }

  clear(): void {
    this.contexts.clear();
    this.unreachable.clear();
  }

  private async load(id: string): Promise<ExecutionContext | undefined> {
    const row = await this.executions.findById(id);
    if (!row || !isActive(row.state)) return undefined;
    const snapshot = JSON.parse(row.task_snapshot) as TaskSnapshot;
    const named = [...snapshot.sources, ...snapshot.destinations].map((e) => e.storage_id).filter((s): s is string => typeof s === 'string');
    if (!(await this.reaches(named))) {
      this.unreachable.set(id, Date.now() + this.retryMs);
      return undefined;
    }
    try {
      const { ctx } = await loadContext(row, this.resolver, this.catalog);
      const storages = [...ctx.sources, ...ctx.destinations].map((s) => s.storageId);
      if (!(await this.reaches(storages))) {
        // Another mover will take it; look again later (this mover's reach may change).
        this.unreachable.set(id, Date.now() + this.retryMs);
        return undefined;
      }
      await this.executions.addMover(id, this.name);
      this.unreachable.delete(id);
      this.contexts.set(id, ctx);
      return ctx;
    } catch (err) {
      this.log.warn({ err, execution: id }, 'cannot open the storages of an execution on this mover; will try again');
      this.unreachable.set(id, Date.now() + this.retryMs);
      return undefined;
    }
  }
}
