import { Injectable } from '@nestjs/common';

/**
 * How long after a change to a user (a role granted, real name verified) a
 * cached caller of that user is not trusted: covers the transaction that
 * made the change committing after the call that recorded it.
 */
export const CHANGE_SETTLE_MS = 2_000;

/**
 * Users whose roles or verification changed in this process, so that the
 * CallerCache reloads them at once instead of serving what it read before:
 * a use case checking staff itself (transit routes, campus rosters) must
 * see a role granted a moment ago. Changes made by another API process
 * reach this one within CALLER_TTL_MS (see CallerCache). No dependencies:
 * the users repository records, the cache reads.
 */
@Injectable()
export class CallerChanges {
  private readonly changedAt = new Map<string, number>();

  changed(userId: string): void {
    this.changedAt.set(userId, Date.now());
    if (this.changedAt.size > 10_000) this.prune();
  }

  /** True when a caller loaded at `loadedAt` may predate a change of the user. */
  stale(userId: string, loadedAt: number): boolean {
    const at = this.changedAt.get(userId);
    return at !== undefined && loadedAt <= at + CHANGE_SETTLE_MS;
  }

  private prune(): void {
    const before = Date.now() - CHANGE_SETTLE_MS - 60_000;
    for (const [userId, at] of this.changedAt) if (at < before) this.changedAt.delete(userId);
  }
}
