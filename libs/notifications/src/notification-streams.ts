import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '@app/config';
import { NotificationsConfig } from './notifications.config.js';
import { DATABASE_URL } from '@app/database';
import type { NotificationLanguage } from './domain/notification-types.js';
import { NotificationListener } from './notification-listener.js';
import { NotificationsRepository } from './notifications.repository.js';
import type { StreamPosition } from './notifications.repository.js';
import { toNotificationView } from './notifications.service.js';

/** Rows read per query while catching up. */
const BATCH = 200;
/** A client this far behind (bytes buffered) is cut off; it resumes with Last-Event-ID. */
const MAX_BUFFERED = 1024 * 1024;

class Stream {
  position!: StreamPosition;
  ready = false;
  reading = false;
  again = false;
  retry?: NodeJS.Timeout;
  closed = false;

  constructor(
    readonly userId: string,
    readonly language: NotificationLanguage,
    readonly res: ServerResponse,
    readonly expiresAt: number,
  ) {}
}

/**
 * The live streams of GET /v1/me/events in this process. Each stream has a
 * position in its user's outbox and reads the rows after it when woken: by
 * a NOTIFY for its user (from any process, at commit), or by the listener
 * coming back after a loss (and polls while it is away). Heartbeats keep proxies from cutting idle streams;
 * a stream ends when its access token expires and at shutdown, and the
 * client resumes with Last-Event-ID.
 */
@Injectable()
export class NotificationStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger('NotificationStreams');
  private readonly byUser = new Map<string, Set<Stream>>();
  private readonly listener: NotificationListener;
  private heartbeat?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly repository: NotificationsRepository,
    @Inject(DATABASE_URL) url: string,
    @Inject(AppConfig) app: AppConfig,
    @Inject(NotificationsConfig) private readonly config: NotificationsConfig,
  ) {
    this.listener = new NotificationListener({
      url,
      applicationName: `${app.SERVICE_NAME}-listen`,
      pingMs: this.config.NOTIFICATIONS_HEARTBEAT_MS,
      onNotify: (userId) => this.wake(userId),
      onConnected: () => this.wakeAll(),
    });
  }

  /** Streams open in this process. */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Serves one stream on `res`: from after `lastEventId` when it is one of
   * the user's notifications, else from now. `begin` writes the response's
   * head; it is called once the position is taken, so that everything
   * committed after a client sees the stream open is sent to it. Resolves
   * when the stream has ended.
   */
  async open(
    res: ServerResponse,
    input: { userId: string; language: NotificationLanguage; lastEventId?: string; expiresAt: number },
    begin: () => void,
  ): Promise<void> {
    if (this.closing) {
      begin();
      return void res.end();
    }
    const stream = new Stream(input.userId, input.language, res, input.expiresAt);
    const ended = new Promise<void>((resolve) => res.once('close', () => resolve()));
    res.once('close', () => this.remove(stream));
    let set = this.byUser.get(stream.userId);
    if (!set) this.byUser.set(stream.userId, (set = new Set()));
    set.add(stream);
    this.startHeartbeat();
    try {
      // LISTEN before the position is taken: nothing committed after it goes unannounced
      await this.listener.start();
      stream.position = await this.repository.startPosition(stream.userId, input.lastEventId);
    } catch (err) {
      this.logger.error({ err }, 'notification stream failed to start');
      begin();
      this.end(stream);
      return ended;
    }
    begin();
    stream.ready = true;
    await this.pump(stream);
    return ended;
  }

  private wake(userId: string): void {
    for (const stream of this.byUser.get(userId) ?? []) void this.pump(stream);
  }

  private wakeAll(): void {
    for (const set of this.byUser.values()) for (const stream of set) void this.pump(stream);
  }

  /** Reads and sends what follows the stream's position; one reader per stream, woken again if asked meanwhile. */
  private async pump(stream: Stream): Promise<void> {
    if (stream.closed) return;
    if (!stream.ready || stream.reading) {
      stream.again = true;
      return;
    }
    stream.reading = true;
    try {
      do {
        stream.again = false;
        const { rows, next } = await this.repository.after(stream.userId, stream.position, BATCH);
        if (stream.closed) return;
        for (const row of rows) {
          const view = toNotificationView(row, stream.language);
          stream.res.write(`id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(view)}\n\n`);
        }
        stream.position = next;
        if (stream.res.writableLength > MAX_BUFFERED) {
          this.logger.warn(`notification stream of user ${stream.userId} too far behind; closed (it resumes with Last-Event-ID)`);
          return this.end(stream);
        }
        if (rows.length >= BATCH) stream.again = true;
      } while (stream.again && !stream.closed);
    } catch (err) {
      this.logger.warn({ err }, 'notification stream read failed; retried on the next wake');
      if (!stream.retry && !stream.closed) {
        stream.retry = setTimeout(() => {
          stream.retry = undefined;
          void this.pump(stream);
        }, 1_000);
        stream.retry.unref();
      }
    } finally {
      stream.reading = false;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => this.tick(), this.config.NOTIFICATIONS_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const set of this.byUser.values()) {
      for (const stream of set) {
        if (now >= stream.expiresAt) {
          this.end(stream);
          continue;
        }
        if (!stream.ready) continue; // its head is not written yet
        stream.res.write(': keep-alive\n\n');
        // without the listener (reconnecting), streams poll the outbox instead
        if (!this.listener.connected) void this.pump(stream);
      }
    }
  }

  private end(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.res.end();
    this.remove(stream);
  }

  private remove(stream: Stream): void {
    stream.closed = true;
    clearTimeout(stream.retry);
    const set = this.byUser.get(stream.userId);
    set?.delete(stream);
    if (set?.size === 0) this.byUser.delete(stream.userId);
    if (this.byUser.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Before the HTTP server closes: streams end (clients resume elsewhere with Last-Event-ID), then the listener stops. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const set of [...this.byUser.values()]) for (const stream of [...set]) this.end(stream);
    await this.listener.stop();
  }
}
