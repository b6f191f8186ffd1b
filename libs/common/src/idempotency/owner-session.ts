import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { IdempotencyRepository } from './idempotency.repository.js';

/** The PostgreSQL backend whose life stands for this process's: pid and start time. */
export interface OwnerTag {
  pid: number;
  /** backend_start as PostgreSQL prints it (microseconds kept, so it compares exactly). */
  started: string;
}

/**
 * One connection per process, held for the process's life, that tags the
 * idempotency claims this process makes. PostgreSQL sees a process die (a
 * crash, SIGKILL, a lost host) as this backend ending, so another process
 * may take over a claim as soon as `pg_stat_activity` no longer lists the
 * claim's backend, instead of waiting for its lock to expire.
 *
 * The connection is not from the pool: it is never idle-closed, and it never
 * competes with requests. If it is lost while this process lives (a
 * terminated backend), a new one is opened at once and the claims still
 * running are moved onto it; a claim that another process took over in the
 * meantime keeps its new owner, and this process's `record()` then fails
 * (its transaction rolls back), so a key never produces two effects.
 */
export class OwnerSession {
  private readonly logger = new Logger('IdempotencyOwner');
  private client?: pg.Client;
  private tag?: OwnerTag;
  private connecting?: Promise<OwnerTag>;
  private closed = false;
  /** Claims of requests still running in this process. */
  readonly running = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: IdempotencyRepository,
  ) {}

  /** The current tag, connecting (again) if needed. */
  current(): Promise<OwnerTag> {
    if (this.tag) return Promise.resolve(this.tag);
    return (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
  }

  /**
   * After a claim was written with `used`: if the session was replaced
   * meanwhile (the re-tagging may have run before this claim was visible),
   * move this claim onto the current backend too.
   */
  async confirm(claim: string, used: OwnerTag): Promise<void> {
    if (this.tag === used) return;
    const tag = await this.current();
    await this.repository.retag([claim], tag);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.tag = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<OwnerTag> {
    if (this.closed) throw new Error('The idempotency owner session is closed');
    const options = this.dataSource.options as { url?: string; host?: string; port?: number; username?: string; password?: string; database?: string; applicationName?: string; ssl?: unknown };
    const client = new pg.Client({
      connectionString: options.url,
      host: options.host,
      port: options.port,
      user: options.username,
      password: options.password,
      database: options.database,
      ssl: options.ssl as pg.ClientConfig['ssl'],
      application_name: `${options.applicationName ?? 'city-pay'}:idempotency-owner`,
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', (err) => this.logger.warn(`Idempotency owner connection lost: ${err.message}`));
    await client.connect();
    let tag: OwnerTag;
    try {
      const { rows } = await client.query<{ pid: number; started: string }>(
        `SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      tag = rows[0];
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    client.once('end', () => this.lost(client));
    this.client = client;
    this.tag = tag;
    return tag;
  }

  /** The connection ended while the process lives: reconnect and move the running claims onto the new backend. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.tag = undefined;
    if (this.closed) return;
    void this.adoptRunning(1);
  }

  private async adoptRunning(attempt: number): Promise<void> {
    if (this.closed) return;
    try {
      const tag = await this.current();
      if (this.running.size === 0) return;
      await this.repository.retag([...this.running], tag);
    } catch (err) {
      const delay = Math.min(50 * 2 ** attempt, 2000);
      if (attempt === 1) this.logger.warn(`Could not re-tag running idempotency claims yet (${(err as Error).message}); retrying`);
      if (attempt < 60) setTimeout(() => void this.adoptRunning(attempt + 1), delay).unref();
    }
  }
}
