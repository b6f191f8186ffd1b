import { createHash } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, runMigrations } from '@app/database';
import { migrations } from '@app/platform';

const LOCK_KEY = 7_310_042;

/** The server all e2e databases live on (see global-setup.ts). */
export function testServerUrl(): string {
  const url = process.env.CITYPAY_TEST_SERVER_URL;
  if (!url) throw new Error('CITYPAY_TEST_SERVER_URL is not set: run the e2e tests through jest (global setup)');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Template name: changes whenever a migration (name or code) changes. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(m.name).update(m.prototype.up.toString());
  hash.update('pg-boss-10');
  return `citypay_tpl_${hash.digest('hex').slice(0, 12)}`;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function buildTemplate(admin: pg.Client, name: string): Promise<void> {
  const building = `${name}_building`;
  await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${building}"`);
  const url = databaseUrl(building);
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'test-template', migrations }),
  );
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  // pg-boss installs its schema on first start; do it once here, not per test file
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, max: 1 });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
  await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
  // older templates (earlier migrations) are of no further use
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'citypay\\_tpl\\_%' AND datname <> $1 AND datname NOT LIKE '%\\_building'`,
    [name],
  );
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
}

/**
 * A fresh, migrated database for the calling test file, cloned from a
 * template that is migrated once per schema version. One name per Jest
 * worker (files of one worker run one after another), recreated per file.
 */
export async function freshDatabase(options: { migrated?: boolean } = {}): Promise<{ name: string; url: string }> {
  const worker = process.env.JEST_WORKER_ID ?? '0';
  const suffix = options.migrated === false ? 'empty' : 'db';
  const name = `citypay_test_${process.env.CITYPAY_TEST_RUN_ID ?? process.ppid}_${worker}_${suffix}`;
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      if (options.migrated === false) {
        await admin.query(`CREATE DATABASE "${name}"`);
        return;
      }
      const template = templateName();
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount === 0) await buildTemplate(admin, template);
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  });
  return { name, url: databaseUrl(name) };
}
