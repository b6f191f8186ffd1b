import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options.js';

export const READ_REPLICA_OPTIONS = Symbol('READ_REPLICA_OPTIONS');

export interface ReadReplicaOptions {
  /** DATABASE_READ_URL; unset: lagging reads go to the primary like every other. */
  url?: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
}

/** Beyond the statement timeout: time a transaction may take between stamping a row and committing it. */
const COMMIT_MARGIN_MS = 60_000;

/** How long reads stay on the primary after the replica could not be reached. */
const REPLICA_BACKOFF_MS = 5_000;

/** The replica could not serve (no connection, shutting down, recovery conflict): read the primary instead. */
function replicaUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^(08|53|57P0)/.test(code) || code === '40001') return true; // 40001: canceled by a recovery conflict on a standby
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /^(Connection terminated|timeout exceeded when trying to connect)/i.test(message);
}

/**
 * Reads that tolerate replication lag: wallet and card histories, settlements
 * of past days, reconciliation views. With DATABASE_READ_URL (a streaming
 * replica) they run there, taking that load off the primary; without it, on
 * the primary. A read that must see the caller's own write (a payment's
 * response, its receipt, balances, anything inside a transaction) never comes
 * here: it uses the DataSource. A replica that cannot be reached sends its
 * reads back to the primary for a few seconds rather than failing them.
 */
@Injectable()
export class ReplicaReads implements OnApplicationShutdown {
  private readonly logger = new Logger('ReadReplica');
  private replica?: Promise<DataSource>;
  private downUntil = 0;

  constructor(
    private readonly primary: DataSource,
    @Inject(READ_REPLICA_OPTIONS) private readonly options: ReadReplicaOptions,
  ) {}

  /** Whether lagging reads go to a replica (DATABASE_READ_URL is set). */
  get enabled(): boolean {
    return this.options.url !== undefined;
  }

  async query<T = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.options.url || Date.now() < this.downUntil) return (await this.primary.query(sql, parameters)) as T[];
    try {
      return (await (await this.source()).query(sql, parameters)) as T[];
    } catch (err) {
      if (!replicaUnavailable(err)) throw err;
      this.downUntil = Date.now() + REPLICA_BACKOFF_MS;
      this.logger.warn(`Read replica unavailable (${(err as Error).message}); reading the primary for ${REPLICA_BACKOFF_MS / 1000} s`);
      return (await this.primary.query(sql, parameters)) as T[];
    }
  }

  /**
   * A read of what was committed before `time` (a settlement of a day that has
   * ended): on the replica only once it has replayed commits from after `time`
   * plus a margin for transactions that stamped their rows before it and
   * committed after; on the primary otherwise (a replica behind, or a quiet
   * primary whose replica has nothing newer to replay). Exact either way.
   */
  async queryCommittedBefore<T = Record<string, unknown>>(time: Date, sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.options.url || Date.now() < this.downUntil) return (await this.primary.query(sql, parameters)) as T[];
    const margin = Math.max(this.options.statementTimeoutMs, 0) + COMMIT_MARGIN_MS;
    try {
      const [replay] = (await (await this.source()).query(`SELECT pg_last_xact_replay_timestamp() >= $1::timestamptz AS caught_up`, [
        new Date(time.getTime() + margin),
      ])) as { caught_up: boolean | null }[];
      if (!replay?.caught_up) return (await this.primary.query(sql, parameters)) as T[];
    } catch (err) {
      if (!replicaUnavailable(err)) throw err;
      return (await this.primary.query(sql, parameters)) as T[];
    }
    return this.query<T>(sql, parameters);
  }

  /** Connected on first use, so that a replica down at start delays nothing. */
  private source(): Promise<DataSource> {
    if (!this.replica) {
      const { url, poolSize, statementTimeoutMs, applicationName } = this.options;
      const pending = new DataSource(buildDataSourceOptions({ url: url!, poolSize, statementTimeoutMs, applicationName: `${applicationName}-read`, migrations: [] })).initialize();
      this.replica = pending;
      pending.catch(() => {
        if (this.replica === pending) this.replica = undefined;
      });
    }
    return this.replica;
  }

  async onApplicationShutdown(): Promise<void> {
    const replica = this.replica;
    this.replica = undefined;
    if (replica) await (await replica.catch(() => undefined))?.destroy().catch(() => undefined);
  }
}
