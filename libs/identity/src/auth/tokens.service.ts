import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { RequestMeta } from '@app/common';
import { IdentityConfig } from '../identity.config.js';
import { AuditService } from '../audit/audit.service.js';
import { RefreshTokenRejectedError } from '../identity.errors.js';
import { CallerCache } from './caller-cache.js';
import { SessionsRepository } from './sessions.repository.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface AccessTokenPayload {
  sub: string;
  sid: string;
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Short-lived JWT access tokens (HS256, iss/aud/exp) bound to a session, and
 * opaque refresh tokens stored hashed. Each refresh spends its token and
 * issues a child in the same session (family); presenting a spent token
 * again ends the whole session, so a stolen token dies with its family.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly callers: CallerCache,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  /** Opens a session (a login) and returns its first tokens. */
  async openSession(userId: string, manager: EntityManager): Promise<TokenPair> {
    const sessionId = await this.sessions.openSession(manager, userId);
    const refreshToken = await this.insertRefreshToken(manager, sessionId, null);
    return { accessToken: await this.signAccess(userId, sessionId), refreshToken };
  }

  async rotate(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const outcome = await this.dataSource.transaction(async (m) => {
      const token = await this.sessions.lockRefreshToken(m, hashToken(refreshToken));
      if (!token) return { rejected: 'The refresh token is not valid' } as const;
      if (token.revoked) return { rejected: 'The session has ended; log in again' } as const;
      if (token.spent) {
        // reuse: someone holds a copy of a spent token; end the whole family
        await this.sessions.revoke(m, token.session_id, 'REFRESH_TOKEN_REUSE');
        await this.audit.record(
          { action: 'REFRESH_TOKEN_REUSED', actorUserId: token.user_id, targetType: 'session', targetId: token.session_id, meta },
          m,
        );
        return { rejected: 'The refresh token was already used; the session has been ended', endedSessionId: token.session_id } as const;
      }
      if (token.expired) return { rejected: 'The refresh token has expired; log in again' } as const;
      await this.sessions.spendRefreshToken(m, token.id);
      const next = await this.insertRefreshToken(m, token.session_id, token.id);
      return { userId: token.user_id, sessionId: token.session_id, refreshToken: next } as const;
    });
    if ('rejected' in outcome) {
      if (outcome.endedSessionId) this.callers.forgetSession(outcome.endedSessionId);
      throw new RefreshTokenRejectedError(outcome.rejected);
    }
    return { accessToken: await this.signAccess(outcome.userId, outcome.sessionId), refreshToken: outcome.refreshToken };
  }

  /**
   * Ends the session of `refreshToken` when it belongs to `userId`, else the
   * caller's current session. Idempotent.
   */
  async endSession(userId: string, currentSessionId: string, refreshToken: string, meta: RequestMeta): Promise<void> {
    const ended = await this.dataSource.transaction(async (m) => {
      const sessionId = (await this.sessions.sessionOfToken(m, hashToken(refreshToken), userId)) ?? currentSessionId;
      if (await this.sessions.revoke(m, sessionId, 'LOGOUT', userId)) {
        await this.audit.record({ action: 'LOGOUT', actorUserId: userId, targetType: 'session', targetId: sessionId, meta }, m);
      }
      return sessionId;
    });
    // refused from the next request on in this process (in another, within CALLER_TTL_MS)
    this.callers.forgetSession(ended);
  }

  private async insertRefreshToken(manager: EntityManager, sessionId: string, parentId: string | null): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.sessions.insertRefreshToken(manager, sessionId, parentId, hashToken(token), this.config.REFRESH_TOKEN_TTL_SECONDS);
    return token;
  }

  private signAccess(userId: string, sessionId: string): Promise<string> {
    const payload: AccessTokenPayload = { sub: userId, sid: sessionId };
    return this.jwt.signAsync(payload);
  }
}
