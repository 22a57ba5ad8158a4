/**
 * A mover makes itself known: its row in the store (`GET /movers`) says who it is (name, host, pid,
 * slots), what it reaches, its state (online, draining, offline) and what it moved, refreshed on its
 * heartbeat. A mover killed with `kill -9` simply stops being heard of: readers call it offline once
 * its heartbeat is older than a few intervals.
 */
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import type { Clock } from '../../lib/clock.js';
import type { MoverRow } from '../../store/schema.js';
import { Accounting } from '../accounting.js';

/** Where movers are recorded (store/mover-repository.ts). */
export interface MoverRegistry {
  register(row: MoverRow): Promise<void>;
  heartbeat(name: string, patch: Pick<MoverRow, 'last_heartbeat_at' | 'bandwidth' | 'files_done' | 'bytes_done' | 'state' | 'storages'>): Promise<void>;
}

export type MoverState = 'online' | 'draining' | 'offline';

/** What a mover has moved since it started. */
export interface MoverTotals {
  filesDone: number;
  bytesDone: number;
}

export class MoverPresence {
  private readonly accounting = new Accounting();
  private timer: NodeJS.Timeout | undefined;
  private state: MoverState = 'online';
  private storages: Array<{ id: string; name: string }> | '*' = '*';

  constructor(
    private readonly registry: MoverRegistry,
    private readonly who: { name: string; slots: number },
    private readonly totals: () => MoverTotals,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  /** Registers the mover as online and keeps its row fresh. */
  async start(storages: Array<{ id: string; name: string }> | '*'): Promise<void> {
    this.storages = storages;
    this.state = 'online';
    clearInterval(this.timer);
    const now = this.clock.now().toISOString();
    await this.registry.register({
      name: this.who.name, host: hostname(), pid: process.pid, slots: this.who.slots, storages: JSON.stringify(storages), state: 'online',
      started_at: now, last_heartbeat_at: now, bandwidth: 0, files_done: 0, bytes_done: 0,
    });
    this.timer = setInterval(() => void this.beat(), this.intervalMs).unref();
  }

  /** What the mover reaches changed (a share created or gone): the next heartbeat says so. */
  async reach(storages: Array<{ id: string; name: string }> | '*'): Promise<void> {
    if (JSON.stringify(storages) === JSON.stringify(this.storages)) return;
    this.storages = storages;
    await this.beat();
  }

  /** Draining (SIGTERM: no new batch), then offline (stopped). */
  async set(state: MoverState): Promise<void> {
    this.state = state;
    if (state === 'offline') clearInterval(this.timer);
    await this.beat();
  }

  private async beat(): Promise<void> {
    try {
      const t = this.totals();
      const now = this.clock.now();
      await this.registry.heartbeat(this.who.name, {
        last_heartbeat_at: now.toISOString(), state: this.state, files_done: t.filesDone, bytes_done: t.bytesDone, storages: JSON.stringify(this.storages),
        bandwidth: this.state === 'offline' ? 0 : Math.round(this.accounting.sample(now.getTime(), t.bytesDone)),
      });
    } catch (err) {
      this.log.warn({ err }, 'mover heartbeat failed (the store is unreachable?); retrying');
    }
  }
}
