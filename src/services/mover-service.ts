/**
 * `GET /movers` (Barge addition, admins): every mover process that ever registered on this store —
 * name, host, pid, slots, what it reaches, state, last heartbeat, bandwidth and what it moved. A mover
 * not heard of for `SILENT_MS` is offline (killed, its host down), whatever it last said.
 */
import { forbidden, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import type { Clock } from '../lib/clock.js';
import type { MoverRepository } from '../store/mover-repository.js';
import type { MoverRow } from '../store/schema.js';
import type { Principal } from './principal.js';

/** Movers beat every second: fifteen silent seconds mean it is gone. */
export const SILENT_MS = 15_000;

export interface MoverView {
  name: string; host: string; pid: number; slots: number; storages: string[] | '*'; state: string;
  started_at: string; last_heartbeat_at: string; bandwidth: number; files_done: number; bytes_done: number;
}

export const MOVER_LIST: ListSpec = {
  filters: { name: 'string', host: 'string', state: 'string', last_heartbeat_at: 'date', started_at: 'date' },
  sortable: ['name', 'host', 'state', 'last_heartbeat_at', 'started_at', 'bytes_done', 'files_done', 'bandwidth'],
};

function view(r: MoverRow): MoverView {
  const storages = JSON.parse(r.storages) as Array<{ name: string }> | '*';
  return {
    name: r.name, host: r.host, pid: Number(r.pid), slots: Number(r.slots), storages: storages === '*' ? '*' : storages.map((s) => s.name), state: r.state,
    started_at: r.started_at, last_heartbeat_at: r.last_heartbeat_at, bandwidth: Number(r.bandwidth), files_done: Number(r.files_done), bytes_done: Number(r.bytes_done),
  };
}

export class MoverService {
  constructor(
    private readonly movers: MoverRepository,
    private readonly clock: Clock,
  ) {}

  async list(p: Principal, query: Record<string, unknown>): Promise<{ count: number; movers: MoverView[] }> {
    requireAdmin(p);
    const q = parseListQuery(query, MOVER_LIST);
    await this.movers.markSilent(new Date(this.clock.now().getTime() - SILENT_MS).toISOString());
    const { count, rows } = await this.movers.list(q);
    return { count, movers: rows.map(view) };
  }

  async show(p: Principal, name: string): Promise<MoverView> {
    requireAdmin(p);
    await this.movers.markSilent(new Date(this.clock.now().getTime() - SILENT_MS).toISOString());
    const row = await this.movers.find(name);
    if (!row) throw notFound('Mover');
    return view(row);
  }
}

function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw forbidden('Only an admin can see the movers');
}
