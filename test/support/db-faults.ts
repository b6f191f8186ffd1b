import pg from 'pg';

/**
 * The schema-qualified name of a table, wherever its context keeps it
 * (`public` today, a per-context schema later): fault tests lock tables by
 * their bare name without assuming the schema.
 */
export async function qualifiedTable(client: pg.Client, table: string): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
      WHERE tablename = $1 AND schemaname NOT IN ('pg_catalog', 'information_schema')`,
    [table],
  );
  if (rows.length !== 1) throw new Error(`expected one table named ${table}, found ${rows.length}`);
  return rows[0].name;
}

/** An admin connection on `url` holding ACCESS EXCLUSIVE locks until `release()`. */
export async function lockTables(url: string, tables: string[]): Promise<{ client: pg.Client; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: 'fault-test-locker' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  for (const t of tables) await client.query(`LOCK TABLE ${await qualifiedTable(client, t)} IN ACCESS EXCLUSIVE MODE`);
  return {
    client,
    async release() {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Waits for a backend of `applicationName` blocked on a lock in `database`; returns its pid. */
export async function waitForBlockedBackend(client: pg.Client, applicationName: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows.length) return rows[0].pid;
    if (Date.now() > deadline) throw new Error(`no backend of ${applicationName} waited on a lock within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
