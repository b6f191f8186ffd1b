import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affectedRows, preparedQuery, returnedRows } from '@app/database';
import { CallerChanges } from './auth/caller-changes.js';
import { UserEntity } from './entities/user.entity.js';
import type { AuthenticatedUser, RoleGrant } from './identity.types.js';

/** The caller behind an access token, before its roles are shaped. */
export interface CallerRow {
  id: string;
  phone: string;
  kyc_level: number;
  roles: { role: RoleGrant['role']; organizationId: string | null }[];
}

export interface RealNameBinding {
  fullName: string;
  idType: string;
  idNumberMasked: string;
  idNumberHash: Buffer;
  /** YYYY-MM-DD of a PRC ID (its digits say it), else null: other contexts' age rules read it. */
  birthDate: string | null;
}

const USER_COLUMNS = `id, phone, password_hash, display_name, kyc_level, real_full_name, id_type, id_number_masked, id_number_hash`;

const grant = (role: RoleGrant['role'], organizationId: string | null): RoleGrant => (organizationId ? { role, organizationId } : { role });

/** A token's key among the callers of one statement: its user and its session (lower-case UUIDs), never the session alone. */
export const callerKey = (token: { userId: string; sessionId: string }): string => `${token.userId}/${token.sessionId}`;

/** Data access of users and their role grants (schema identity). */
@Injectable()
export class UsersRepository {
  constructor(private readonly changes: CallerChanges) {}

  /** Inserts a user; a taken phone surfaces as the unique violation of `users_phone_key`. */
  async insert(m: EntityManager, phone: string, passwordHash: string, displayName: string | null): Promise<UserEntity> {
    const [row] = (await m.query(
      `INSERT INTO identity.users (phone, password_hash, display_name) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
      [phone, passwordHash, displayName],
    )) as UserEntity[];
    return row;
  }

  /**
   * Replaces a password hash by one of the same password with today's
   * settings, unless the stored hash changed meanwhile (a password set in
   * between wins). Answers whether it was replaced.
   */
  async replaceHash(m: EntityManager, id: string, oldHash: string, newHash: string): Promise<boolean> {
    const [, count] = (await m.query(`UPDATE identity.users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
      id,
      oldHash,
      newHash,
    ])) as [unknown, number];
    return count === 1;
  }

  /**
   * The platform administrator of ADMIN_PHONE unless a user has that phone
   * (insert-if-absent: safe when replicas start at once); answers its id, or
   * undefined when the phone was taken.
   */
  async insertAdminIfAbsent(m: EntityManager, phone: string, passwordHash: string): Promise<string | undefined> {
    const [row] = returnedRows<{ id: string }>(
      await m.query(
        `INSERT INTO identity.users (phone, password_hash, display_name, kyc_level, real_full_name, kyc_verified_at)
         VALUES ($1, $2, 'Platform administrator', 1, 'Platform administrator', now())
         ON CONFLICT (phone) DO NOTHING RETURNING id`,
        [phone, passwordHash],
      ),
    );
    return row?.id;
  }

  byId(m: EntityManager, id: string): Promise<UserEntity | null> {
    return m.findOneBy(UserEntity, { id });
  }

  byPhone(m: EntityManager, phone: string): Promise<UserEntity | null> {
    return m.findOneBy(UserEntity, { phone });
  }

  /** The user's real-name state, row locked until the transaction ends (one binding at a time). */
  async lockKyc(m: EntityManager, id: string): Promise<{ kyc_level: number; id_number_hash: Buffer | null } | undefined> {
    const [row] = (await m.query(`SELECT kyc_level, id_number_hash FROM identity.users WHERE id = $1 FOR UPDATE`, [id])) as {
      kyc_level: number;
      id_number_hash: Buffer | null;
    }[];
    return row;
  }

  /** Binds a verified real name; a number bound elsewhere surfaces as the unique violation of `users_id_number_hash_key`. */
  async bindRealName(m: EntityManager, id: string, b: RealNameBinding): Promise<number> {
    this.changes.changed(id);
    return affectedRows(
      await m.query(
        `UPDATE identity.users SET kyc_level = 1, real_full_name = $2, id_type = $3, id_number_masked = $4,
                id_number_hash = $5, birth_date = $6::date, kyc_verified_at = now()
          WHERE id = $1`,
        [id, b.fullName, b.idType, b.idNumberMasked, b.idNumberHash, b.birthDate],
      ),
    );
  }

  /** Birth dates (YYYY-MM-DD) of verified PRC IDs among these users. */
  async birthDates(m: EntityManager, userIds: readonly string[]): Promise<Map<string, string>> {
    const rows = (await m.query(
      `SELECT id, to_char(birth_date, 'YYYY-MM-DD') AS birth_date FROM identity.users
        WHERE id = ANY($1::uuid[]) AND kyc_level = 1 AND id_type = 'PRC_ID' AND birth_date IS NOT NULL`,
      [userIds],
    )) as { id: string; birth_date: string }[];
    return new Map(rows.map((r) => [r.id, r.birth_date]));
  }

  async rolesOf(m: EntityManager, userId: string): Promise<RoleGrant[]> {
    const rows = (await m.query(`SELECT role, organization_id FROM identity.role_grants WHERE user_id = $1 ORDER BY created_at, role`, [
      userId,
    ])) as { role: RoleGrant['role']; organization_id: string | null }[];
    return rows.map((r) => grant(r.role, r.organization_id));
  }

  /** Grants a role (platform-wide without an organisation); false when the user already had it. */
  async grantRole(m: EntityManager, userId: string, role: RoleGrant['role'], organizationId: string | null, grantedBy: string | null): Promise<boolean> {
    const inserted = (await m.query(
      `INSERT INTO identity.role_grants (user_id, role, organization_id, granted_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING id`,
      [userId, role, organizationId, grantedBy],
    )) as unknown[];
    this.changes.changed(userId);
    return inserted.length > 0;
  }

  /**
   * The callers of several tokens in one statement, by token (callerKey: its
   * user and session): the user, roles and KYC level of each session still
   * open. A token whose session is gone, revoked or another user's has no entry.
   */
  async callers(
    m: EntityManager,
    tokens: { userId: string; sessionId: string }[],
    logIn?: (log: () => void) => void,
  ): Promise<Map<string, Omit<AuthenticatedUser, 'kind' | 'sessionId'>>> {
    // a named prepared statement (parsed once per connection), logged in each checking request's context
    const rows = await preparedQuery<CallerRow & { session_id: string }>(
      m,
      'identity.callers',
      `SELECT s.id AS session_id, u.id, u.phone, u.kyc_level,
              COALESCE((SELECT json_agg(json_build_object('role', g.role, 'organizationId', g.organization_id) ORDER BY g.created_at)
                          FROM identity.role_grants g WHERE g.user_id = u.id), '[]'::json) AS roles
         FROM unnest($1::uuid[], $2::uuid[]) AS t(user_id, session_id)
         JOIN identity.auth_sessions s ON s.id = t.session_id AND s.user_id = t.user_id AND s.revoked_at IS NULL
         JOIN identity.users u ON u.id = s.user_id`,
      [tokens.map((t) => t.userId), tokens.map((t) => t.sessionId)],
      logIn,
    );
    return new Map(
      rows.map((row) => [
        callerKey({ userId: row.id, sessionId: row.session_id }),
        { id: row.id, phone: row.phone, kycLevel: row.kyc_level === 1 ? 1 : 0, roles: row.roles.map((r) => grant(r.role, r.organizationId)) },
      ]),
    );
  }
}
