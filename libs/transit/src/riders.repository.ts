import type { EntityManager } from 'typeorm';

export interface RiderRow {
  user_id: string;
  ref: string;
  wallet_account_id: string;
  in_arrears: boolean;
  arrears_since: Date | null;
}

/** SQL of riders, their arrears and the blocklist (schema transit). */
export class RidersRepository {
  async byUser(m: EntityManager, userId: string, lock = false): Promise<RiderRow | undefined> {
    const [row] = (await m.query(`SELECT * FROM transit.riders WHERE user_id = $1${lock ? ' FOR UPDATE' : ''}`, [userId])) as RiderRow[];
    return row;
  }

  /** Inserts the rider unless there; answers the row. */
  async ensure(m: EntityManager, userId: string, ref: string, walletAccountId: string): Promise<RiderRow> {
    await m.query(`INSERT INTO transit.riders (user_id, ref, wallet_account_id) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`, [userId, ref, walletAccountId]);
    return (await this.byUser(m, userId))!;
  }

  /** The riders of these refs, locked in user id order (the lock order of every batch). */
  async lockByRefs(m: EntityManager, refs: readonly string[]): Promise<RiderRow[]> {
    return (await m.query(`SELECT * FROM transit.riders WHERE ref = ANY($1::text[]) ORDER BY user_id FOR UPDATE`, [refs])) as RiderRow[];
  }

  async lockByUsers(m: EntityManager, userIds: readonly string[]): Promise<RiderRow[]> {
    return (await m.query(`SELECT * FROM transit.riders WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR UPDATE`, [userIds])) as RiderRow[];
  }

  /** Puts these riders in arrears (those not already) and blocklists them, in one statement. */
  async enterArrears(m: EntityManager, userIds: readonly string[], since: Date): Promise<void> {
    if (userIds.length === 0) return;
    await this.lockBlocklist(m);
    await m.query(
      `WITH entered AS (
         UPDATE transit.riders SET in_arrears = true, arrears_since = $2 WHERE user_id = ANY($1::uuid[]) AND NOT in_arrears RETURNING ref)
       INSERT INTO transit.blocklist_changes (rider_ref, blocked) SELECT ref, true FROM entered ORDER BY ref`,
      [userIds, since],
    );
  }

  async leaveArrears(m: EntityManager, userId: string): Promise<void> {
    await this.lockBlocklist(m);
    await m.query(
      `WITH left_ AS (
         UPDATE transit.riders SET in_arrears = false, arrears_since = NULL WHERE user_id = $1 AND in_arrears RETURNING ref)
       INSERT INTO transit.blocklist_changes (rider_ref, blocked) SELECT ref, false FROM left_`,
      [userId],
    );
  }

  /**
   * Writers of the blocklist take turns until they commit, so versions become
   * visible in their order: a reader that saw version v has seen every change
   * up to v, and `since=v` misses nothing.
   */
  private async lockBlocklist(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('transit.blocklist_changes'))`);
  }

  async blocklistVersion(m: EntityManager): Promise<number> {
    const [row] = (await m.query(`SELECT coalesce(max(version), 0)::bigint::text AS v FROM transit.blocklist_changes`)) as { v: string }[];
    return Number(row.v);
  }

  /** Riders blocked now (a full list), at the version read in the same snapshot. */
  async blocked(m: EntityManager): Promise<string[]> {
    const rows = (await m.query(`SELECT ref FROM transit.riders WHERE in_arrears ORDER BY ref`)) as { ref: string }[];
    return rows.map((r) => r.ref);
  }

  /** The last change of each rider after `since`. */
  async changesSince(m: EntityManager, since: number): Promise<{ rider_ref: string; blocked: boolean }[]> {
    return (await m.query(
      `SELECT DISTINCT ON (rider_ref) rider_ref, blocked FROM transit.blocklist_changes WHERE version > $1 ORDER BY rider_ref, version DESC`,
      [since],
    )) as { rider_ref: string; blocked: boolean }[];
  }
}
