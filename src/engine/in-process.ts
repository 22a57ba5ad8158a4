/**
 * A dispatcher and a mover in one process: what `npm start` runs (in a worker thread, off the API's
 * event loop: engine-thread.ts) and what the tests boot in process. The two share nothing but the
 * store — the mover opens its own execution contexts — so the same code runs them as separate
 * processes (`barge dispatcher`, `barge mover`) on several hosts. In one process the dispatcher also
 * nudges the mover (new work, a changed state) and the mover tells the dispatcher when a batch
 * settles, which only saves them a polling interval.
 */
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import type { ControlAction } from '../domain/execution.js';
import type { Clock } from '../lib/clock.js';
import type { ExecutionRepository } from '../store/execution-repository.js';
import type { LedgerRepository } from '../store/ledger-repository.js';
import type { EngineSignals } from './signals.js';
import type { StorageResolver } from './storage-resolver.js';
import type { WorkQueue } from './queue/work-queue.js';
import type { EngineLease } from './dispatcher/engine-lease.js';
import type { AccessGuard } from './dispatcher/access-guard.js';
import { Dispatcher, type DispatcherConfig } from './dispatcher/dispatcher.js';
import { Mover } from './mover/mover.js';
import { MoverContexts } from './mover/mover-contexts.js';
import type { PermitStore } from './mover/parallel-share.js';
import { MoverPresence, type MoverRegistry } from './mover/presence.js';
import type { MoverDirectory } from './dispatcher/dispatcher.js';
import type { BatchTransport } from './queue/transport.js';
import type { ExecutionHooks } from './webhooks/webhooks.js';
import type { ScheduleWork } from './dispatcher/scheduler.js';
import type { CallbackHooks } from './callbacks/execution-callbacks.js';
import type { TapeWork } from './tape/tape-run.js';

export interface EngineConfig extends DispatcherConfig {
  /** Concurrent transfers of large files (BARGE_MOVER_SLOTS). */
  slots: number;
  /** Small files in flight per slot (see MoverConfig.smallPerSlot). */
  smallPerSlot: number;
  fileAttempts: number;
  backoffMs: number;
  /** How often the mover extends its leases and writes progress. */
  moverHeartbeatMs: number;
}

/** The lease and its heartbeat from `BARGE_LEASE_SECONDS` (heartbeat: a third of the lease). */
export function leaseTimes(leaseSeconds: number): Pick<EngineConfig, 'leaseMs' | 'heartbeatMs'> {
  return { leaseMs: leaseSeconds * 1000, heartbeatMs: Math.max(1000, Math.floor((leaseSeconds * 1000) / 3)) };
}

export function defaultEngineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    name: `${hostname()}:${process.pid}`, slots: 8, smallPerSlot: 8, leaseMs: 30_000, heartbeatMs: 10_000, batchFiles: 512, batchBytes: 64 * 1024 * 1024,
    statsIntervalMs: 1000, maxExecutions: 8, embedded: true, fileAttempts: 3, backoffMs: 250, accessCheckMs: 2000, moverHeartbeatMs: 1000, ...overrides,
  };
}

export interface EngineDeps {
  executions: ExecutionRepository;
  queue: WorkQueue;
  ledger: LedgerRepository;
  resolver: StorageResolver;
  lease: EngineLease;
  clock: Clock;
  log: Logger;
  access?: AccessGuard;
  /** Where the mover makes itself known (`GET /movers`), and where the dispatcher reads movers. */
  movers?: MoverRegistry;
  moverDirectory?: MoverDirectory;
  /** The dispatcher also publishes batches there (BullMQ) for movers of other processes; this mover pulls from the store. */
  transport?: BatchTransport;
  /** Shares `parallel` with movers of other processes (store/permit-repository.ts). */
  permits?: PermitStore;
  /** Webhook deliveries, run by the dispatcher while it holds the lease. */
  webhooks?: ExecutionHooks;
  /** Schedules: the dispatcher starts their due occurrences while it holds the lease. */
  schedules?: ScheduleWork;
  /** Task callbacks: filters in the walk, hooks around runs (engine/callbacks). */
  callbacks?: CallbackHooks;
  /** Executions with a tape endpoint (engine/tape), built on this engine's config. */
  tape?: (cfg: EngineConfig) => TapeWork;
}

export class InProcessEngine implements EngineSignals {
  readonly dispatcher: Dispatcher;
  readonly mover: Mover;

  constructor(cfg: EngineConfig, private readonly d: EngineDeps) {
    const contexts = new MoverContexts(d.executions, d.ledger, d.resolver, d.log, cfg.name);
    this.mover = new Mover(
      { owner: cfg.name, slots: cfg.slots, smallPerSlot: cfg.smallPerSlot, leaseMs: cfg.leaseMs, heartbeatMs: Math.min(cfg.moverHeartbeatMs, cfg.statsIntervalMs), attempts: cfg.fileAttempts, backoffMs: cfg.backoffMs },
      d.queue, d.ledger, contexts, d.clock, d.log, (id) => this.dispatcher.batchSettled(id), d.permits,
    );
    const mover = this.mover;
    const presence = d.movers ? new MoverPresence(d.movers, { name: cfg.name, slots: cfg.slots }, () => mover.totals, d.clock, d.log, cfg.moverHeartbeatMs) : undefined;
    this.dispatcher = new Dispatcher(cfg, d.executions, d.queue, d.ledger, d.resolver, d.lease, d.clock, d.log, {
      access: d.access, moverDirectory: d.moverDirectory, transport: d.transport, webhooks: d.webhooks, schedules: d.schedules, callbacks: d.callbacks, tape: d.tape?.(cfg),
      movers: { kick: () => mover.kick(),
      // The embedded mover moves only while this process dispatches: a standby process stays idle.
      activeChanged: async (active) => {
        if (active) {
          await presence?.start('*').catch((err) => d.log.error({ err }, 'mover registration failed'));
          mover.start();
        } else {
          await mover.stop();
          await presence?.set('offline');
        }
      } },
    });
  }

  start(): Promise<void> {
    return this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.mover.stop();
    await this.d.transport?.close();
    await this.d.resolver.close();
  }

  /** True while this process holds the engine lease. */
  get isActive(): boolean {
    return this.dispatcher.isActive;
  }

  executionQueued(executionId: string): void {
    this.dispatcher.executionQueued();
    this.mover.kick();
  }

  executionChanged(executionId: string, action: ControlAction): void {
    this.dispatcher.executionChanged(executionId, action);
    this.mover.kick();
  }
}
