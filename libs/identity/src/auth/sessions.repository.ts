import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { returnedRows } from '@app/database';

/** A refresh token presented for rotation, with its session, both row-locked. */
export interface PresentedRefreshToken {
  id: string;
  session_id: string;
  expired: boolean;
  spent: boolean;
  user_id: string;
  revoked: boolean;
}

/** Data access of sessions and their refresh tokens (identity.auth_sessions, identity.refresh_tokens). */
@Injectable()
export class SessionsRepository {
  async openSession(m: EntityManager, userId: string): Promise<string> {
    const [{ id }] = (await m.query(`INSERT INTO identity.auth_sessions (user_id) VALUES ($1) RETURNING id`, [userId])) as { id: string }[];
    return id;
  }

  /** Stores a refresh token (its hash) of the session, valid for `ttlSeconds`. */
  async insertRefreshToken(m: EntityManager, sessionId: string, parentId: string | null, tokenHash: Buffer, ttlSeconds: number): Promise<void> {
    await m.query(
      `INSERT INTO identity.refresh_tokens (session_id, parent_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [sessionId, parentId, tokenHash, ttlSeconds],
    );
  }

  /** The token of this hash and its session, both locked until the transaction ends. */
  async lockRefreshToken(m: EntityManager, tokenHash: Buffer): Promise<PresentedRefreshToken | undefined> {
    const [row] = (await m.query(
      `SELECT rt.id, rt.session_id, rt.expires_at <= now() AS expired, rt.spent_at IS NOT NULL AS spent,
              s.user_id, s.revoked_at IS NOT NULL AS revoked
         FROM identity.refresh_tokens rt JOIN identity.auth_sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1
        FOR UPDATE OF rt, s`,
      [tokenHash],
    )) as PresentedRefreshToken[];
    return row;
  }

  async spendRefreshToken(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE identity.refresh_tokens SET spent_at = now() WHERE id = $1`, [id]);
  }

  /** The session of this refresh token when it is the user's. */
  async sessionOfToken(m: EntityManager, tokenHash: Buffer, userId: string): Promise<string | undefined> {
    const [row] = (await m.query(
      `SELECT rt.session_id FROM identity.refresh_tokens rt JOIN identity.auth_sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1 AND s.user_id = $2`,
      [tokenHash, userId],
    )) as { session_id: string }[];
    return row?.session_id;
  }

  /** Ends a session (of `userId` when given); false when it had ended already (or is not the user's). */
  async revoke(m: EntityManager, sessionId: string, reason: 'LOGOUT' | 'REFRESH_TOKEN_REUSE', userId?: string): Promise<boolean> {
    const ended = await m.query(
      `UPDATE identity.auth_sessions SET revoked_at = now(), revoke_reason = $2
        WHERE id = $1 AND ($3::uuid IS NULL OR user_id = $3) AND revoked_at IS NULL RETURNING id`,
      [sessionId, reason, userId ?? null],
    );
    return returnedRows(ended).length > 0;
  }
}
