/**
 * Kysely's PostgreSQL dialect with an introspector that looks only at Barge's own schema.
 *
 * Why: Kysely's migrator asks the introspector whether its tables exist, and the stock PostgreSQL
 * introspector lists every table of every schema of the database, calling `has_schema_privilege` and
 * `pg_get_serial_sequence` on their names. When anything else in the same database (another
 * application, another Barge, a parallel test) drops a schema or a table during that query, those
 * calls fail ("schema … does not exist") and Barge refused to boot. Here the catalog is read without
 * any function of a name, and only for the connection's current schema — where Barge's tables live.
 */
import { PostgresDialect, sql, type DatabaseIntrospector, type DatabaseMetadata, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

/** See the file header. */
export class ScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

/**
 * Tables and views of `current_schema()` (without their columns: nothing in Barge reads them), and
 * the names of all schemas. Plain catalog reads: a concurrent DROP elsewhere cannot make them fail.
 */
export class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace`.execute(this.db);
    return r.rows.map((row) => ({ name: row.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ name: string; schema: string; kind: string }>`
      SELECT c.relname AS name, ns.nspname AS schema, c.relkind AS kind
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')
      ORDER BY c.relname`.execute(this.db);
    return r.rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
