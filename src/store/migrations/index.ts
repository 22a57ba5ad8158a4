/**
 * The migrations, in order, compiled into the app (no files read at run time). Forward-only: a
 * released migration is never edited; a change is a new entry. Most are portable SQL; those that
 * need dialect-specific SQL (triggers) receive the dialect.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../db.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-engine.js';
import * as m0003 from './0003-backup-catalog.js';
import * as m0004 from './0004-list-versions.js';
import * as m0005 from './0005-engine-lease.js';
import * as m0006 from './0006-privileges.js';
import * as m0007 from './0007-movers.js';
import * as m0008 from './0008-metrics.js';
import * as m0009 from './0009-catalog-search.js';
import * as m0010 from './0010-parallel-permits.js';
import * as m0011 from './0011-share-credentials.js';
import * as m0012 from './0012-schedules.js';
import * as m0013 from './0013-callbacks.js';
import * as m0014 from './0014-webhooks.js';
import * as m0015 from './0015-dry-run.js';
import * as m0016 from './0016-tape.js';
import * as m0017 from './0017-nodeum-providers.js';
import * as m0018 from './0018-tape-cache.js';
import * as m0019 from './0019-batch-finished.js';
import * as m0020 from './0020-batch-items.js';

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': m0001,
    '0002-engine': m0002,
    '0003-backup-catalog': m0003,
    '0004-list-versions': { up: (db) => m0004.up(db, dialect) },
    '0005-engine-lease': m0005,
    '0006-privileges': m0006,
    '0007-movers': m0007,
    '0008-metrics': m0008,
    '0009-catalog-search': m0009,
    '0010-parallel-permits': m0010,
    '0011-share-credentials': m0011,
    '0012-schedules': m0012,
    '0013-callbacks': m0013,
    '0014-webhooks': m0014,
    '0015-dry-run': m0015,
    '0016-tape': m0016,
    '0017-nodeum-providers': m0017,
    '0018-tape-cache': m0018,
    '0019-batch-finished': m0019,
    '0020-batch-items': m0020,
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
