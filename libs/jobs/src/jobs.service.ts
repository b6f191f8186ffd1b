import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { DATABASE_URL } from '@app/database';

export const JOBS_OPTIONS = Symbol('JOBS_OPTIONS');

export interface JobsOptions {
  /** Fetch and run jobs in this process (API in the embedded default, or apps/worker). */
  runWorkers: boolean;
  applicationName: string;
}

export interface JobDefinition<T extends object = object> {
  name: string;
  handler: (data: T, job: PgBoss.Job<T>) => Promise<void>;
  /** Cron expression (UTC) for recurring jobs. */
  cron?: string;
  queue?: Omit<PgBoss.Queue, 'name'>;
  work?: PgBoss.WorkOptions;
}

/** SQLSTATEs of a connection the server ended: admin_shutdown, crash_shutdown, cannot_connect_now. */
const SERVER_ENDED_CONNECTION = new Set(['57P01', '57P02', '57P03']);
/** pg-boss's connections: its workers' polls, completions and maintenance share them. */
const POOL_SIZE = 4;
/** How long a pg-boss statement waits for one of them before failing (its worker polls again later). */
const CONNECTION_WAIT_MS = 10_000;
/** How long a stop waits for the polls already sent or queued for a connection (see onApplicationShutdown). */
const POLLS_DRAIN_MS = 5_000;

/**
 * pg-boss on the platform's PostgreSQL: no other service needed, and any
 * number of API replicas and workers share one queue. Modules register their
 * jobs at init; workers run them only where `runWorkers` is on.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly definitions = new Map<string, JobDefinition<any>>();
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private started = false;

  constructor(
    @Inject(DATABASE_URL) url: string,
    @Inject(JOBS_OPTIONS) private readonly options: JobsOptions,
  ) {
    // pg-boss on a pool of ours (its `db` option) rather than its own: see onApplicationShutdown
    this.pool = new pg.Pool({
      connectionString: url,
      application_name: `${options.applicationName}-jobs`,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECTION_WAIT_MS,
    });
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => this.pool.query(text, values) },
      schedule: options.runWorkers,
      supervise: options.runWorkers,
      // expire jobs left active by a process that died soon after their expiry (default: every 2 minutes)
      maintenanceIntervalSeconds: 10,
    });
    const onError = (err: Error & { code?: string }): void => {
      // the server ended the connection (a stop, Ctrl-C reaching the embedded PostgreSQL too, a failover): pg-boss reconnects or is stopping
      if (err.code !== undefined && SERVER_ENDED_CONNECTION.has(err.code)) {
        this.logger.warn(`pg-boss connection ended by PostgreSQL (${err.code}: ${err.message})`);
        return;
      }
      this.logger.error({ err }, 'pg-boss error');
    };
    this.boss.on('error', onError);
    // an idle connection the server ended: without a listener, an unhandled 'error' event
    this.pool.on('error', onError);
  }

  /** Whether this process runs jobs (and other background work that must run where the jobs do). */
  get runsWorkers(): boolean {
    return this.options.runWorkers;
  }

  register<T extends object>(definition: JobDefinition<T>): void {
    if (this.definitions.has(definition.name)) {
      throw new Error(`Job ${definition.name} is registered twice`);
    }
    this.definitions.set(definition.name, definition);
    if (this.started) void this.activate(definition).catch((err) => this.logger.error({ err }, 'job activation failed'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const definition of this.definitions.values()) await this.activate(definition);
    this.logger.log(
      `pg-boss started (${this.definitions.size} job types, workers ${this.options.runWorkers ? 'on' : 'off'})`,
    );
  }

  /**
   * Stops the workers (running jobs get up to 10 s), then closes the pool
   * once the polls already under way have run. pg-pool's `end()` never
   * answers the requests queued for a connection: a worker whose poll was
   * queued behind a busy pool would wait forever, and pg-boss's wait for
   * that worker to stop (a 1-s timer, again and again) would keep the
   * process alive. The pool stays open until no statement runs or waits
   * (at most POLLS_DRAIN_MS; a queued request gives up after
   * CONNECTION_WAIT_MS in any case).
   */
  async onApplicationShutdown(): Promise<void> {
    try {
      if (this.started) {
        this.started = false;
        await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      }
    } finally {
      // closed even when the stop failed (the pool would otherwise keep its connections)
      if (!this.pool.ending) {
        const deadline = Date.now() + POLLS_DRAIN_MS;
        while ((this.pool.waitingCount > 0 || this.pool.idleCount < this.pool.totalCount) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await this.pool.end();
      }
    }
  }

  /** Enqueues a job (its own statement, outside any transaction). */
  async send<T extends object>(name: string, data: T, options: PgBoss.SendOptions = {}): Promise<string | null> {
    await this.ensureQueue(name);
    return this.boss.send(name, data, options);
  }

  /**
   * Enqueues a job inside the caller's transaction: it exists if and only if
   * the transaction commits (the outbox pattern without a second table).
   */
  async sendInTransaction<T extends object>(
    manager: EntityManager,
    name: string,
    data: T,
    options: PgBoss.SendOptions = {},
  ): Promise<string | null> {
    await this.ensureQueue(name);
    const db: PgBoss.Db = {
      executeSql: async (text, values) => ({ rows: (await manager.query(text, values)) as unknown[] }),
    };
    return this.boss.send(name, data, { ...options, db });
  }

  private readonly queues = new Map<string, Promise<void>>();

  /**
   * Creates the queue once. Concurrent callers in this process share one
   * creation; another process creating the same queue at the same moment
   * can deadlock or collide inside pg-boss, so that is retried.
   */
  private ensureQueue(name: string, options: Omit<PgBoss.Queue, 'name'> = {}): Promise<void> {
    let pending = this.queues.get(name);
    if (!pending) {
      pending = this.createQueue(name, options);
      this.queues.set(name, pending);
      pending.catch(() => this.queues.delete(name));
    }
    return pending;
  }

  private async createQueue(name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (await this.boss.getQueue(name)) return;
      try {
        await this.boss.createQueue(name, { name, ...options });
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        const transient = code === '40P01' || code === '23505' || code === '42P07' || code === '40001';
        if (!transient || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  private async activate(definition: JobDefinition<any>): Promise<void> {
    await this.ensureQueue(definition.name, definition.queue);
    if (!this.options.runWorkers) return;
    await this.boss.work(definition.name, definition.work ?? {}, async (jobs) => {
      for (const job of jobs) {
        await definition.handler(job.data as object, job);
      }
    });
    if (definition.cron) await this.boss.schedule(definition.name, definition.cron, {}, { tz: 'UTC' });
  }
}
