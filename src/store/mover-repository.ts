/**
 * Movers as the store knows them (migration 0007): each mover process upserts its row at start and
 * refreshes it on its heartbeat; `GET /movers` and the dispatcher (which mover reaches what) read it.
 */
import type { Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, MoverRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';

export const MOVER_COLUMNS: ColumnSpec = {
  filters: { name: 'name', host: 'host', state: 'state', last_heartbeat_at: 'last_heartbeat_at', started_at: 'started_at' },
  sorts: { name: 'name', host: 'host', state: 'state', last_heartbeat_at: 'last_heartbeat_at', started_at: 'started_at', bytes_done: 'bytes_done', files_done: 'files_done', bandwidth: 'bandwidth' },
  nonText: ['bytes_done', 'files_done', 'bandwidth'],
};

export class MoverRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** A mover (re)starting under its name: its row as it is now. */
  async register(row: MoverRow): Promise<void> {
    const { name: _name, ...rest } = row;
    await this.db.insertInto('movers').values(row).onConflict((oc) => oc.column('name').doUpdateSet(rest)).execute();
  }

  /** The mover is alive: its counters so far and its state. */
  async heartbeat(name: string, patch: Pick<MoverRow, 'last_heartbeat_at' | 'bandwidth' | 'files_done' | 'bytes_done' | 'state' | 'storages'>): Promise<void> {
    await this.db.updateTable('movers').set(patch).where('name', '=', name).execute();
  }

  async setState(name: string, state: string, at: string): Promise<void> {
    await this.db.updateTable('movers').set({ state, last_heartbeat_at: at }).where('name', '=', name).execute();
  }

  async list(query: ListQuery): Promise<{ count: number; rows: MoverRow[] }> {
    const base = applyFilters(this.db.selectFrom('movers'), query.filters, MOVER_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, MOVER_COLUMNS, [['name', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  /** Movers not heard of since `since` are offline (killed, host down): says so in their rows. */
  async markSilent(since: string): Promise<void> {
    await this.db.updateTable('movers').set({ state: 'offline', bandwidth: 0 }).where('last_heartbeat_at', '<', since).where('state', '<>', 'offline').execute();
  }

  async find(name: string): Promise<MoverRow | undefined> {
    return this.db.selectFrom('movers').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Movers heard of since `since` and not stopped (online or draining). */
  async live(since: string): Promise<MoverRow[]> {
    return this.db.selectFrom('movers').selectAll().where('last_heartbeat_at', '>=', since).where('state', 'in', ['online', 'draining']).execute();
  }
}
