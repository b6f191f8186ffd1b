import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '@app/common';
import { PhoneTakenError } from './identity.errors.js';
import type { AuthenticatedUser, RoleGrant } from './identity.types.js';
import { isUniqueViolation } from '@app/database';

export interface UserRow {
  id: string;
  phone: string;
  password_hash: string;
  display_name: string | null;
  kyc_level: number;
  real_full_name: string | null;
  id_type: string | null;
  id_number_masked: string | null;
  id_number_hash: Buffer | null;
}

/** `user` of api.md. */
export interface UserView {
  id: string;
  phone: string;
  displayName: string | null;
  kycLevel: 0 | 1;
  realName?: { fullName: string; idType: string | null; idNumberMasked: string | null };
  roles: RoleGrant[];
}

const USER_COLUMNS = `id, phone, password_hash, display_name, kyc_level, real_full_name, id_type, id_number_masked, id_number_hash`;

@Injectable()
export class UsersService {
  constructor(private readonly dataSource: DataSource) {}

  async create(
    phone: string,
    passwordHash: string,
    displayName: string | undefined,
    manager: EntityManager,
  ): Promise<UserRow> {
    try {
      const [row] = (await manager.query(
        `INSERT INTO identity.users (phone, password_hash, display_name) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
        [phone, passwordHash, displayName ?? null],
      )) as UserRow[];
      return row;
    } catch (err) {
      if (isUniqueViolation(err, 'users_phone_key')) throw new PhoneTakenError();
      throw err;
    }
  }

  async findByPhone(phone: string, manager: EntityManager = this.dataSource.manager): Promise<UserRow | undefined> {
    const rows = (await manager.query(`SELECT ${USER_COLUMNS} FROM identity.users WHERE phone = $1`, [phone])) as UserRow[];
    return rows[0];
  }

  /** UserDirectory: 404 for an unknown user. */
  async assertExists(id: string): Promise<void> {
    await this.getById(id);
  }

  async getById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserRow> {
    const rows = (await manager.query(`SELECT ${USER_COLUMNS} FROM identity.users WHERE id = $1`, [id])) as UserRow[];
    if (!rows[0]) throw new NotFoundError('No such user');
    return rows[0];
  }

  async rolesOf(userId: string, manager: EntityManager = this.dataSource.manager): Promise<RoleGrant[]> {
    const rows = (await manager.query(
      `SELECT role, organization_id FROM identity.role_grants WHERE user_id = $1 ORDER BY created_at, role`,
      [userId],
    )) as { role: RoleGrant['role']; organization_id: string | null }[];
    return rows.map((r) => (r.organization_id ? { role: r.role, organizationId: r.organization_id } : { role: r.role }));
  }

  async view(userId: string, manager: EntityManager = this.dataSource.manager): Promise<UserView> {
    const row = await this.getById(userId, manager);
    return toUserView(row, await this.rolesOf(userId, manager));
  }

  /**
   * The birth dates (YYYY-MM-DD) of these users' verified PRC IDs, for age
   * rules in other contexts (e.g. senior fares); users without one are absent.
   * Neither the number nor anything else of the document is answered.
   */
  async birthDates(userIds: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = (await manager.query(
      `SELECT id, to_char(birth_date, 'YYYY-MM-DD') AS birth_date FROM identity.users
        WHERE id = ANY($1::uuid[]) AND kyc_level = 1 AND id_type = 'PRC_ID' AND birth_date IS NOT NULL`,
      [userIds],
    )) as { id: string; birth_date: string }[];
    return new Map(rows.map((r) => [r.id, r.birth_date]));
  }

  /**
   * The caller of a request bearing an access token: the user, their roles,
   * and whether the token's session is still open (logout and refresh-token
   * reuse end it). One query.
   */
  async loadCaller(userId: string, sessionId: string): Promise<AuthenticatedUser | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT u.id, u.phone, u.kyc_level,
              COALESCE((SELECT json_agg(json_build_object('role', g.role, 'organizationId', g.organization_id) ORDER BY g.created_at)
                          FROM identity.role_grants g WHERE g.user_id = u.id), '[]'::json) AS roles
         FROM identity.users u
         JOIN identity.auth_sessions s ON s.user_id = u.id AND s.id = $2 AND s.revoked_at IS NULL
        WHERE u.id = $1`,
      [userId, sessionId],
    )) as { id: string; phone: string; kyc_level: number; roles: { role: RoleGrant['role']; organizationId: string | null }[] }[];
    const row = rows[0];
    if (!row) return undefined;
    return {
      kind: 'user',
      id: row.id,
      phone: row.phone,
      kycLevel: row.kyc_level === 1 ? 1 : 0,
      roles: row.roles.map((r) => (r.organizationId ? { role: r.role, organizationId: r.organizationId } : { role: r.role })),
      sessionId,
    };
  }
}

export function toUserView(row: UserRow, roles: RoleGrant[]): UserView {
  const view: UserView = {
    id: row.id,
    phone: row.phone,
    displayName: row.display_name,
    kycLevel: row.kyc_level === 1 ? 1 : 0,
    roles,
  };
  if (row.kyc_level === 1 && row.real_full_name) {
    view.realName = { fullName: row.real_full_name, idType: row.id_type, idNumberMasked: row.id_number_masked };
  }
  return view;
}
