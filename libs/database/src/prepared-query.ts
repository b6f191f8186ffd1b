import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * Runs one statement as a NAMED prepared statement: parsed and planned once
 * per connection, then only bound and executed (for the hottest statements,
 * e.g. a POS charge, where the per-call parse of the server and the
 * per-call work of TypeORM's query runner show in the profile). In `m`'s
 * transaction when it is a transactional manager, else on a pooled
 * connection as one autocommit statement. Logged as TypeORM logs its own
 * queries. `name` must be unique to `text` in the process. Errors are pg's
 * own (`sqlState()` reads them).
 */
export async function preparedQuery<T>(m: EntityManager, name: string, text: string, values: unknown[], logIn?: (log: () => void) => void): Promise<T[]> {
  // TypeORM's logger sees it as it sees every query it runs (the SQL trace at LOG_LEVEL=trace); with `logIn`,
  // in the contexts it runs the line in (a group commit's statement: once in each request's)
  const log = () => m.connection.logger.logQuery(text, values);
  if (logIn) logIn(log);
  else log();
  const runner = m.queryRunner;
  if (runner) {
    const client = (await runner.connect()) as pg.ClientBase;
    return (await client.query<T & pg.QueryResultRow>({ name, text, values })).rows;
  }
  const pool = (m.connection.driver as PostgresDriver).master as pg.Pool;
  return (await pool.query<T & pg.QueryResultRow>({ name, text, values })).rows;
}
