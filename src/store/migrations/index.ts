/**
 * The migrations, in order, compiled into the app (no files read at run time). Forward-only: a
 * released migration is never edited; a change is a new entry.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-engine.js';
import * as m0003 from './0003-backup-catalog.js';

export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-engine': m0002,
  '0003-backup-catalog': m0003,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
