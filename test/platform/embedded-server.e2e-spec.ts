import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrations } from '@app/platform';
import { freshDatabase } from '../support/database.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';

const MAIN = SERVER;
const MIGRATE = 'dist/apps/api/src/migrate.js';
const WORKER = 'dist/apps/worker/src/main.js';
const VERIFY = 'dist/apps/api/src/ledger-verify.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitDead(pid: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start with the embedded PostgreSQL (no DATABASE_URL)', () => {
  let dataDir: string;
  let pgPort: number;
  const children: Child[] = [];

  const start = async (): Promise<{ child: Child; port: number; readyMs: number }> => {
    const port = await freePort();
    const child = runNode(MAIN, childEnv({ PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) }));
    children.push(child);
    const readyMs = await waitReady(port, 60_000);
    return { child, port, readyMs };
  };
  const pidFile = (): string => join(dataDir, 'pg', 'postmaster.pid');
  const postmasterPid = (): number => Number(readFileSync(pidFile(), 'utf8').split('\n')[0]);

  beforeAll(async () => {
    buildOnce();
    dataDir = mkdtempSync(join(tmpdir(), 'citypay-embedded-'));
    pgPort = await freePort();
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    if (existsSync(pidFile())) {
      const pid = postmasterPid();
      if (isAlive(pid)) process.kill(pid, 'SIGINT');
      await waitDead(pid).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the cluster on first start and becomes ready', async () => {
    const { child, readyMs } = await start();
    expect(child.output()).toMatch(/Embedded PostgreSQL 15 ready on 127\.0\.0\.1:\d+ \(created /);
    expect(child.output()).toContain('Applied migrations: Baseline');
    expect(readFileSync(join(dataDir, 'pg', 'PG_VERSION'), 'utf8').trim()).toBe('15');
    expect(readyMs).toBeLessThan(30_000);

    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.output()).toContain('Stopped cleanly');
    expect(existsSync(pidFile())).toBe(false);
  });

  it('reuses the cluster on restart, migrations already applied', async () => {
    const { child } = await start();
    expect(child.output()).toMatch(/\(reused /);
    expect(child.output()).toContain('Database schema is up to date');
    child.proc.kill('SIGINT');
    expect(await child.exited()).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
  });

  it('starts again after SIGKILL, stopping the PostgreSQL the killed process left running', async () => {
    const first = await start();
    first.child.proc.kill('SIGKILL');
    await first.child.exited();
    const orphan = postmasterPid();
    expect(isAlive(orphan)).toBe(true); // the killed process could not stop it

    const second = await start();
    expect(second.child.output()).toContain(
      `Found PostgreSQL (pid ${orphan}) still running on ${join(dataDir, 'pg')}, left behind by a process that was killed; stopping it and starting afresh.`,
    );
    expect(isAlive(orphan)).toBe(false);
    second.child.proc.kill('SIGTERM');
    expect(await second.child.exited()).toBe(0);
  });

  it('starts again when both the app and its PostgreSQL were killed (stale postmaster.pid)', async () => {
    const first = await start();
    const pid = postmasterPid();
    first.child.proc.kill('SIGKILL');
    process.kill(pid, 'SIGKILL');
    await first.child.exited();
    await waitDead(pid);
    // the postmaster's children notice their parent is gone and exit on their own
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(pidFile())).toBe(true);

    const second = await start();
    expect(second.child.output()).toMatch(/Removed a stale postmaster\.pid .* \(pid \d+ is not running\)/);
    second.child.proc.kill('SIGTERM');
    expect(await second.child.exited()).toBe(0);
  });

  it('never signals a process that merely reuses the recorded pid', async () => {
    const bystander = spawn('sleep', ['60']);
    try {
      writeFileSync(pidFile(), `${bystander.pid}\n${join(dataDir, 'pg')}\n0\n${pgPort}\n`);
      const { child } = await start();
      expect(child.output()).toMatch(/Removed a stale postmaster\.pid/);
      expect(isAlive(bystander.pid!)).toBe(true);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('refuses, in one sentence, a data directory whose server a live process still owns', async () => {
    const owner = await start();
    const pid = postmasterPid();
    const intruder = runNode(MAIN, childEnv({ PORT: String(await freePort()), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) }));
    children.push(intruder);
    expect(await intruder.exited()).toBe(1);
    expect(intruder.output()).toContain(`is in use by PostgreSQL pid ${pid}, started by the running process ${owner.child.proc.pid}`);
    expect((await fetch(`http://127.0.0.1:${owner.port}/health/ready`)).status).toBe(200);
    owner.child.proc.kill('SIGTERM');
    expect(await owner.child.exited()).toBe(0);
  });

  it('explains in one sentence when the embedded port is taken by another process', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(pgPort, '127.0.0.1', () => r()));
    try {
      const child = runNode(MAIN, childEnv({ PORT: String(await freePort()), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) }));
      children.push(child);
      expect(await child.exited()).toBe(1);
      expect(child.output()).toContain(
        `Port ${pgPort} on 127.0.0.1, needed by the embedded PostgreSQL, is taken by another process; set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.`,
      );
      expect(child.output()).not.toMatch(/\bundefined\b/);
    } finally {
      await new Promise((r) => blocker.close(() => r(undefined)));
    }
  });
});

