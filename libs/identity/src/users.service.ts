import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { GroupCommit, NotFoundError, UUID } from '@app/common';
import { PhoneTakenError } from './identity.errors.js';
import type { AuthenticatedUser, RoleGrant } from './identity.types.js';
import { isUniqueViolation } from '@app/database';
import type { UserEntity } from './entities/user.entity.js';
import { callerKey, UsersRepository } from './users.repository.js';

/** Token checks answered by one statement at most. */
const CALLERS_PER_STATEMENT = 64;

/** A user as identity's services and auth read it. */
export type UserRow = UserEntity;

/** `user` of api.md. */
export interface UserView {
  id: string;
  phone: string;
  displayName: string | null;
  kycLevel: 0 | 1;
  realName?: { fullName: string; idType: string | null; idNumberMasked: string | null };
  roles: RoleGrant[];
}

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: UsersRepository,
  ) {}

  async create(phone: string, passwordHash: string, displayName: string | undefined, manager: EntityManager): Promise<UserRow> {
    try {
      return await this.repo.insert(manager, phone, passwordHash, displayName ?? null);
    } catch (err) {
      if (isUniqueViolation(err, 'users_phone_key')) throw new PhoneTakenError();
      throw err;
    }
  }

  /** See UsersRepository.replaceHash. */
  replaceHash(id: string, oldHash: string, newHash: string): Promise<boolean> {
    return this.repo.replaceHash(this.dataSource.manager, id, oldHash, newHash);
  }

  async findByPhone(phone: string, manager: EntityManager = this.dataSource.manager): Promise<UserRow | undefined> {
    return (await this.repo.byPhone(manager, phone)) ?? undefined;
  }

  /** UserDirectory: 404 for an unknown user. */
  async assertExists(id: string): Promise<void> {
    await this.getById(id);
  }

  async getById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserRow> {
    const row = await this.repo.byId(manager, id);
    if (!row) throw new NotFoundError('No such user');
    return row;
  }

  rolesOf(userId: string, manager: EntityManager = this.dataSource.manager): Promise<RoleGrant[]> {
    return this.repo.rolesOf(manager, userId);
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
    return this.repo.birthDates(manager, userIds);
  }

  /**
   * The caller of a request bearing an access token: the user, their roles
   * and KYC level, while the token's session is open (logout and refresh-token
   * reuse end it). Loads that arrive while another runs go together in the next statement:
   * callers cached at the same moment (a burst of logins, a restart) expire
   * together, and one query each would take the pool from the payments
   * behind them.
   */
  async loadCaller(userId: string, sessionId: string): Promise<AuthenticatedUser | undefined> {
    // ids from a token we signed are UUIDs; anything else has no session (and must not fail a batch's cast)
    if (!UUID.test(userId) || !UUID.test(sessionId)) return undefined;
    const caller = await this.callerLoads.submit({ userId: userId.toLowerCase(), sessionId: sessionId.toLowerCase() });
    return caller && { kind: 'user', ...caller, sessionId };
  }

  private readonly callerLoads = new GroupCommit<{ userId: string; sessionId: string }, Omit<AuthenticatedUser, 'kind' | 'sessionId'> | undefined>({
    maxInFlight: 2,
    maxBatch: CALLERS_PER_STATEMENT,
    run: async (tokens, inEachContext) => {
      const found = await this.repo.callers(this.dataSource.manager, tokens, inEachContext);
      return tokens.map((t) => ({ ok: true, value: found.get(callerKey(t)) }));
    },
  });
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
