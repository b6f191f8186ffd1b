import { Logger } from '@nestjs/common';
import pg from 'pg';
import { NOTIFY_CHANNEL } from './notifications.repository.js';

export interface ListenerOptions {
  url: string;
  applicationName: string;
  /** Called with each user id a NOTIFY names. */
  onNotify(userId: string): void;
  /** Called once LISTEN is (again) in place: NOTIFYs may have been missed meanwhile. */
  onConnected(): void;
  /** Liveness check of the connection, ms. */
  pingMs: number;
}

/**
 * The process's one dedicated PostgreSQL connection in LISTEN mode (a pooled
 * connection cannot listen). Lost (server restart, terminated backend,
 * failed ping): reconnected with backoff, and readers are woken to catch up
 * from the outbox, which is the source of truth; a NOTIFY only wakes them.
 */
export class NotificationListener {
  private readonly logger = new Logger('NotificationListener');
  private client?: pg.Client;
  private connecting?: Promise<void>;
  private stopped = false;
  private failures = 0;
  private retry?: NodeJS.Timeout;
  private ping?: NodeJS.Timeout;
  connected = false;

  constructor(private readonly options: ListenerOptions) {}

  /** Starts listening (once); resolves when LISTEN is in place or the first attempt failed (it keeps retrying). */
  start(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.connected) return Promise.resolve();
    return (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: this.options.applicationName, keepAlive: true });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      // one user id, or several joined by commas (NotificationsService.announce coalesces)
      if (msg.channel === NOTIFY_CHANNEL && msg.payload) for (const userId of msg.payload.split(',')) if (userId) this.options.onNotify(userId);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.scheduleReconnect(err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connected = true;
    if (this.failures > 0) this.logger.log('listening for notifications again');
    this.failures = 0;
    this.ping = setInterval(() => {
      // a connection dead without a reset (network cut) shows here
      client.query('SELECT 1').catch((err: Error) => this.lost(client, err));
    }, this.options.pingMs);
    this.ping.unref();
    this.options.onConnected();
  }

  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.connected = false;
    clearInterval(this.ping);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (!this.stopped) this.scheduleReconnect(err);
  }

  private scheduleReconnect(err?: Error): void {
    if (this.stopped || this.retry) return;
    this.failures++;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(this.failures - 1, 6));
    this.logger.warn(`notification listener connection lost (${err?.message ?? 'ended'}); reconnecting in ${delay} ms`);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.start();
    }, delay);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
