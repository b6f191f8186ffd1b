import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../identity.types.js';
import { UsersService } from '../users.service.js';
import { CallerChanges } from './caller-changes.js';

/**
 * How long a caller (user, roles, KYC level, open session) loaded for an
 * access token is trusted without asking the database again: the bound
 * within which a session ended elsewhere (another API process; this process
 * forgets a session it ends itself at once) is refused.
 */
export const CALLER_TTL_MS = 3_000;
/** Callers kept at most (the oldest go first). */
export const CALLER_CACHE_MAX = 10_000;

/**
 * The callers behind recent access tokens, so that a busy client's requests
 * cost no identity query each (the user, their roles and the session's
 * revocation are read once per CALLER_TTL_MS). Bounded in size and age:
 *  - a session ended by logout or refresh-token reuse in this process is
 *    forgotten at once; in another process it is refused within CALLER_TTL_MS;
 *  - a grant (a role, real-name verification) the cached caller lacks is
 *    never refused on stale data: the guard reloads the caller before it
 *    refuses (see AuthenticationGuard); a role taken away lasts at most
 *    CALLER_TTL_MS;
 *  - a user whose roles or verification changed in this process is reloaded
 *    at once (CallerChanges), so use cases checking staff themselves see a
 *    role just granted.
 */
@Injectable()
export class CallerCache {
  /** By session id (a session belongs to one user, checked on every hit). */
  private readonly entries = new Map<string, { caller: AuthenticatedUser; loadedAt: number; until: number }>();

  constructor(
    private readonly users: UsersService,
    private readonly changes: CallerChanges,
  ) {}

  /** The caller of the token (sub, sid), or undefined when the user or the open session is gone. */
  async caller(userId: string, sessionId: string, options: { fresh?: boolean } = {}): Promise<AuthenticatedUser | undefined> {
    const now = Date.now();
    const hit = this.entries.get(sessionId);
    if (hit && hit.until > now && hit.caller.id === userId && !options.fresh && !this.changes.stale(userId, hit.loadedAt)) return hit.caller;
    const caller = await this.users.loadCaller(userId, sessionId);
    this.entries.delete(sessionId); // re-inserted last: the Map's order is the age order
    if (caller) {
      this.entries.set(sessionId, { caller, loadedAt: now, until: now + CALLER_TTL_MS });
      if (this.entries.size > CALLER_CACHE_MAX) this.evict(now);
    }
    return caller;
  }

  /** A session that has just ended: refused from the next request on. */
  forgetSession(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= CALLER_CACHE_MAX && entry.until > now) break;
      this.entries.delete(key);
    }
  }
}