describe('configuration, the migrate step and the worker', () => {
  beforeAll(() => buildOnce());

  it('stops at start with a message naming a bad variable', async () => {
    for (const [name, value] of [
      ['PORT', 'not-a-port'],
      ['MIGRATIONS_RUN', 'perhaps'],
      ['LOG_LEVEL', 'chatty'],
      ['DATABASE_URL', 'mysql://nope'],
    ]) {
      const child = runNode(MAIN, childEnv({ [name]: value }));
      expect(await child.exited()).toBe(78);
      expect(child.output()).toContain(`Invalid configuration: ${name}:`);
    }
  });

  it('npm run db:migrate applies the migrations to DATABASE_URL and exits', async () => {
    const { url } = await freshDatabase({ migrated: false });
    const child = runNode(MIGRATE, childEnv({ DATABASE_URL: url }));
    expect(await child.exited()).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM platform.typeorm_migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => new m().name));
    } finally {
      await client.end();
    }
  });

  it('the worker entry point starts pg-boss without HTTP and stops cleanly on SIGTERM', async () => {
    const { url } = await freshDatabase();
    const child = runNode(WORKER, childEnv({ DATABASE_URL: url }));
    await child.waitFor(/City Pay worker running jobs/);
    expect(child.output()).toMatch(/pg-boss started \(\d+ job types, workers on\)/);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });

  it('the API on DATABASE_URL shuts down gracefully on SIGTERM (exit 0, not killed)', async () => {
    const { url } = await freshDatabase();
    const port = await freePort();
    const child = runNode(MAIN, childEnv({ DATABASE_URL: url, PORT: String(port) }));
    await waitReady(port);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.output()).toContain('Stopped cleanly');
  });

  it('npm run ledger:verify says OK when money adds up, and exits 1 naming the drift when it does not', async () => {
    const { url } = await freshDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const [a, b] = (
        await client.query<{ id: string }>(
          `INSERT INTO ledger.ledger_accounts (owner_type, owner_id, purpose, currency, allow_negative)
           VALUES ('PLATFORM', 'p', 'ADJUSTMENTS', 'CNY', true), ('USER', 'u', 'WALLET', 'CNY', false) RETURNING id`,
        )
      ).rows;
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(`INSERT INTO ledger.journal_entries (reference, kind) VALUES ('r1', 'ADJUSTMENT') RETURNING id`);
      await client.query(`INSERT INTO ledger.postings (entry_id, account_id, currency, amount) VALUES ($1, $2, 'CNY', -100), ($1, $3, 'CNY', 100)`, [rows[0].id, a.id, b.id]);
      await client.query(`UPDATE ledger.ledger_accounts SET balance = balance - 100 WHERE id = $1`, [a.id]);
      await client.query(`UPDATE ledger.ledger_accounts SET balance = balance + 100 WHERE id = $1`, [b.id]);
      await client.query('COMMIT');
      const good = runNode(VERIFY, childEnv({ DATABASE_URL: url }));
      expect(await good.exited()).toBe(0);
      expect(good.output()).toContain('ledger: OK, money adds up');

      await client.query(`UPDATE ledger.ledger_accounts SET balance = balance + 1 WHERE id = $1`, [b.id]);
      const bad = runNode(VERIFY, childEnv({ DATABASE_URL: url }));
      expect(await bad.exited()).toBe(1);
      expect(bad.output()).toContain(`DRIFT account ${b.id}: stored 101, postings 100`);
    } finally {
      await client.end();
    }
  });
});
