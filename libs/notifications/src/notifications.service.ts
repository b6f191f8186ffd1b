import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError, toPage, UUID } from '@app/common';
import type { Page } from '@app/common';
import { isNotificationType, renderNotification } from './domain/notification-types.js';
import type { NotificationInput, NotificationLanguage, NotificationType } from './domain/notification-types.js';
import { NotificationsRepository } from './notifications.repository.js';
import type { NotificationRow } from './notifications.repository.js';

export interface NotificationView {
  id: string;
  type: NotificationType;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
  /** Present once read. */
  readAt?: string;
}

export interface NotificationPage extends Page<NotificationView> {
  /** The user's unread notifications, all pages together. */
  unreadCount: number;
}

export function toNotificationView(r: NotificationRow, language: NotificationLanguage): NotificationView {
  const { title, body } = renderNotification(r.type, r.data, language);
  return {
    id: r.id,
    type: r.type,
    title,
    body,
    data: r.data,
    createdAt: r.created_at.toISOString(),
    ...(r.read_at ? { readAt: r.read_at.toISOString() } : {}),
  };
}

/**
 * Citizen notifications: the outbox every context writes to in the
 * transaction of the event it reports (so none is lost and none is invented
 * by a rolled-back payment), the list and the read marks. The live stream
 * is NotificationStreams.
 */
@Injectable()
export class NotificationsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Notifications');
  /** Users to wake with the next NOTIFY (see announce). */
  private readonly toWake = new Set<string>();
  private waking?: Promise<void>;

  constructor(private readonly repository: NotificationsRepository) {}

  /**
   * Wakes the live streams of these users in every process, for rows
   * written by `notifications.enqueue()` in SQL in a transaction that has
   * COMMITTED (call it after the commit). Many calls are coalesced into one
   * NOTIFY statement: at most one is in flight per process, and the users
   * announced meanwhile go in the next. So committing a payment never waits
   * for PostgreSQL's notification-queue lock, which a NOTIFY inside a
   * transaction holds through its commit's WAL flush (every such commit
   * one after another). The outbox stays the source of truth: a stream
   * reads every row after its position whenever it is woken.
   */
  announce(...userIds: string[]): void {
    for (const id of userIds) if (UUID.test(id)) this.toWake.add(id);
    if (this.toWake.size > 0) this.waking ??= this.wakeLoop();
  }

  private async wakeLoop(): Promise<void> {
    // the commits that finish in this turn of the event loop share the NOTIFY
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.toWake.size > 0) {
      const users = [...this.toWake];
      this.toWake.clear();
      try {
        await this.repository.wake(users);
      } catch (err) {
        // the rows are committed: a stream catches up at its user's next wake, or when its listener reconnects
        this.logger.warn({ err, users: users.length }, 'live notification wake-up failed');
      }
    }
    this.waking = undefined;
  }

  /**
   * Wakes these users' live streams when `manager`'s transaction commits
   * (nothing if it rolls back), for rows written by `notifications.enqueue()`
   * in that transaction. For paths that are not hot: the NOTIFY holds the
   * notification-queue lock through the commit (see announce).
   */
  async wakeAtCommit(manager: EntityManager, ...userIds: string[]): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('wakeAtCommit() runs inside a transaction (pass its EntityManager)');
    const users = [...new Set(userIds.filter((id) => UUID.test(id)))];
    if (users.length > 0) await this.repository.wake(users, manager);
  }

  /** Wake-ups already announced are sent before the database connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.waking;
  }

  /**
   * Writes one notification in the caller's transaction `manager` (it exists
   * if and only if that transaction commits, and readers are woken at
   * commit). Returns false when `key` made it a repeat (not written again).
   *
   *   await this.notifications.notify(m, { userId, type: 'BILL_PAID', data: { billId, ... }, key: paymentId });
   */
  async notify(manager: EntityManager, input: NotificationInput): Promise<boolean> {
    return (await this.notifyMany(manager, [input])) === 1;
  }

  /** Many notifications in one statement (bulk loads), in the caller's transaction; returns how many were written. */
  async notifyMany(manager: EntityManager, inputs: readonly NotificationInput[]): Promise<number> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('notify() runs inside the transaction of the event it reports (pass that transaction\'s EntityManager)');
    }
    for (const n of inputs) {
      if (!isNotificationType(n.type)) throw new Error(`unknown notification type ${String(n.type)}`);
      if (!UUID.test(n.userId)) throw new Error(`notification for a user id that is not a UUID: ${n.userId}`);
      if (!n.data || typeof n.data !== 'object' || Array.isArray(n.data)) throw new Error(`notification ${n.type} needs a data object`);
    }
    if (inputs.length === 0) return 0;
    return (await this.repository.insert(manager, inputs)).length;
  }

  async list(userId: string, options: { limit: number; beforeSeq?: bigint; unreadOnly?: boolean; language: NotificationLanguage }): Promise<NotificationPage> {
    const [rows, unreadCount] = await Promise.all([
      this.repository.page(userId, options.limit, options.beforeSeq, options.unreadOnly ?? false),
      this.repository.unreadCount(userId),
    ]);
    const page = toPage(rows, options.limit, (last) => ({ id: last.seq }));
    return { items: page.items.map((r) => toNotificationView(r, options.language)), nextCursor: page.nextCursor, unreadCount };
  }

  /** Marks it read (again: no change); someone else's or unknown: 404. */
  async markRead(userId: string, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.repository.markRead(userId, id))) throw new NotFoundError('No such notification');
  }

  async markAllRead(userId: string): Promise<number> {
    return this.repository.markAllRead(userId);
  }

  unreadCount(userId: string): Promise<number> {
    return this.repository.unreadCount(userId);
  }
}
