import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { RequestMeta } from '@app/common';
import { IdentityConfig } from '../identity.config.js';
import { AuditService } from '../audit/audit.service.js';
import { RefreshTokenRejectedError } from '../identity.errors.js';
import { returnedRows } from '@app/database';
import { CallerCache } from './caller-cache.js';

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
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly callers: CallerCache,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  /** Opens a session (a login) and returns its first tokens. */
  async openSession(userId: string, manager: EntityManager): Promise<TokenPair> {
    const [{ id: sessionId }] = (await manager.query(
      `INSERT INTO identity.auth_sessions (user_id) VALUES ($1) RETURNING id`,
      [userId],
    )) as { id: string }[];
    const refreshToken = await this.insertRefreshToken(manager, sessionId, null);
    return { accessToken: await this.signAccess(userId, sessionId), refreshToken };
  }

  async rotate(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const outcome = await this.dataSource.transaction(async (m) => {
      const rows = (await m.query(
        `SELECT rt.id, rt.session_id, rt.expires_at <= now() AS expired, rt.spent_at IS NOT NULL AS spent,
                s.user_id, s.revoked_at IS NOT NULL AS revoked
           FROM identity.refresh_tokens rt JOIN identity.auth_sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
        [hashToken(refreshToken)],
      )) as { id: string; session_id: string; expired: boolean; spent: boolean; user_id: string; revoked: boolean }[];
      const token = rows[0];
      if (!token) return { rejected: 'The refresh token is not valid' } as const;
      if (token.revoked) return { rejected: 'The session has ended; log in again' } as const;
      if (token.spent) {
        // reuse: someone holds a copy of a spent token; end the whole family
        await m.query(
          `UPDATE identity.auth_sessions SET revoked_at = now(), revoke_reason = 'REFRESH_TOKEN_REUSE' WHERE id = $1`,
          [token.session_id],
        );
        await this.audit.record(
          { action: 'REFRESH_TOKEN_REUSED', actorUserId: token.user_id, targetType: 'session', targetId: token.session_id, meta },
          m,
        );
        return { rejected: 'The refresh token was already used; the session has been ended', endedSessionId: token.session_id } as const;
      }
      if (token.expired) return { rejected: 'The refresh token has expired; log in again' } as const;
      await m.query(`UPDATE identity.refresh_tokens SET spent_at = now() WHERE id = $1`, [token.id]);
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
      const rows = (await m.query(
        `SELECT rt.session_id FROM identity.refresh_tokens rt JOIN identity.auth_sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = $1 AND s.user_id = $2`,
        [hashToken(refreshToken), userId],
      )) as { session_id: string }[];
      const sessionId = rows[0]?.session_id ?? currentSessionId;
      const ended = await m.query(
        `UPDATE identity.auth_sessions SET revoked_at = now(), revoke_reason = 'LOGOUT'
          WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
        [sessionId, userId],
      );
      if (returnedRows(ended).length > 0) {
        await this.audit.record({ action: 'LOGOUT', actorUserId: userId, targetType: 'session', targetId: sessionId, meta }, m);
      }
      return sessionId;
    });
    // refused from the next request on in this process (in another, within CALLER_TTL_MS)
    this.callers.forgetSession(ended);
  }

  private async insertRefreshToken(manager: EntityManager, sessionId: string, parentId: string | null): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await manager.query(
      `INSERT INTO identity.refresh_tokens (session_id, parent_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [sessionId, parentId, hashToken(token), this.config.REFRESH_TOKEN_TTL_SECONDS],
    );
    return token;
  }

  private signAccess(userId: string, sessionId: string): Promise<string> {
    const payload: AccessTokenPayload = { sub: userId, sid: sessionId };
    return this.jwt.signAsync(payload);
  }
}
